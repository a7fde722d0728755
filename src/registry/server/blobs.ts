/** Blob reads and deletes, and the upload protocol (POST, PATCH, PUT, GET status, DELETE, mount). */
import { createReadStream, createWriteStream } from "node:fs";
import { truncate } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { DistributionError, fail } from "./errors.js";
import { type Headers, parseRange, send } from "./http.js";
import { fsyncFile, hashFile, type Storage, validDigest } from "./storage.js";

export interface BlobCtx {
  store: Storage;
  /** Serialises requests on one upload: a PATCH must see the size the previous one left. */
  lock<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

function digestParam(d: string | null): string {
  if (!d || !validDigest(d)) throw fail("DIGEST_INVALID", `invalid digest ${d ?? "(none)"}`);
  return d;
}

export async function getBlob(
  ctx: BlobCtx,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  ref: string,
): Promise<void> {
  const digest = digestParam(ref);
  const size = await ctx.store.blobSizeIn(name, digest);
  if (size === null) throw fail("BLOB_UNKNOWN", "blob unknown to registry", { digest });
  const headers: Headers = {
    "Content-Type": "application/octet-stream",
    "Docker-Content-Digest": digest,
    "Accept-Ranges": "bytes",
    ETag: `"${digest}"`,
    "Cache-Control": "max-age=31536000",
  };
  const range = parseRange(req.headers.range, size);
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  if (range) headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
  res.writeHead(range ? 206 : 200, { ...headers, "Content-Length": end - start + 1 });
  if (req.method === "HEAD" || size === 0) {
    res.end();
    return;
  }
  await pipeline(createReadStream(ctx.store.blobPath(digest), { start, end }), res);
}

export async function deleteBlob(
  ctx: BlobCtx,
  res: ServerResponse,
  name: string,
  ref: string,
): Promise<void> {
  const digest = digestParam(ref);
  if (!(await ctx.store.unlinkBlob(name, digest)))
    throw fail("BLOB_UNKNOWN", "blob unknown to registry", { digest });
  send(res, 202, { "Docker-Content-Digest": digest });
}

function uploadHeaders(name: string, uuid: string, size: number): Headers {
  return {
    Location: `/v2/${name}/blobs/uploads/${uuid}`,
    "Docker-Upload-UUID": uuid,
    // Inclusive end of what was received; "0-0" also stands for nothing yet, as distribution does.
    Range: `0-${Math.max(0, size - 1)}`,
  };
}

/** POST /v2/<name>/blobs/uploads/: cross-repository mount, monolithic upload or a new session. */
export async function startUpload(
  ctx: BlobCtx,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  q: URLSearchParams,
): Promise<void> {
  const mount = q.get("mount");
  const from = q.get("from");
  if (mount !== null) {
    const digest = digestParam(mount);
    if (from && (await ctx.store.blobSizeIn(from, digest)) !== null) {
      await ctx.store.link(name, digest);
      send(res, 201, { Location: `/v2/${name}/blobs/${digest}`, "Docker-Content-Digest": digest });
      return;
    }
    // Not mountable: the client gets an ordinary upload session instead.
  }
  const uuid = await ctx.store.newUpload(name);
  const digest = q.get("digest");
  if (digest !== null) {
    digestParam(digest);
    await ctx.lock(uuid, async () => {
      await appendChunk(ctx, req, name, uuid);
      await finish(ctx, res, name, uuid, digest);
    });
    return;
  }
  send(res, 202, uploadHeaders(name, uuid, 0));
}

/** GET, PATCH, PUT and DELETE on /v2/<name>/blobs/uploads/<uuid>. */
export async function continueUpload(
  ctx: BlobCtx,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  uuid: string,
  q: URLSearchParams,
): Promise<void> {
  const state = await ctx.store.uploadState(uuid);
  if (!state || state.name !== name)
    throw fail("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", { uuid });
  await ctx.lock(uuid, async () => {
    // Re-checked under the lock: a concurrent PUT or DELETE may have ended the upload.
    if (!(await ctx.store.uploadState(uuid)))
      throw fail("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", { uuid });
    switch (req.method) {
      case "GET":
        send(res, 204, uploadHeaders(name, uuid, await ctx.store.uploadSize(uuid)));
        return;
      case "PATCH": {
        const size = await appendChunk(ctx, req, name, uuid);
        send(res, 202, uploadHeaders(name, uuid, size));
        return;
      }
      case "PUT": {
        const digest = digestParam(q.get("digest"));
        await appendChunk(ctx, req, name, uuid);
        await finish(ctx, res, name, uuid, digest);
        return;
      }
      case "DELETE":
        await ctx.store.dropUpload(uuid);
        send(res, 204);
        return;
      default:
        throw fail("UNSUPPORTED", `${req.method} not supported on uploads`);
    }
  });
}

/**
 * Appends the request body to the upload. With a Content-Range it must start where the data ends
 * (else 416) and its length must match; without one (streamed uploads) the body is simply appended.
 */
async function appendChunk(ctx: BlobCtx, req: IncomingMessage, name: string, uuid: string): Promise<number> {
  const file = ctx.store.uploadData(uuid);
  const before = await ctx.store.uploadSize(uuid);
  const header = req.headers["content-range"];
  let expected: number | undefined;
  if (header) {
    const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
    const start = m ? Number(m[1]) : -1;
    const end = m ? Number(m[2]) : -1;
    if (!m || start !== before || end < start) {
      const e = fail("RANGE_INVALID", `chunk ${header} does not start at offset ${before}`);
      throw new DistributionError(
        e.status,
        e.code,
        e.message,
        { offset: before },
        stringify(uploadHeaders(name, uuid, before)),
      );
    }
    expected = end - start + 1;
  }
  try {
    await pipeline(req, createWriteStream(file, { flags: "a" }));
  } catch (e) {
    // A broken connection leaves what arrived: the client can ask for the offset and resume.
    if (expected !== undefined) await truncate(file, before);
    throw e;
  }
  const after = await ctx.store.uploadSize(uuid);
  if (expected !== undefined && after - before !== expected) {
    await truncate(file, before);
    throw fail("SIZE_INVALID", `chunk was ${after - before} bytes, Content-Range said ${expected}`);
  }
  return after;
}

/** Verifies the data against `digest`, then moves it into the blob store and links it into `name`. */
async function finish(
  ctx: BlobCtx,
  res: ServerResponse,
  name: string,
  uuid: string,
  digest: string,
): Promise<void> {
  const file = ctx.store.uploadData(uuid);
  const actual = await hashFile(file, digest.slice(0, digest.indexOf(":")));
  if (actual !== digest) {
    await ctx.store.dropUpload(uuid);
    throw fail("DIGEST_INVALID", "provided digest did not match uploaded content", {
      expected: digest,
      actual,
    });
  }
  await fsyncFile(file);
  await ctx.store.commitBlob(file, digest);
  await ctx.store.link(name, digest);
  await ctx.store.dropUpload(uuid);
  send(res, 201, { Location: `/v2/${name}/blobs/${digest}`, "Docker-Content-Digest": digest });
}

function stringify(h: Headers): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, String(v)]));
}
