/** Request dispatch for /v2/ (distribution-spec v1.1) and Docker's /v1/search. */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Htpasswd } from "./auth.js";
import { CHALLENGE } from "./auth.js";
import { type BlobCtx, continueUpload, deleteBlob, getBlob, startUpload } from "./blobs.js";
import { DistributionError, errorBody, fail } from "./errors.js";
import { type Headers, nextLink, paginate, readBody, send, sendJson } from "./http.js";
import { MEDIA, parseManifest, referrerDescriptor, requiredBlobs } from "./manifest.js";
import { hashBytes, validDigest, validName, validTag } from "./storage.js";
import type { TokenAuth } from "./token.js";

export interface RouteCtx extends BlobCtx {
  /** Basic auth on every request, or (with `tokens`) the users the token realm accepts. */
  auth?: Htpasswd;
  tokens?: TokenAuth;
  log(line: string): void;
}

/** Manifests past this size are refused (the spec asks registries to take at least 4 MiB). */
const MANIFEST_LIMIT = 4 * 1024 * 1024;

const ROUTES: [RegExp, string][] = [
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, "uploads"],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, "upload"],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, "blob"],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, "manifest"],
  [/^\/v2\/(.+)\/tags\/list$/, "tags"],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, "referrers"],
];

export function handler(ctx: RouteCtx): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    res.setHeader("Docker-Distribution-API-Version", "registry/2.0");
    route(ctx, req, res).catch((e) => sendError(ctx, req, res, e));
  };
}

function sendError(ctx: RouteCtx, req: IncomingMessage, res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (!(e instanceof DistributionError)) {
    // A client that went away mid-body is not worth a log line.
    if (req.destroyed || (e as NodeJS.ErrnoException).code === "ERR_STREAM_PREMATURE_CLOSE") {
      res.destroy();
      return;
    }
    ctx.log(`registry: ${req.method} ${req.url}: ${(e as Error).stack ?? e}`);
    e = new DistributionError(500, "UNKNOWN", (e as Error).message ?? "internal error");
  }
  const err = e as DistributionError;
  send(
    res,
    err.status,
    { "Content-Type": "application/json; charset=utf-8", ...err.headers },
    errorBody(err),
  );
}

function methods(req: IncomingMessage, allowed: string[]): void {
  if (!allowed.includes(req.method ?? "")) throw fail("UNSUPPORTED", `${req.method} not allowed here`);
}

async function route(ctx: RouteCtx, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://registry");
  const path = url.pathname;
  const q = url.searchParams;
  if (path === "/v1/_ping") {
    // docker search checks this before /v1/search.
    send(res, 200, { "Content-Type": "application/json", "X-Docker-Registry-Standalone": "true" }, "true");
    return;
  }
  if (path === "/token" && ctx.tokens) return issueToken(ctx.tokens, req, res, q);
  if (path !== "/v1/search" && path !== "/v2" && !path.startsWith("/v2/"))
    throw new DistributionError(404, "NOT_FOUND", "no such endpoint");
  if (ctx.tokens) await authorizeToken(ctx, ctx.tokens, req, path, q);
  else if (ctx.auth && !(await ctx.auth.check(req.headers.authorization)))
    throw new DistributionError(401, "UNAUTHORIZED", "authentication required", undefined, {
      "WWW-Authenticate": CHALLENGE,
    });
  if (path === "/v1/search") return search(ctx, req, res, q);
  if (path === "/v2" || path === "/v2/") {
    methods(req, ["GET", "HEAD"]);
    return sendJson(res, 200, {});
  }
  if (path === "/v2/_catalog") {
    methods(req, ["GET"]);
    const { page, n, next } = paginate(await ctx.store.repositories(), q);
    const headers: Headers = next && n ? { Link: nextLink("/v2/_catalog", n, next) } : {};
    return sendJson(res, 200, { repositories: page }, headers);
  }
  for (const [re, kind] of ROUTES) {
    const m = re.exec(path);
    if (!m) continue;
    const name = m[1];
    if (!validName(name)) throw fail("NAME_INVALID", `invalid repository name ${name}`, { name });
    const ref = m[2] === undefined ? "" : decodeURIComponent(m[2]);
    switch (kind) {
      case "uploads":
        methods(req, ["POST"]);
        return startUpload(ctx, req, res, name, q);
      case "upload":
        methods(req, ["GET", "PATCH", "PUT", "DELETE"]);
        return continueUpload(ctx, req, res, name, ref, q);
      case "blob":
        methods(req, ["GET", "HEAD", "DELETE"]);
        return req.method === "DELETE" ? deleteBlob(ctx, res, name, ref) : getBlob(ctx, req, res, name, ref);
      case "manifest":
        methods(req, ["GET", "HEAD", "PUT", "DELETE"]);
        if (req.method === "PUT") return putManifest(ctx, req, res, name, ref);
        if (req.method === "DELETE") return deleteManifest(ctx, res, name, ref);
        return getManifest(ctx, req, res, name, ref);
      case "tags":
        methods(req, ["GET"]);
        return listTags(ctx, res, name, q);
      case "referrers":
        methods(req, ["GET"]);
        return referrers(ctx, res, name, ref, q);
    }
  }
  throw new DistributionError(404, "NOT_FOUND", "no such endpoint");
}

// --- token auth ---

async function issueToken(
  tokens: TokenAuth,
  req: IncomingMessage,
  res: ServerResponse,
  q: URLSearchParams,
): Promise<void> {
  methods(req, ["GET"]);
  const scopes = q.getAll("scope").flatMap((s) => s.split(" ").filter(Boolean));
  const granted = await tokens.issue(req.headers.authorization, scopes);
  if (!granted)
    throw new DistributionError(401, "UNAUTHORIZED", "authentication required", undefined, {
      "WWW-Authenticate": 'Basic realm="berth-registry"',
    });
  sendJson(res, 200, granted);
}

/** What a /v2/ request needs from its token: an action on a repository, the catalog, or nothing. */
function neededAccess(
  method: string,
  path: string,
): { type: string; name: string; action: string } | undefined {
  if (path === "/v2/_catalog") return { type: "registry", name: "catalog", action: "*" };
  for (const [re] of ROUTES) {
    const m = re.exec(path);
    if (!m) continue;
    const action = method === "GET" || method === "HEAD" ? "pull" : method === "DELETE" ? "delete" : "push";
    return { type: "repository", name: m[1]!, action };
  }
  return undefined;
}

async function authorizeToken(
  ctx: RouteCtx,
  tokens: TokenAuth,
  req: IncomingMessage,
  path: string,
  q: URLSearchParams,
): Promise<void> {
  const authz = req.headers.authorization;
  // docker search speaks v1 and may send the Basic credentials it logged in with.
  if (path === "/v1/search" && (await ctx.auth?.check(authz))) return;
  const need = path === "/v1/search" ? undefined : neededAccess(req.method ?? "GET", path);
  if (tokens.allows(authz, need)) {
    // A cross-repository mount also reads the source repository; without that, a plain upload.
    const from = q.get("from");
    if (q.has("mount") && from && !tokens.allows(authz, { type: "repository", name: from, action: "pull" }))
      q.delete("mount");
    return;
  }
  const scope = need
    ? `${need.type}:${need.name}:${need.action === "push" ? "pull,push" : need.action}`
    : undefined;
  const hadToken = /^Bearer\s/i.test(authz ?? "");
  throw new DistributionError(
    401,
    "UNAUTHORIZED",
    "authentication required",
    need ? [{ Type: need.type, Name: need.name, Action: need.action }] : undefined,
    { "WWW-Authenticate": tokens.challenge(req, scope, hadToken) },
  );
}

// --- manifests ---

async function putManifest(
  ctx: RouteCtx,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  ref: string,
): Promise<void> {
  const byDigest = ref.includes(":");
  if (byDigest ? !validDigest(ref) : !validTag(ref))
    throw fail(byDigest ? "DIGEST_INVALID" : "TAG_INVALID", `invalid reference ${ref}`);
  const body = await readBody(req, MANIFEST_LIMIT);
  const p = parseManifest(body, req.headers["content-type"]);
  // The digest is of the exact bytes received; pushing by digest must match it.
  const digest = hashBytes(body, byDigest ? ref.slice(0, ref.indexOf(":")) : "sha256");
  if (byDigest && digest !== ref)
    throw fail("DIGEST_INVALID", "manifest digest does not match the reference", {
      expected: ref,
      actual: digest,
    });
  const missing: string[] = [];
  for (const d of requiredBlobs(p)) {
    if ((await ctx.store.blobSizeIn(name, d.digest)) === null) missing.push(d.digest);
  }
  for (const d of p.children) {
    if (!(await ctx.store.manifestMeta(name, d.digest))) missing.push(d.digest);
  }
  if (missing.length > 0)
    throw fail("MANIFEST_BLOB_UNKNOWN", `manifest references unknown blobs: ${missing.join(", ")}`, {
      digest: missing[0],
      missing,
    });
  await ctx.store.putBlobBytes(digest, body);
  await ctx.store.putManifest(name, {
    digest,
    mediaType: p.mediaType,
    size: body.length,
    subject: p.subject?.digest,
  });
  if (p.subject)
    await ctx.store.addReferrer(name, p.subject.digest, referrerDescriptor(p, digest, body.length));
  if (!byDigest) await ctx.store.setTag(name, ref, digest);
  const headers: Record<string, string> = {
    Location: `/v2/${name}/manifests/${digest}`,
    "Docker-Content-Digest": digest,
  };
  if (p.subject) headers["OCI-Subject"] = p.subject.digest;
  send(res, 201, headers);
}

async function resolve(ctx: RouteCtx, name: string, ref: string): Promise<string> {
  const unknown = () => fail("MANIFEST_UNKNOWN", "manifest unknown to registry", { name, reference: ref });
  if (ref.includes(":")) {
    if (!validDigest(ref)) throw fail("DIGEST_INVALID", `invalid digest ${ref}`);
    return ref;
  }
  if (!validTag(ref)) throw unknown();
  const digest = await ctx.store.resolveTag(name, ref);
  if (!digest) {
    if (!(await ctx.store.repoExists(name)))
      throw fail("NAME_UNKNOWN", "repository name not known to registry", { name });
    throw unknown();
  }
  return digest;
}

async function getManifest(
  ctx: RouteCtx,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  ref: string,
): Promise<void> {
  const digest = await resolve(ctx, name, ref);
  const meta = await ctx.store.manifestMeta(name, digest);
  const body = meta ? await readFile(ctx.store.blobPath(digest)).catch(() => null) : null;
  if (!meta || !body)
    throw fail("MANIFEST_UNKNOWN", "manifest unknown to registry", { name, reference: ref });
  res.writeHead(200, {
    "Content-Type": meta.mediaType,
    "Content-Length": body.length,
    "Docker-Content-Digest": digest,
    ETag: `"${digest}"`,
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

async function deleteManifest(ctx: RouteCtx, res: ServerResponse, name: string, ref: string): Promise<void> {
  const gone = ref.includes(":")
    ? validDigest(ref) && (await ctx.store.deleteManifest(name, ref))
    : validTag(ref) && (await ctx.store.deleteTag(name, ref));
  if (!gone) throw fail("MANIFEST_UNKNOWN", "manifest unknown to registry", { name, reference: ref });
  send(res, 202);
}

// --- listings ---

async function listTags(ctx: RouteCtx, res: ServerResponse, name: string, q: URLSearchParams): Promise<void> {
  if (!(await ctx.store.repoExists(name)))
    throw fail("NAME_UNKNOWN", "repository name not known to registry", { name });
  const { page, n, next } = paginate(await ctx.store.tags(name), q);
  const headers: Headers = next && n ? { Link: nextLink(`/v2/${name}/tags/list`, n, next) } : {};
  sendJson(res, 200, { name, tags: page }, headers);
}

async function referrers(
  ctx: RouteCtx,
  res: ServerResponse,
  name: string,
  ref: string,
  q: URLSearchParams,
): Promise<void> {
  if (!validDigest(ref)) throw fail("DIGEST_INVALID", `invalid digest ${ref}`);
  let list = await ctx.store.referrers(name, ref);
  const artifactType = q.get("artifactType");
  const headers: Record<string, string> = { "Content-Type": MEDIA.ociIndex };
  if (artifactType) {
    list = list.filter((d) => d.artifactType === artifactType);
    headers["OCI-Filters-Applied"] = "artifactType";
  }
  const body = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: list });
  send(res, 200, headers, body);
}

/** Docker's v1 search, so `docker search <host:port>/<term>` lists matching repositories. */
async function search(
  ctx: RouteCtx,
  req: IncomingMessage,
  res: ServerResponse,
  q: URLSearchParams,
): Promise<void> {
  methods(req, ["GET"]);
  const term = (q.get("q") ?? "").toLowerCase();
  const n = Math.min(Math.max(Number(q.get("n")) || 25, 1), 100);
  const names = (await ctx.store.repositories()).filter((r) => r.includes(term));
  sendJson(res, 200, {
    num_results: names.length,
    query: q.get("q") ?? "",
    results: names.slice(0, n).map((name) => ({
      name,
      description: "",
      star_count: 0,
      is_official: false,
      is_automated: false,
    })),
  });
}
