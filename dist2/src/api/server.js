/**
 * The Engine API server: listens on unix sockets (and TCP with TLS), strips
 * the /vX.Y prefix, routes, and turns thrown errors into Docker's
 * `{"message": ...}` bodies with the status from api/errors.ts.
 */
import { readFileSync } from "node:fs";
import { chmod, rm } from "node:fs/promises";
import { createServer, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { API_VERSION } from "../engine/engine.js";
import { archiveRoutes } from "./archive.js";
import { buildRoutes } from "./build.js";
import { containerRoutes } from "./containers.js";
import { distributionRoutes } from "./distribution.js";
import { statusOf } from "./errors.js";
import { imageRoutes } from "./images.js";
import { networkRoutes } from "./networks.js";
import { Router } from "./router.js";
import { systemRoutes } from "./system.js";
import { volumeRoutes } from "./volumes.js";
export function buildRouter(engine, extra = []) {
    const r = new Router();
    systemRoutes(r, engine);
    imageRoutes(r, engine);
    containerRoutes(r, engine.containers);
    archiveRoutes(r, engine.containers);
    volumeRoutes(r, engine.volumes, engine.events);
    networkRoutes(r, engine.networkPort, engine.containers, engine.events);
    distributionRoutes(r, engine);
    buildRoutes(r, engine.builder, engine.images, engine.buildCachePath, () => engine.pruneLeftovers());
    for (const install of extra)
        install(r, engine);
    return r;
}
const VERSION_PREFIX = /^\/v(\d+\.\d+)(\/.*)$/;
export function handler(router, log) {
    return async (req, res, upgrade) => {
        const url = new URL(req.url ?? "/", "http://berth");
        let path = url.pathname;
        let version = API_VERSION;
        const m = VERSION_PREFIX.exec(path);
        if (m) {
            version = m[1];
            path = m[2];
        }
        res.setHeader("Api-Version", API_VERSION);
        res.setHeader("Server", `Berth/${API_VERSION} (linux)`);
        res.setHeader("Docker-Experimental", "false");
        res.setHeader("Ostype", "linux");
        const sendError = (status, message) => {
            if (res.headersSent || (upgrade && upgrade.socket.hijacked)) {
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
        if (Number(version) > Number(API_VERSION)) {
            sendError(400, `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
            return;
        }
        const match = router.match(req.method ?? "GET", path);
        if (match === undefined) {
            sendError(404, `page not found`);
            return;
        }
        if (match === "method") {
            sendError(405, `method ${req.method} not allowed for ${path}`);
            return;
        }
        const t0 = Date.now();
        try {
            await match.handler({ req, res, params: match.params, query: url.searchParams, version, upgrade });
            log.debug({ method: req.method, path, ms: Date.now() - t0 }, "request");
        }
        catch (err) {
            const status = statusOf(err);
            const message = err.message ?? String(err);
            if (status >= 500)
                log.error({ err, method: req.method, path }, "request failed");
            else
                log.debug({ method: req.method, path, status, message }, "request error");
            sendError(status, message);
        }
    };
}
/** Requests with `Upgrade: tcp` (attach, exec) arrive here instead of the request handler. */
function acceptUpgrades(server, h) {
    server.on("upgrade", (req, socket, head) => {
        const res = new ServerResponse(req);
        res.assignSocket(socket);
        h(req, res, { socket, head }).catch(() => socket.destroy()); // h logs and answers its own errors
    });
}
/** Refuses listen addresses berthd will not serve (before anything else starts). */
export function checkHosts(hosts, tls) {
    for (const host of hosts) {
        if (host.startsWith("unix://"))
            continue;
        if (!host.startsWith("tcp://"))
            throw new Error(`unsupported host address ${host}: use unix:///path or tcp://host:port`);
        if (!tls?.cert || !tls.key || !tls.verify || !tls.ca)
            throw new Error(`refusing to listen on ${host} without TLS client verification: pass --tlsverify --tlscacert --tlscert --tlskey`);
    }
}
export async function listen(hosts, router, log, tls) {
    const out = [];
    for (const host of hosts) {
        const h = handler(router, log);
        if (host.startsWith("unix://")) {
            const path = host.slice("unix://".length);
            await rm(path, { force: true });
            const server = createServer(h);
            acceptUpgrades(server, h);
            await new Promise((resolve, reject) => {
                server.once("error", reject);
                server.listen(path, () => resolve());
            });
            await chmod(path, 0o660);
            out.push({ address: host, server });
        }
        else if (host.startsWith("tcp://")) {
            checkHosts([host], tls);
            const t = tls; // checked just above
            const u = new URL(host.replace(/^tcp:/, "http:"));
            const server = createHttpsServer({
                cert: readFileSync(t.cert),
                key: readFileSync(t.key),
                ca: readFileSync(t.ca),
                requestCert: true,
                rejectUnauthorized: true,
            }, h);
            acceptUpgrades(server, h);
            await new Promise((resolve, reject) => {
                server.once("error", reject);
                server.listen(Number(u.port || 2376), u.hostname, () => resolve());
            });
            out.push({ address: host, server });
        }
        else {
            throw new Error(`unsupported host address ${host}: use unix:///path or tcp://host:port`);
        }
    }
    return out;
}
//# sourceMappingURL=server.js.map