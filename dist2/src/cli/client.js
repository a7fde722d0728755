/**
 * The CLI's only way to the engine: HTTP over berthd's socket (unix, or tcp
 * with TLS) speaking Engine API v1.41. request() streams, json() decodes,
 * hijack() upgrades the connection for attach/exec.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { homedir } from "node:os";
import { join } from "node:path";
export const API_VERSION = "1.41";
export const DEFAULT_HOST = "unix:///run/berth/berth.sock";
/** An error with the exit status the CLI should end with. */
export class CliError extends Error {
    exitCode;
    constructor(message, exitCode = 1) {
        super(message);
        this.exitCode = exitCode;
    }
}
/** The daemon answered with an error status; message is the daemon's. */
export class DaemonError extends CliError {
    daemonMessage;
    statusCode;
    constructor(daemonMessage, statusCode) {
        super(`Error response from daemon: ${daemonMessage}`);
        this.daemonMessage = daemonMessage;
        this.statusCode = statusCode;
    }
}
/** Resolves -H, BERTH_HOST, DOCKER_HOST, then the default socket. */
export function resolveHost(opts, env = process.env) {
    return opts.host || env.BERTH_HOST || env.DOCKER_HOST || DEFAULT_HOST;
}
export class Client {
    host;
    base;
    secure;
    constructor(opts = {}, env = process.env) {
        this.host = resolveHost(opts, env);
        const u = new URL(this.host.includes("://") ? this.host : `tcp://${this.host}`);
        const verify = opts.tlsverify || (!!env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== "0");
        this.secure = false;
        if (u.protocol === "unix:") {
            this.base = { socketPath: u.pathname };
        }
        else if (u.protocol === "tcp:" || u.protocol === "http:" || u.protocol === "https:") {
            this.base = { host: u.hostname, port: Number(u.port) || (verify || opts.tls ? 2376 : 2375) };
            if (opts.tls || verify || u.protocol === "https:") {
                this.secure = true;
                const dir = env.DOCKER_CERT_PATH || join(homedir(), ".docker");
                const read = (f, def) => {
                    try {
                        return readFileSync(f || join(dir, def));
                    }
                    catch (e) {
                        if (f || verify)
                            throw new CliError(`could not read TLS material: ${e.message}`);
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
        }
        else {
            throw new CliError(`unable to parse docker host \`${this.host}\``);
        }
    }
    path(p, query) {
        const qs = new URLSearchParams();
        for (const [k, v] of Object.entries(query ?? {})) {
            if (v === undefined || v === null || v === "")
                continue;
            if (Array.isArray(v))
                for (const x of v)
                    qs.append(k, x);
            else
                qs.set(k, typeof v === "boolean" ? (v ? "1" : "0") : String(v));
        }
        const s = qs.toString();
        return `/v${API_VERSION}${p}${s ? `?${s}` : ""}`;
    }
    options(method, path, init) {
        const headers = { "User-Agent": "berth-cli/0.1", ...init.headers };
        const b = init.body;
        if (b !== undefined && !isStream(b) && !Buffer.isBuffer(b) && typeof b !== "string") {
            headers["Content-Type"] ??= "application/json";
        }
        return { ...this.base, method, path: this.path(path, init.query), headers };
    }
    cannotConnect(e) {
        if (["ENOENT", "ECONNREFUSED", "EACCES", "ENOTFOUND", "ECONNRESET", "EHOSTUNREACH"].includes(e.code ?? "")) {
            return new CliError(`Cannot connect to the berth daemon at ${this.host}: is berthd running?`);
        }
        return new CliError(`error during connect: ${e.message}`);
    }
    send(method, path, init) {
        const req = (this.secure ? https : http).request(this.options(method, path, init));
        const b = init.body;
        if (isStream(b))
            b.pipe(req);
        else if (b === undefined)
            req.end();
        else
            req.end(Buffer.isBuffer(b) || typeof b === "string" ? b : JSON.stringify(b));
        return req;
    }
    /** Sends a request; resolves with the response once it's a success, else throws DaemonError. */
    async request(method, path, init = {}) {
        const res = await new Promise((resolve, reject) => {
            const req = this.send(method, path, init);
            req.on("response", resolve);
            req.on("error", (e) => reject(this.cannotConnect(e)));
        });
        if (res.statusCode && res.statusCode >= 400)
            throw await errorOf(res);
        return res;
    }
    /** Sends a request and decodes its JSON answer (undefined for an empty body). */
    async json(method, path, init = {}) {
        const res = await this.request(method, path, init);
        const text = (await readBody(res)).toString("utf8");
        return (text.trim() ? JSON.parse(text) : undefined);
    }
    get(path, query) {
        return this.json("GET", path, { query });
    }
    post(path, query, body) {
        return this.json("POST", path, { query, body });
    }
    /**
     * Upgrades the connection (attach, exec start): `Connection: Upgrade`,
     * `Upgrade: tcp`, expects 101 and returns the raw socket with any bytes
     * that came with the response.
     */
    async hijack(method, path, init = {}) {
        init.headers = { ...init.headers, Connection: "Upgrade", Upgrade: "tcp" };
        return new Promise((resolve, reject) => {
            const req = this.send(method, path, init);
            req.on("upgrade", (_res, socket, head) => {
                if (head.length)
                    socket.unshift(head);
                resolve(socket);
            });
            req.on("response", async (res) => {
                if (res.statusCode && res.statusCode >= 400)
                    return reject(await errorOf(res));
                // A server that answers 200 instead of 101: the body is the stream, stdin can't be sent.
                const sock = res.socket;
                res.pause();
                resolve(Object.assign(res, { end: () => sock.end(), write: () => true }));
            });
            req.on("error", (e) => reject(this.cannotConnect(e)));
        });
    }
}
/** Node streams and streamx ones (tar-stream's pack) alike: anything that pipes. */
function isStream(b) {
    return !!b && typeof b.pipe === "function";
}
export async function readBody(res) {
    const chunks = [];
    for await (const c of res)
        chunks.push(c);
    return Buffer.concat(chunks);
}
async function errorOf(res) {
    const text = (await readBody(res)).toString("utf8");
    let msg = text.trim();
    try {
        const j = JSON.parse(text);
        if (j && typeof j.message === "string")
            msg = j.message;
    }
    catch {
        // not JSON: keep the text
    }
    if (!msg)
        msg = `${res.statusCode} ${res.statusMessage ?? ""}`.trim();
    return new DaemonError(msg, res.statusCode ?? 500);
}
//# sourceMappingURL=client.js.map