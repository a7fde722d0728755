/**
 * The Engine API server: listens on unix sockets (and TCP with TLS), strips
 * the /vX.Y prefix, routes, and turns thrown errors into Docker's
 * `{"message": ...}` bodies with the status from api/errors.ts.
 */

import { readFileSync } from "node:fs";
import { chmod, chown, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { API_VERSION, type Engine, MIN_API_VERSION } from "../engine/engine.js";
import { BerthError } from "../util/errors.js";
import { archiveRoutes } from "./archive.js";
import { buildRoutes } from "./build.js";
import { containerRoutes } from "./containers.js";
import { distributionRoutes } from "./distribution.js";
import { statusOf } from "./errors.js";
import { imageRoutes } from "./images.js";
import { networkRoutes } from "./networks.js";
import { MAX_JSON_BODY, Router } from "./router.js";
import { systemRoutes } from "./system.js";
import { volumeRoutes } from "./volumes.js";

export type RouteInstaller = (r: Router, engine: Engine) => void;

export function buildRouter(engine: Engine, extra: RouteInstaller[] = []): Router {
  const r = new Router();
  systemRoutes(r, engine);
  imageRoutes(r, engine);
  containerRoutes(r, engine.containers);
  archiveRoutes(r, engine.containerFiles);
  volumeRoutes(r, engine.volumeService);
  networkRoutes(r, engine.networkService);
  distributionRoutes(r, engine.distribution);
  buildRoutes(r, engine.buildService);
  for (const install of extra) install(r, engine);
  return r;
}

const VERSION_PREFIX = /^\/v(\d+\.\d+)(\/.*)$/;

/**
 * Compares dotted versions part by part as numbers (moby's api/types/versions):
 * "1.5" < "1.24" < "1.41". Returns -1, 0 or 1.
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function handler(router: Router, log: Logger) {
  return async (req: IncomingMessage, res: ServerResponse, upgrade?: { socket: Duplex; head: Buffer }) => {
    const url = new URL(req.url ?? "/", "http://berth");
    let path = url.pathname;
    let version = API_VERSION;
    const m = VERSION_PREFIX.exec(path);
    if (m) {
      version = m[1]!;
      path = m[2]!;
    }
    res.setHeader("Api-Version", API_VERSION);
    res.setHeader("Server", `Berth/${API_VERSION} (linux)`);
    res.setHeader("Docker-Experimental", "false");
    res.setHeader("Ostype", "linux");
    const sendError = (status: number, message: string) => {
      if (res.headersSent || (upgrade && (upgrade.socket as { hijacked?: boolean }).hijacked)) {
        res.destroy();
        return;
      }
      const body = JSON.stringify({ message });
      res.writeHead(status, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(body),
      });
      res.end(body);
    };
    // Refusals before any handler runs, logged like the handlers' errors.
    const refuse = (status: number, message: string) => {
      log.info({ method: req.method, path, status, message }, "request error");
      sendError(status, message);
    };
    if (compareVersions(version, API_VERSION) > 0) {
      refuse(400, `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
      return;
    }
    if (compareVersions(version, MIN_API_VERSION) < 0) {
      refuse(
        400,
        `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
      );
      return;
    }
    const match = router.match(req.method ?? "GET", path);
    if (match === undefined) {
      refuse(404, `page not found`);
      return;
    }
    if (match === "method") {
      refuse(405, `method ${req.method} not allowed for ${path}`);
      return;
    }
    const t0 = Date.now();
    try {
      await match.handler({ req, res, params: match.params, query: url.searchParams, version, upgrade });
      log.debug({ method: req.method, path, ms: Date.now() - t0 }, "request");
    } catch (err) {
      const status = statusOf(err);
      const message = (err as Error).message ?? String(err);
      const code = err instanceof BerthError ? err.code : "BERTH_ERR_INTERNAL";
      // Every failed request is logged with its status; 5xx (a fault of berthd's) with its
      // stack (pino's err serializer) and cause.
      if (status >= 500) {
        const what = err instanceof BerthError ? "request failed" : "request failed (unclassified error)";
        log.error({ err, code, method: req.method, path, status }, what);
      } else log.info({ method: req.method, path, status, code, message }, "request error");
      sendError(status, message);
    }
  };
}

/**
 * `Expect: 100-continue` (curl sends it for big bodies): a JSON body larger
 * than berthd reads is refused at once with 413, before the client sends it;
 * anything else is told to continue.
 */
function answerExpectations(server: Server, h: ReturnType<typeof handler>): void {
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    const json = String(req.headers["content-type"] ?? "").startsWith("application/json");
    if (json && Number(req.headers["content-length"] ?? 0) > MAX_JSON_BODY) {
      const body = JSON.stringify({ message: `request body is too large (limit ${MAX_JSON_BODY} bytes)` });
      res.writeHead(413, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(body),
        Connection: "close",
      });
      res.end(body);
      return;
    }
    res.writeContinue();
    void h(req, res);
  });
}

/** Requests with `Upgrade: tcp` (attach, exec) arrive here instead of the request handler. */
function acceptUpgrades(server: Server, h: ReturnType<typeof handler>): void {
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Paused at once: the client sends stdin (and may half-close) right away, and a
    // flowing socket with no listener yet would drop those bytes and its 'end'.
    socket.pause();
    const res = new ServerResponse(req);
    res.assignSocket(socket as import("node:net").Socket);
    h(req, res, { socket, head }).catch(() => socket.destroy()); // h logs and answers its own errors
  });
}

export interface Listener {
  address: string;
  server: Server;
}

export interface TlsOptions {
  verify: boolean;
  ca?: string;
  cert?: string;
  key?: string;
}

/** Refuses listen addresses berthd will not serve (before anything else starts). */
export function checkHosts(hosts: string[], tls: TlsOptions | undefined): void {
  for (const host of hosts) {
    if (host.startsWith("unix://") || host.startsWith("fd://")) continue;
    if (!host.startsWith("tcp://"))
      throw new Error(`unsupported host address ${host}: use unix:///path, fd:// or tcp://host:port`);
    if (!tls?.cert || !tls.key || !tls.verify || !tls.ca)
      throw new Error(
        `refusing to listen on ${host} without TLS client verification: pass --tlsverify --tlscacert --tlscert --tlskey`,
      );
  }
}

/** Where and how listeners are made besides their addresses. */
export interface ListenOptions {
  /** gid given to unix sockets berthd creates (mode 0660); root's group when undefined. */
  socketGid?: number;
  /** Sockets from systemd socket activation, served by fd:// (resolves fd:// into the ones it names). */
  activation?: { fds: number[]; pick: (host: string, fds: number[]) => number[] };
}

/**
 * Starts listeners per -H address: unix:///path (made here, mode 0660,
 * group socketGid), fd:// or fd://N (sockets systemd passed), tcp://host:port
 * (TLS with client verification required).
 */
export async function listen(
  hosts: string[],
  router: Router,
  log: Logger,
  tls?: TlsOptions,
  opts: ListenOptions = {},
): Promise<Listener[]> {
  const out: Listener[] = [];
  for (const host of hosts) {
    const h = handler(router, log);
    if (host.startsWith("fd://")) {
      const act = opts.activation;
      for (const fd of act ? act.pick(host, act.fds) : []) {
        const server = createServer(h);
        acceptUpgrades(server, h);
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen({ fd }, () => resolve());
        });
        out.push({ address: `fd://${fd}`, server });
      }
      if (!act) throw new Error(`${host}: no sockets were passed by systemd socket activation`);
    } else if (host.startsWith("unix://")) {
      const path = host.slice("unix://".length);
      await rm(path, { force: true });
      const server = createServer(h);
      acceptUpgrades(server, h);
      answerExpectations(server, h);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(path, () => resolve());
      });
      if (opts.socketGid !== undefined) await chown(path, 0, opts.socketGid);
      await chmod(path, 0o660);
      out.push({ address: host, server });
    } else if (host.startsWith("tcp://")) {
      checkHosts([host], tls);
      const t = tls as Required<TlsOptions>; // checked just above
      const u = new URL(host.replace(/^tcp:/, "http:"));
      const server = createHttpsServer(
        {
          cert: readFileSync(t.cert),
          key: readFileSync(t.key),
          ca: readFileSync(t.ca),
          requestCert: true,
          rejectUnauthorized: true,
        },
        h,
      );
      acceptUpgrades(server, h);
      answerExpectations(server, h);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(Number(u.port || 2376), u.hostname, () => resolve());
      });
      out.push({ address: host, server });
    } else {
      throw new Error(`unsupported host address ${host}: use unix:///path, fd:// or tcp://host:port`);
    }
  }
  return out;
}
