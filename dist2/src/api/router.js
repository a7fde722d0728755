import { invalid } from "../util/errors.js";
import { readAll } from "../util/stream.js";
/**
 * Takes over the connection for a raw bidirectional stream (attach, exec):
 * `101 UPGRADED` when the client asked for `Upgrade: tcp`, else a 200 whose
 * body is the stream. Returns the socket to read stdin from and write to,
 * paused: the client sends stdin (and may half-close) at once, and bytes
 * emitted before the attach or exec is ready would be lost. Whoever reads
 * stdin calls resume() once its listeners are on.
 */
export function hijack(ctx, contentType) {
    if (ctx.upgrade) {
        const { socket, head } = ctx.upgrade;
        socket.pause();
        socket.hijacked = true;
        socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: 1.41\r\n\r\n`);
        if (head.length)
            socket.unshift(head);
        return socket;
    }
    const socket = ctx.req.socket;
    socket.pause();
    socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\nApi-Version: 1.41\r\n\r\n`);
    // The HTTP parser must let go of the socket so stdin bytes reach us.
    ctx.res.detachSocket(socket);
    return socket;
}
export class Router {
    routes = [];
    add(method, pattern, handler) {
        const names = [];
        const re = pattern.replace(/\{(\w+)(\*?)\}/g, (_m, name, rest) => {
            names.push(name);
            return rest ? "(.+)" : "([^/]+)";
        });
        this.routes.push({ method, re: new RegExp(`^${re}$`), names, handler });
        return this;
    }
    get(p, h) {
        return this.add("GET", p, h);
    }
    post(p, h) {
        return this.add("POST", p, h);
    }
    put(p, h) {
        return this.add("PUT", p, h);
    }
    delete(p, h) {
        return this.add("DELETE", p, h);
    }
    head(p, h) {
        return this.add("HEAD", p, h);
    }
    match(method, path) {
        let pathMatched = false;
        for (const r of this.routes) {
            const m = r.re.exec(path);
            if (!m)
                continue;
            pathMatched = true;
            if (r.method !== method && !(method === "HEAD" && r.method === "GET"))
                continue;
            const params = {};
            r.names.forEach((n, i) => {
                params[n] = decodeURIComponent(m[i + 1]);
            });
            return { handler: r.handler, params };
        }
        return pathMatched ? "method" : undefined;
    }
}
/** Parses a JSON request body; malformed JSON is a 400 with a message. */
export async function jsonBody(ctx, optional = false) {
    const buf = ctx.upgrade ? await upgradeBody(ctx) : await readAll(ctx.req);
    if (buf.length === 0) {
        if (optional)
            return {};
        throw invalid("request body is empty: a JSON body is required");
    }
    try {
        return JSON.parse(buf.toString("utf8"));
    }
    catch (err) {
        throw invalid(`invalid JSON in request body: ${err.message}`);
    }
}
/**
 * On an upgraded connection Node leaves the request body unread: take
 * Content-Length bytes from `head` and the socket, and leave the rest (the
 * client's stdin) in place.
 */
async function upgradeBody(ctx) {
    const up = ctx.upgrade;
    const want = Number(ctx.req.headers["content-length"] ?? 0);
    let have = up.head;
    while (have.length < want) {
        const chunk = await new Promise((resolve) => {
            const onData = (d) => {
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
        if (!chunk)
            break;
        have = Buffer.concat([have, chunk]);
    }
    up.head = have.subarray(want);
    return have.subarray(0, want);
}
export function sendJson(ctx, status, value) {
    const body = JSON.stringify(value);
    ctx.res.writeHead(status, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(body),
    });
    ctx.res.end(ctx.req.method === "HEAD" ? undefined : body);
}
export function sendStatus(ctx, status) {
    ctx.res.writeHead(status);
    ctx.res.end();
}
export function boolParam(q, name, dflt = false) {
    const v = q.get(name);
    if (v === null || v === "")
        return dflt;
    return !(v === "0" || v.toLowerCase() === "false");
}
export function intParam(q, name) {
    const v = q.get(name);
    if (v === null || v === "")
        return undefined;
    const n = Number(v);
    if (!Number.isFinite(n))
        throw invalid(`invalid value for ${name}: ${v}`);
    return n;
}
/**
 * A streaming JSON response (pull, push, load, build progress): one JSON
 * object per line, flushed as it is written.
 */
export class JsonStream {
    ctx;
    started = false;
    constructor(ctx) {
        this.ctx = ctx;
    }
    write(obj) {
        if (!this.started) {
            this.ctx.res.writeHead(200, { "Content-Type": "application/json" });
            this.started = true;
        }
        this.ctx.res.write(`${JSON.stringify(obj)}\r\n`);
    }
    /** Errors after the stream began are sent in-band, as Docker does. */
    error(err) {
        this.write({ errorDetail: { message: err.message }, error: err.message });
    }
    end() {
        if (!this.started)
            this.ctx.res.writeHead(200, { "Content-Type": "application/json" });
        this.ctx.res.end();
    }
}
//# sourceMappingURL=router.js.map