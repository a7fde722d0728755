/**
 * Test helper: a slow registry, i.e. a proxy in front of one that moves blob
 * bodies (GET responses and PATCH/PUT uploads) at a set rate and records
 * what it saw, so a test can tell whether berthd finished or cut a transfer.
 * It runs in the test's process: drive the docker CLI asynchronously while it
 * carries data (a synchronous child stalls it).
 */
import { createServer, request, type Server } from "node:http";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the proxy saw of blob transfers: bytes moved, and transfers the client ended early. */
export interface Traffic {
  /** Blob bytes sent to berthd (pulls) or received from it (pushes). */
  bytes: number;
  /** Blob transfers in progress now. */
  active: number;
  /** Blob transfers berthd closed before they were complete. */
  cut: number;
  /** Range headers of blob GETs (a resumed pull sends `bytes=N-`). */
  ranges: string[];
  /** Every request: method, path, the status answered. */
  requests: string[];
}

/**
 * A proxy to the registry that moves blob bodies (GET responses and
 * PATCH/PUT uploads) 64 KiB at a time at about `bytesPerSecond`.
 */
export function slowProxy(target: number, bytesPerSecond: number): { server: Server; t: Traffic } {
  const t: Traffic = { bytes: 0, active: 0, cut: 0, ranges: [], requests: [] };
  const pause = () => sleep((64 * 1024 * 1000) / bytesPerSecond);
  const server = createServer(async (req, res) => {
    const blob = req.url?.includes("/blobs/") ?? false;
    const upload = blob && (req.method === "PATCH" || req.method === "PUT");
    const download = blob && req.method === "GET";
    if (download && req.headers.range) t.ranges.push(req.headers.range);
    let complete = false;
    if (upload || download) {
      t.active++;
      res.once("close", () => {
        t.active--;
        if (!complete) t.cut++;
      });
    }
    const up = request({
      host: "127.0.0.1",
      port: target,
      path: req.url,
      method: req.method,
      headers: req.headers,
    });
    up.on("error", () => res.destroy());
    req.on("error", () => up.destroy());
    up.on("response", async (upRes) => {
      t.requests.push(`${req.method} ${req.url} ${upRes.statusCode}`);
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      try {
        for await (const chunk of upRes as AsyncIterable<Buffer>) {
          for (let off = 0; off < chunk.length; off += 64 * 1024) {
            if (res.destroyed) return;
            const part = chunk.subarray(off, off + 64 * 1024);
            res.write(part);
            if (download) {
              t.bytes += part.length;
              await pause();
            }
          }
        }
      } catch {
        return res.destroy();
      }
      complete = true;
      res.end();
    });
    // Uploads are read slowly; a request cut by berthd ends here (req errors, res closes).
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        for (let off = 0; off < chunk.length; off += 64 * 1024) {
          const part = chunk.subarray(off, off + 64 * 1024);
          if (!up.write(part)) await new Promise((r) => up.once("drain", r));
          if (upload) {
            t.bytes += part.length;
            await pause();
          }
        }
      }
      up.end();
    } catch {
      up.destroy();
    }
  });
  return { server, t };
}
