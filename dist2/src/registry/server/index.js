/** berth's OCI distribution registry: `startRegistryServer` serves a storage root over HTTP(S). */
import { readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { Htpasswd } from "./auth.js";
import { collectGarbage } from "./gc.js";
import { handler } from "./routes.js";
import { Storage } from "./storage.js";
import { TokenAuth } from "./token.js";
export { collectGarbage } from "./gc.js";
function splitAddr(addr) {
    const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(addr);
    if (!m)
        throw new Error(`invalid address ${addr}: want host:port`);
    return { host: m[1] ?? m[2] ?? "", port: Number(m[3]) };
}
export async function startRegistryServer(o) {
    const root = o.root ?? "/var/lib/berth-registry";
    const { host, port } = splitAddr(o.addr);
    if (!!o.tlsCert !== !!o.tlsKey)
        throw new Error("tlsCert and tlsKey go together");
    if (o.tokenAuth && !o.htpasswd)
        throw new Error("token auth needs an htpasswd file of users");
    const store = new Storage(root);
    await store.init();
    const locks = new Map();
    const users = o.htpasswd ? new Htpasswd(o.htpasswd) : undefined;
    const ctx = {
        store,
        auth: users,
        tokens: users && o.tokenAuth ? new TokenAuth(users) : undefined,
        log: o.log ?? ((line) => process.stderr.write(`${line}\n`)),
        async lock(key, fn) {
            const run = (locks.get(key) ?? Promise.resolve()).then(fn, fn);
            const tail = run.catch(() => { });
            locks.set(key, tail);
            try {
                return await run;
            }
            finally {
                if (locks.get(key) === tail)
                    locks.delete(key);
            }
        },
    };
    await ctx.auth?.load(); // an unreadable htpasswd fails the start, not the first request
    const tls = o.tlsCert && o.tlsKey;
    const server = tls
        ? createHttpsServer({ cert: readFileSync(o.tlsCert), key: readFileSync(o.tlsKey) }, handler(ctx))
        : createHttpServer(handler(ctx));
    // Layer uploads can take longer than Node's default 5-minute request limit.
    server.requestTimeout = 0;
    await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host || undefined, () => {
            server.off("error", reject);
            resolve();
        });
    });
    const bound = server.address().port;
    const shown = !host || host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
    return {
        url: `${tls ? "https" : "http"}://${shown}:${bound}`,
        port: bound,
        root,
        close: () => new Promise((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
        }),
        gc: (g) => collectGarbage(root, g),
    };
}
//# sourceMappingURL=index.js.map