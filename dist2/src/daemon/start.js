/** Wires the engine and the API routes together (kept apart from main.ts so tests can start it in-process). */
import { join } from "node:path";
import { buildRouter } from "../api/server.js";
import { Engine } from "../engine/engine.js";
import { startRegistryServer } from "../registry/server/index.js";
export async function startEngine(cfg, log) {
    const engine = new Engine(cfg, log);
    await engine.init();
    const router = buildRouter(engine);
    // daemon.json "registry-server": berth's registry, served by the daemon process.
    let registry;
    if (cfg.registryServer) {
        registry = await startRegistryServer({
            addr: cfg.registryServer.addr,
            root: cfg.registryServer.root ?? join(cfg.root, "registry"),
            htpasswd: cfg.registryServer.htpasswd,
            tokenAuth: cfg.registryServer.tokenAuth,
            tlsCert: cfg.registryServer.tlsCert,
            tlsKey: cfg.registryServer.tlsKey,
            log: (line) => log.warn({ component: "registry" }, line),
        });
        log.info({ url: registry.url }, "registry server listening");
    }
    return {
        engine,
        router,
        extra: {
            shutdown: async () => {
                await registry?.close();
            },
        },
    };
}
//# sourceMappingURL=start.js.map