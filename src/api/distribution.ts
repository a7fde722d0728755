/** Registry routes: pull (POST /images/create?fromImage=), push, POST /auth, GET /images/search. */
import type { Engine } from "../engine/engine.js";
import { familiar, parseReference, type Reference, withDefaultTag } from "../image/reference.js";
import { type Credentials, Registry, RegistryResponseError } from "../registry/client/http.js";
import { distributionInspect, listTags, type PullOptions, pull } from "../registry/client/pull.js";
import { push } from "../registry/client/push.js";
import { BerthError, invalid } from "../util/errors.js";
import { type Ctx, checkedBody, JsonStream, type Router, sendJson } from "./router.js";
import { AuthSchema } from "./schema/resources.js";

/** X-Registry-Auth: base64url JSON {username, password, serveraddress, identitytoken}. */
function authOf(ctx: Ctx): Credentials | undefined {
  const h = ctx.req.headers["x-registry-auth"];
  if (!h || Array.isArray(h)) return undefined;
  try {
    return JSON.parse(Buffer.from(h, "base64").toString("utf8")) as Credentials;
  } catch {
    return undefined;
  }
}

function progressBar(current: number, total: number): string {
  const width = 50;
  const n = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const h = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(1)}MB` : `${(b / 1e3).toFixed(1)}kB`);
  return `[${"=".repeat(Math.max(0, n - 1))}${n > 0 ? ">" : ""}${" ".repeat(width - n)}] ${h(current)}/${h(total)}`;
}

export async function pullRoute(ctx: Ctx, engine: Engine): Promise<void> {
  const q = ctx.query;
  const from = q.get("fromImage") ?? "";
  const tag = q.get("tag") ?? "";
  let ref: Reference;
  try {
    ref = parseReference(tag ? (tag.startsWith("sha256:") ? `${from}@${tag}` : `${from}:${tag}`) : from);
  } catch (err) {
    throw invalid((err as Error).message);
  }
  const stream = new JsonStream(ctx);
  const opts = {
    insecure: engine.config.insecureRegistries,
    creds: authOf(ctx),
    platform: q.get("platform") || undefined,
    mirrors: engine.config.registryMirrors,
    sources: engine.blobSources,
  };
  try {
    // A name without tag or digest is `docker pull --all-tags`.
    const refs =
      ref.tag || ref.digest
        ? [ref]
        : (await listTags(ref, opts)).map((t) => ({ ...ref, tag: t }) as Reference);
    for (const one of refs) await pullOne(engine, one, stream, opts);
  } catch (err) {
    stream.error(err as Error);
  }
  stream.end();
}

async function pullOne(
  engine: Engine,
  ref: Reference,
  stream: JsonStream,
  opts: Omit<PullOptions, "progress">,
) {
  stream.write({ status: `Pulling from ${ref.path.replace(/^library\//, "")}`, id: ref.tag ?? ref.digest });
  const res = await pull(engine.images, ref, {
    ...opts,
    progress: (id, status, detail) =>
      stream.write({
        status,
        id,
        ...(detail
          ? { progressDetail: detail, progress: progressBar(detail.current, detail.total) }
          : { progressDetail: {} }),
      }),
  });
  await engine.imageStore.addRef(ref, res.rec.id);
  await engine.imageStore.addRef({ ...ref, tag: undefined, digest: res.digest }, res.rec.id);
  engine.events.emit("image", "pull", familiar(ref), { name: familiar(ref) });
  stream.write({ status: `Digest: ${res.digest}` });
  stream.write({
    status: res.fresh
      ? `Status: Downloaded newer image for ${familiar(ref)}`
      : `Status: Image is up to date for ${familiar(ref)}`,
  });
}

export async function pushRoute(ctx: Ctx, engine: Engine): Promise<void> {
  const name = ctx.params.name!;
  const tag = ctx.query.get("tag") || undefined;
  const ref = withDefaultTag(parseReference(tag ? `${name}:${tag}` : name));
  engine.imageStore.resolve(familiar(ref)); // 404 before the stream starts
  const stream = new JsonStream(ctx);
  stream.write({ status: `The push refers to repository [${familiar({ ...ref, tag: undefined })}]` });
  try {
    const r = await push(engine.images, ref, familiar(ref), {
      insecure: engine.config.insecureRegistries,
      creds: authOf(ctx),
      sources: engine.blobSources,
      progress: (id, status, detail) =>
        stream.write({
          status,
          id,
          progressDetail: detail ?? {},
          ...(detail ? { progress: progressBar(detail.current, detail.total) } : {}),
        }),
    });
    await engine.imageStore.addRef(
      { ...ref, tag: undefined, digest: r.digest },
      engine.imageStore.resolve(familiar(ref)).id,
    );
    engine.events.emit("image", "push", familiar(ref), { name: familiar(ref) });
    stream.write({ status: `${r.tag}: digest: ${r.digest} size: ${r.size}` });
    stream.write({ progressDetail: {}, aux: { Tag: r.tag, Digest: r.digest, Size: r.size } });
  } catch (err) {
    stream.error(err as Error);
  }
  stream.end();
}

export function distributionRoutes(r: Router, engine: Engine): void {
  r.post("/auth", async (ctx) => {
    const b = (await checkedBody(ctx, AuthSchema, "auth config")) as Credentials & { serveraddress?: string };
    const server = (b.serveraddress || "docker.io").replace(/^https?:\/\//, "").replace(/\/.*$/, "");
    const host = server === "index.docker.io" ? "docker.io" : server;
    const reg = new Registry(host, engine.config.insecureRegistries, b);
    try {
      await reg.request("/v2/", { scope: "" });
    } catch (err) {
      if (err instanceof RegistryResponseError && err.status === 401) {
        throw new BerthError(
          "Unauthorized",
          `login attempt to ${reg.base}/v2/ failed with status: 401 Unauthorized`,
        );
      }
      throw err;
    }
    sendJson(ctx, 200, { Status: "Login Succeeded", IdentityToken: "" });
  });

  r.get("/distribution/{name*}/json", async (ctx) => {
    let ref: Reference;
    try {
      ref = withDefaultTag(parseReference(ctx.params.name!));
    } catch (err) {
      throw invalid((err as Error).message);
    }
    sendJson(
      ctx,
      200,
      await distributionInspect(ref, { insecure: engine.config.insecureRegistries, creds: authOf(ctx) }),
    );
  });

  r.get("/images/search", async (ctx) => {
    const term = ctx.query.get("term") ?? "";
    const limit = Number(ctx.query.get("limit") || 25);
    const slash = term.indexOf("/");
    const first = slash > 0 ? term.slice(0, slash) : "";
    const local = first.includes(".") || first.includes(":") || first === "localhost";
    const host = local ? first : "docker.io";
    const q = local ? term.slice(slash + 1) : term;
    const reg = new Registry(
      host === "docker.io" ? "index.docker.io" : host,
      engine.config.insecureRegistries,
    );
    const res = await reg.request(`/v1/search?q=${encodeURIComponent(q)}&n=${limit}`, { scope: "" });
    const j = (await res.json()) as { results?: object[] };
    sendJson(ctx, 200, (j.results ?? []).slice(0, limit));
  });
}
