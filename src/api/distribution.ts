/** Registry routes: pull (POST /images/create?fromImage=), push, POST /auth, GET /images/search, distribution inspect. */
import type { Credentials } from "../registry/client/http.js";
import type { DistributionBackend } from "./backend.js";
import {
  type Ctx,
  checkedBody,
  clientSignal,
  intParam,
  JsonStream,
  type Router,
  sendJson,
} from "./router.js";
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

/**
 * Runs `work` with a JSON progress stream; its errors go in-band once the
 * stream began. `work` gets clientSignal(ctx): a client that hangs up
 * cancels it.
 */
export async function streamed(
  ctx: Ctx,
  work: (out: (msg: Record<string, unknown>) => void, signal: AbortSignal) => Promise<void>,
) {
  const stream = new JsonStream(ctx);
  const signal = clientSignal(ctx);
  try {
    await work((m) => stream.write(m), signal);
  } catch (err) {
    stream.error(err as Error);
  }
  stream.end();
}

export async function pullRoute(ctx: Ctx, d: DistributionBackend): Promise<void> {
  const q = ctx.query;
  const from = q.get("fromImage") ?? "";
  const tag = q.get("tag") ?? "";
  const ref = d.reference(tag ? (tag.startsWith("sha256:") ? `${from}@${tag}` : `${from}:${tag}`) : from);
  await streamed(ctx, (out, signal) =>
    d.pull(ref, { creds: authOf(ctx), platform: q.get("platform") || undefined, signal }, out),
  );
}

export async function pushRoute(ctx: Ctx, d: DistributionBackend): Promise<void> {
  const tag = ctx.query.get("tag") || undefined;
  const ref = d.reference(tag ? `${ctx.params.name!}:${tag}` : ctx.params.name!);
  d.checkLocal(ref); // 404 before the stream starts
  await streamed(ctx, (out, signal) => d.push(ref, authOf(ctx), out, signal));
}

export function distributionRoutes(r: Router, d: DistributionBackend): void {
  r.post("/auth", async (ctx) => {
    await d.login(
      (await checkedBody(ctx, AuthSchema, "auth config")) as Credentials & { serveraddress?: string },
    );
    sendJson(ctx, 200, { Status: "Login Succeeded", IdentityToken: "" });
  });

  r.get("/distribution/{name*}/json", async (ctx) =>
    sendJson(ctx, 200, await d.inspect(d.reference(ctx.params.name!), authOf(ctx))),
  );

  r.get("/images/search", async (ctx) =>
    sendJson(ctx, 200, await d.search(ctx.query.get("term") ?? "", intParam(ctx.query, "limit") ?? 25)),
  );
}
