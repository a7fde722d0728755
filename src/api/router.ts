/**
 * A small router for the Engine API: routes are (method, path pattern) pairs;
 * `{name}` matches one segment, `{name*}` matches the rest (image names have
 * slashes). The /vX.Y prefix is stripped before matching.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Static, TSchema } from "@sinclair/typebox";
import { invalid, tooLarge } from "../util/errors.js";
import { check } from "../util/schema.js";
import { readAll } from "../util/stream.js";

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** API version requested by the client (e.g. "1.41"). */
  version: string;
  /** Set when the client asked to upgrade the connection (attach, exec start). */
  upgrade?: { socket: Duplex; head: Buffer };
}

/**
 * Takes over the connection for a raw bidirectional stream (attach, exec):
 * `101 UPGRADED` when the client asked for `Upgrade: tcp`, else a 200 whose
 * body is the stream. Returns the socket to read stdin from and write to,
 * paused: the client sends stdin (and may half-close) at once, and bytes
 * emitted before the attach or exec is ready would be lost. Whoever reads
 * stdin calls resume() once its listeners are on.
 */
export function hijack(ctx: Ctx, contentType: string): Duplex {
  if (ctx.upgrade) {
    const { socket, head } = ctx.upgrade;
    socket.pause();
    (socket as { hijacked?: boolean }).hijacked = true;
    socket.write(
      `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: 1.41\r\n\r\n`,
    );
    if (head.length) socket.unshift(head);
    return socket;
  }
  const socket = ctx.req.socket;
  socket.pause();
  socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\nApi-Version: 1.41\r\n\r\n`);
  // The HTTP parser must let go of the socket so stdin bytes reach us.
  (ctx.res as unknown as { detachSocket(s: unknown): void }).detachSocket(socket);
  return socket;
}

/**
 * An AbortSignal for work the client can abandon (pull, push, load, import,
 * build, save): aborted when the response closes before it was finished,
 * i.e. the client hung up (Ctrl-C on `docker pull`) or its upload was cut, as
 * moby cancels the request's context. Modules below the API take the signal
 * and know nothing of HTTP.
 */
export function clientSignal(ctx: Ctx): AbortSignal {
  const ac = new AbortController();
  ctx.res.once("close", () => {
    if (!ctx.res.writableFinished) ac.abort(new ClientGoneError());
  });
  return ac.signal;
}

/** The abort reason of clientSignal: the client closed the connection before the answer was complete. */
export class ClientGoneError extends Error {
  constructor() {
    super("client disconnected: operation cancelled");
    this.name = "AbortError";
  }
}

export type Handler = (ctx: Ctx) => Promise<void> | void;

interface Route {
  method: string;
  pattern: string;
  re: RegExp;
  names: string[];
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    const names: string[] = [];
    const re = pattern.replace(/\{(\w+)(\*?)\}/g, (_m, name: string, rest: string) => {
      names.push(name);
      return rest ? "(.+)" : "([^/]+)";
    });
    this.routes.push({ method, pattern, re: new RegExp(`^${re}$`), names, handler });
    return this;
  }

  get(p: string, h: Handler) {
    return this.add("GET", p, h);
  }
  post(p: string, h: Handler) {
    return this.add("POST", p, h);
  }
  put(p: string, h: Handler) {
    return this.add("PUT", p, h);
  }
  delete(p: string, h: Handler) {
    return this.add("DELETE", p, h);
  }
  head(p: string, h: Handler) {
    return this.add("HEAD", p, h);
  }

  /** Every registered (method, pattern), in registration order (docs/COMPATIBILITY.md is checked against it). */
  list(): { method: string; pattern: string }[] {
    return this.routes.map((r) => ({ method: r.method, pattern: r.pattern }));
  }

  match(
    method: string,
    path: string,
  ): { handler: Handler; params: Record<string, string> } | "method" | undefined {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method && !(method === "HEAD" && r.method === "GET")) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => {
        params[n] = decodeURIComponent(m[i + 1]!);
      });
      return { handler: r.handler, params };
    }
    return pathMatched ? "method" : undefined;
  }
}

/**
 * The largest JSON body berthd reads (bytes). Docker sets none; the biggest
 * real bodies (a create with many mounts and labels) are a few KB, and a
 * bound keeps a hostile client from filling the daemon's memory.
 */
export const MAX_JSON_BODY = 1024 * 1024;

/**
 * Parses a JSON request body; malformed JSON is a 400 with a message, a body
 * over MAX_JSON_BODY a 413 (refused from Content-Length before reading).
 * `jsonBody` only casts: use `checkedBody` with a schema for a checked value.
 */
export async function jsonBody<T>(ctx: Ctx, optional = false): Promise<T> {
  const declared = Number(ctx.req.headers["content-length"] ?? 0);
  if (declared > MAX_JSON_BODY) {
    // Refused unread, and the connection closed after the answer: draining the rest would
    // cost the daemon as much as reading it.
    ctx.res.setHeader("Connection", "close");
    throw tooLarge(`request body is too large: ${declared} bytes (limit ${MAX_JSON_BODY})`);
  }
  // Past the limit (a chunked body) the answer goes out at once and Node drops the rest of the
  // body as it comes, holding none of it, so a client still sending gets the 413, not EPIPE.
  const buf = ctx.upgrade ? await upgradeBody(ctx) : await readAll(ctx.req, MAX_JSON_BODY);
  if (buf.length === 0) {
    if (optional) return {} as T;
    throw invalid("request body is empty: a JSON body is required");
  }
  try {
    return JSON.parse(buf.toString("utf8")) as T;
  } catch (err) {
    throw invalid(`invalid JSON in request body: ${(err as Error).message}`);
  }
}

/**
 * Discards a request body nobody wants before the connection is hijacked
 * (dockerode sends attach options as JSON on the upgrade request; Docker
 * ignores them, and they must not reach the container's stdin).
 */
export async function skipBody(ctx: Ctx): Promise<void> {
  if (ctx.upgrade) await upgradeBody(ctx);
}

/**
 * Reads the JSON body and checks it against `schema` (400 naming the field
 * that does not match); `what` names the document in messages.
 */
export async function checkedBody<T extends TSchema>(
  ctx: Ctx,
  schema: T,
  what: string,
  optional = false,
): Promise<Static<T>> {
  return check(schema, await jsonBody<unknown>(ctx, optional), what);
}

/**
 * On an upgraded connection Node leaves the request body unread: take
 * Content-Length bytes from `head` and the socket, and leave the rest (the
 * client's stdin) in place.
 */
async function upgradeBody(ctx: Ctx): Promise<Buffer> {
  const up = ctx.upgrade!;
  const want = Number(ctx.req.headers["content-length"] ?? 0);
  let have = up.head;
  while (have.length < want) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (d: Buffer) => {
        up.socket.off("end", onEnd);
        up.socket.pause();
        resolve(d);
      };
      const onEnd = () => {
        up.socket.off("data", onData);
        resolve(null);
      };
      up.socket.once("data", onData).once("end", onEnd);
      up.socket.resume();
    });
    if (!chunk) break;
    have = Buffer.concat([have, chunk]);
  }
  up.head = have.subarray(want);
  return have.subarray(0, want);
}

export function sendJson(ctx: Ctx, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  ctx.res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
  });
  ctx.res.end(ctx.req.method === "HEAD" ? undefined : body);
}

/**
 * Streams a tar (save, export, cp) into the response with
 * stream/promises.pipeline: a client that hangs up destroys `tar` (its walk
 * stops, its fds close), and a failure of `tar` mid-way cuts the response
 * (the client sees a truncated body, as with Docker). Neither is an error of
 * the request: it is logged by the producer, not answered.
 */
export async function sendTar(ctx: Ctx, tar: Readable): Promise<void> {
  await pipeline(tar, ctx.res).catch(() => {});
}

export function sendStatus(ctx: Ctx, status: number): void {
  ctx.res.writeHead(status);
  ctx.res.end();
}

export function boolParam(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null || v === "") return dflt;
  return !(v === "0" || v.toLowerCase() === "false");
}

/** An integer query parameter (Go's strconv.Atoi): anything else is a 400 naming it. */
export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (!/^[-+]?\d+$/.test(v.trim()) || !Number.isSafeInteger(Number(v)))
    throw invalid(`invalid value for ${name}: ${JSON.stringify(v)} is not an integer`);
  return Number(v);
}

/**
 * A time query parameter (since, until): Unix seconds with an optional
 * fraction, as the docker CLI sends (timetypes.ParseTimestamps), or an
 * RFC 3339 date. Anything else is a 400 naming the parameter.
 */
export function timeParam(q: URLSearchParams, name: string): Date | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (/^-?\d+(\.\d{1,9})?$/.test(v)) return new Date(Number(v) * 1000);
  const t = /^\d{4}-\d\d-\d\d/.test(v) ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(t))
    throw invalid(`invalid value for ${name}: ${JSON.stringify(v)} is not a Unix timestamp or RFC 3339 date`);
  return new Date(t);
}

/** A query parameter that must be one of `allowed` (or absent). */
export function enumParam<T extends string>(
  q: URLSearchParams,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (!allowed.includes(v as T))
    throw invalid(`invalid value for ${name}: ${JSON.stringify(v)} (expected one of ${allowed.join(", ")})`);
  return v as T;
}

/**
 * A streaming JSON response (pull, push, load, build progress): one JSON
 * object per line, flushed as it is written.
 */
export class JsonStream {
  private started = false;
  constructor(private readonly ctx: Ctx) {}

  write(obj: unknown): void {
    if (!this.started) {
      this.ctx.res.writeHead(200, { "Content-Type": "application/json" });
      this.started = true;
    }
    this.ctx.res.write(`${JSON.stringify(obj)}\r\n`);
  }

  /** Errors after the stream began are sent in-band, as Docker does. */
  error(err: Error): void {
    this.write({ errorDetail: { message: err.message }, error: err.message });
  }

  end(): void {
    if (!this.started) this.ctx.res.writeHead(200, { "Content-Type": "application/json" });
    this.ctx.res.end();
  }
}
