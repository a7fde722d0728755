/**
 * A tiny Engine API stand-in on a unix socket for CLI tests: answers /_ping
 * like a 1.41 daemon, serves canned JSON per route and records each request,
 * so the real docker CLI and berth can be run against the same answers.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
export const DOCKER = ["/usr/local/bin/docker", "/usr/bin/docker"].find((p) => existsSync(p));
export const BERTH = join(process.cwd(), "dist/src/cli/main.js");
export class FakeDaemon {
    route;
    dir = mkdtempSync(join(tmpdir(), "berth-cli-test-"));
    socket = join(this.dir, "d.sock");
    requests = [];
    server;
    constructor(route) {
        this.route = route;
    }
    async start() {
        this.server = http.createServer((req, res) => {
            let body = "";
            req.on("data", (c) => (body += c));
            req.on("end", () => {
                res.setHeader("Api-Version", "1.41");
                res.setHeader("Ostype", "linux");
                if (req.url?.includes("/_ping")) {
                    res.end("OK");
                    return;
                }
                this.requests.push({ method: req.method ?? "", url: req.url ?? "", body });
                const r = this.route(req, body) ?? { status: 404, json: { message: "not found" } };
                res.statusCode = r.status ?? 200;
                if (r.raw !== undefined) {
                    res.end(r.raw);
                    return;
                }
                res.setHeader("Content-Type", "application/json");
                res.end(JSON.stringify(r.json ?? null));
            });
        });
        await new Promise((r) => this.server?.listen(this.socket, r));
        return this;
    }
    async stop() {
        await new Promise((r) => this.server?.close(() => r()));
        rmSync(this.dir, { recursive: true, force: true });
    }
    /** Runs a CLI (docker or node berth) against this daemon. */
    run(cli, args, env = {}) {
        const [file, argv] = cli === "docker" ? [DOCKER, args] : [process.execPath, [BERTH, ...args]];
        return new Promise((resolve) => {
            execFile(file, argv, {
                env: {
                    PATH: process.env.PATH ?? "",
                    HOME: this.dir,
                    TZ: "UTC",
                    DOCKER_HOST: `unix://${this.socket}`,
                    DOCKER_BUILDKIT: "0",
                    ...env,
                },
                timeout: 20000,
            }, (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
        });
    }
}
//# sourceMappingURL=fake-daemon.js.map