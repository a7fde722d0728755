/** Filesystem routes: diff (changes), commit, export, and the archive API used by `docker cp`, over an ArchiveBackend. */
import { createGunzip } from "node:zlib";
import { invalid } from "../util/errors.js";
import { piped } from "../util/stream.js";
import type { ArchiveBackend } from "./backend.js";
import { boolParam, jsonBody, type Router, sendJson, sendStatus, sendTar } from "./router.js";

import { parseContainerConfig } from "./schema/containers.js";

export function archiveRoutes(r: Router, files: ArchiveBackend): void {
  r.get("/containers/{id}/changes", async (ctx) => sendJson(ctx, 200, await files.changes(ctx.params.id!)));

  r.post("/commit", async (ctx) => {
    const q = ctx.query;
    const container = q.get("container");
    if (!container) throw invalid("container is required");
    const config = parseContainerConfig(await jsonBody<unknown>(ctx, true));
    const id = await files.commit(container, {
      repo: q.get("repo") || undefined,
      tag: q.get("tag") || undefined,
      comment: q.get("comment") || undefined,
      author: q.get("author") || undefined,
      changes: q
        .getAll("changes")
        .flatMap((s) => s.split("\n"))
        .filter((s) => s.trim() !== ""),
      pause: boolParam(q, "pause", true),
      config: Object.keys(config).length ? config : undefined,
    });
    sendJson(ctx, 201, { Id: id });
  });

  r.get("/containers/{id}/export", async (ctx) => {
    const tar = await files.export(ctx.params.id!);
    ctx.res.writeHead(200, { "Content-Type": "application/x-tar" });
    await sendTar(ctx, tar); // a client gone mid-way releases the container's root
  });

  const pathParam = (q: URLSearchParams) => {
    const p = q.get("path");
    if (!p) throw invalid("path is required");
    return p;
  };
  const statHeader = (s: object) => Buffer.from(JSON.stringify(s)).toString("base64");

  r.head("/containers/{id}/archive", async (ctx) => {
    const st = await files.stat(ctx.params.id!, pathParam(ctx.query));
    ctx.res.writeHead(200, { "X-Docker-Container-Path-Stat": statHeader(st) });
    ctx.res.end();
  });

  r.get("/containers/{id}/archive", async (ctx) => {
    const { stat, tar } = await files.get(ctx.params.id!, pathParam(ctx.query));
    ctx.res.writeHead(200, {
      "Content-Type": "application/x-tar",
      "X-Docker-Container-Path-Stat": statHeader(stat),
    });
    if (ctx.req.method === "HEAD") {
      tar.destroy();
      ctx.res.end();
      return;
    }
    await sendTar(ctx, tar); // the fds and the stopped root are released on close
  });

  r.put("/containers/{id}/archive", async (ctx) => {
    const q = ctx.query;
    const gz = (ctx.req.headers["content-encoding"] ?? "").includes("gzip");
    await files.put(ctx.params.id!, pathParam(q), gz ? piped(ctx.req, [createGunzip()]) : ctx.req, {
      noOverwriteDirNonDir: boolParam(q, "noOverwriteDirNonDir"),
      copyUIDGID: boolParam(q, "copyUIDGID"),
    });
    sendStatus(ctx, 200);
  });
}
