/**
 * The CLI's only way to the engine: HTTP over berthd's socket (unix, or tcp
 * with TLS) speaking Engine API v1.41. request() streams, json() decodes,
 * hijack() upgrades the connection for attach/exec.
 */
import { existsSync, readFileSync } from "node:fs";
import http, { type IncomingMessage, type RequestOptions } from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { contextName, loadContext, type ResolvedContext } from "./context.js";

export const API_VERSION = "1.41";
export const DEFAULT_HOST = "unix:///run/berth/berth.sock";

/** An error with the exit status the CLI should end with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The daemon answered with an error status; message is the daemon's. */
export class DaemonError extends CliError {
  constructor(
    readonly daemonMessage: string,
    readonly statusCode: number,
  ) {
    super(`Error response from daemon: ${daemonMessage}`);
  }
}

export interface HostOptions {
  host?: string;
  /** --context: a docker context name (see context.ts). */
  context?: string;
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

export interface RequestInit {
  query?: Record<string, string | number | boolean | string[] | undefined | null>;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Resolves -H, BERTH_HOST, DOCKER_HOST, then the current docker context, then the default socket. */
export function resolveHost(
  opts: HostOptions,
  env = process.env,
): { host: string; context: ResolvedContext } {
  if (opts.host && opts.context)
    throw new CliError(`conflicting options: cannot specify both --host and --context`);
  const context = loadContext(contextName(opts, env), env);
  return {
    host: opts.host || env.BERTH_HOST || env.DOCKER_HOST || context.host || defaultHost(env),
    context,
  };
}

/**
 * The socket used when nothing names one: a user's own rootless daemon
 * ($XDG_RUNTIME_DIR/berth.sock) when it is there and the user is not root, else
 * the system daemon's.
 */
export function defaultHost(env = process.env): string {
  if (process.getuid?.() !== 0 && env.XDG_RUNTIME_DIR) {
    const sock = `${env.XDG_RUNTIME_DIR}/berth.sock`;
    if (existsSync(sock)) return `unix://${sock}`;
  }
  return DEFAULT_HOST;
}

export class Client {
  readonly host: string;
  /** The docker context this client's endpoint came from ("default" for -H/env/the default socket). */
  readonly context: string;
  private readonly base: RequestOptions;
  private readonly secure: boolean;

  constructor(opts: HostOptions = {}, env = process.env) {
    const r = resolveHost(opts, env);
    this.host = r.host;
    this.context = r.context.name;
    const u = new URL(this.host.includes("://") ? this.host : `tcp://${this.host}`);
    const ctxTls = r.context.tlsDir !== undefined && this.host === r.context.host;
    const verify =
      opts.tlsverify ||
      (!!env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== "0") ||
      (ctxTls && !r.context.skipTLSVerify);
    this.secure = false;
    if (u.protocol === "unix:") {
      this.base = { socketPath: u.pathname };
    } else if (u.protocol === "tcp:" || u.protocol === "http:" || u.protocol === "https:") {
      this.base = { host: u.hostname, port: Number(u.port) || (verify || opts.tls ? 2376 : 2375) };
      if (opts.tls || verify || ctxTls || u.protocol === "https:") {
        this.secure = true;
        const dir =
          (ctxTls ? r.context.tlsDir : undefined) ?? (env.DOCKER_CERT_PATH || join(homedir(), ".docker"));
        const read = (f: string | undefined, def: string) => {
          try {
            return readFileSync(f || join(dir, def));
          } catch (e) {
            if (f || verify) throw new CliError(`could not read TLS material: ${(e as Error).message}`);
            return undefined;
          }
        };
        Object.assign(this.base, {
          ca: read(opts.tlscacert, "ca.pem"),
          cert: read(opts.tlscert, "cert.pem"),
          key: read(opts.tlskey, "key.pem"),
          rejectUnauthorized: verify,
        });
      }
    } else {
      throw new CliError(`unable to parse docker host \`${this.host}\``);
    }
  }

  private path(p: string, query?: RequestInit["query"]): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined || v === null || v === "") continue;
      if (Array.isArray(v)) for (const x of v) qs.append(k, x);
      else qs.set(k, typeof v === "boolean" ? (v ? "1" : "0") : String(v));
    }
    const s = qs.toString();
    return `/v${API_VERSION}${p}${s ? `?${s}` : ""}`;
  }

  private options(method: string, path: string, init: RequestInit): RequestOptions {
    const headers: Record<string, string> = { "User-Agent": "berth-cli/0.1", ...init.headers };
    const b = init.body;
    if (b !== undefined && !isStream(b) && !Buffer.isBuffer(b) && typeof b !== "string") {
      headers["Content-Type"] ??= "application/json";
    }
    return { ...this.base, method, path: this.path(path, init.query), headers };
  }

  private cannotConnect(e: NodeJS.ErrnoException): CliError {
    if (
      ["ENOENT", "ECONNREFUSED", "EACCES", "ENOTFOUND", "ECONNRESET", "EHOSTUNREACH"].includes(e.code ?? "")
    ) {
      return new CliError(`Cannot connect to the berth daemon at ${this.host}: is berthd running?`);
    }
    return new CliError(`error during connect: ${e.message}`);
  }

  private send(method: string, path: string, init: RequestInit): http.ClientRequest {
    const req = (this.secure ? https : http).request(this.options(method, path, init));
    const b = init.body;
    // pipeline, not pipe(): a body that fails (an unreadable file) destroys the request, which then errors.
    if (isStream(b)) pipeline(b as unknown as Readable, req).catch(() => {});
    else if (b === undefined) req.end();
    else req.end(Buffer.isBuffer(b) || typeof b === "string" ? b : JSON.stringify(b));
    return req;
  }

  /** Sends a request; resolves with the response once it's a success, else throws DaemonError. */
  async request(method: string, path: string, init: RequestInit = {}): Promise<IncomingMessage> {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = this.send(method, path, init);
      req.on("response", resolve);
      req.on("error", (e) => reject(this.cannotConnect(e)));
    });
    if (res.statusCode && res.statusCode >= 400) throw await errorOf(res);
    return res;
  }

  /** Sends a request and decodes its JSON answer (undefined for an empty body). */
  async json<T = unknown>(method: string, path: string, init: RequestInit = {}): Promise<T> {
    const res = await this.request(method, path, init);
    const text = (await readBody(res)).toString("utf8");
    return (text.trim() ? JSON.parse(text) : undefined) as T;
  }

  get<T = unknown>(path: string, query?: RequestInit["query"]): Promise<T> {
    return this.json<T>("GET", path, { query });
  }

  post<T = unknown>(path: string, query?: RequestInit["query"], body?: unknown): Promise<T> {
    return this.json<T>("POST", path, { query, body });
  }

  /**
   * Upgrades the connection (attach, exec start): `Connection: Upgrade`,
   * `Upgrade: tcp`, expects 101 and returns the raw socket with any bytes
   * that came with the response.
   */
  async hijack(method: string, path: string, init: RequestInit = {}): Promise<Socket> {
    init.headers = { ...init.headers, Connection: "Upgrade", Upgrade: "tcp" };
    return new Promise<Socket>((resolve, reject) => {
      const req = this.send(method, path, init);
      req.on("upgrade", (_res, socket, head) => {
        if (head.length) socket.unshift(head);
        resolve(socket as Socket);
      });
      req.on("response", async (res) => {
        if (res.statusCode && res.statusCode >= 400) return reject(await errorOf(res));
        // A server that answers 200 instead of 101: the body is the stream, stdin can't be sent.
        const sock = res.socket as Socket;
        res.pause();
        resolve(Object.assign(res as unknown as Socket, { end: () => sock.end(), write: () => true }));
      });
      req.on("error", (e) => reject(this.cannotConnect(e)));
    });
  }
}

/** Node streams and streamx ones (tar-stream's pack) alike: anything that pipes. */
function isStream(b: unknown): b is { pipe(d: NodeJS.WritableStream): unknown } {
  return !!b && typeof (b as { pipe?: unknown }).pipe === "function";
}

export async function readBody(res: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function errorOf(res: IncomingMessage): Promise<DaemonError> {
  const text = (await readBody(res)).toString("utf8");
  let msg = text.trim();
  try {
    const j = JSON.parse(text) as { message?: string };
    if (j && typeof j.message === "string") msg = j.message;
  } catch {
    // not JSON: keep the text
  }
  if (!msg) msg = `${res.statusCode} ${res.statusMessage ?? ""}`.trim();
  return new DaemonError(msg, res.statusCode ?? 500);
}
