import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import tar from "tar-stream";
import { encodeAuth, getAuth, INDEX_SERVER, registryOf, storeAuth } from "../../src/cli/auth.js";
import { contextFiles, tarContext } from "../../src/cli/commands/build.js";
import { DOCKER, FakeDaemon } from "./fake-daemon.js";
describe("credentials", () => {
    let dir;
    const saved = { DOCKER_CONFIG: process.env.DOCKER_CONFIG, PATH: process.env.PATH };
    before(() => {
        dir = mkdtempSync(join(tmpdir(), "berth-cli-auth-"));
    });
    after(() => {
        process.env.DOCKER_CONFIG = saved.DOCKER_CONFIG;
        process.env.PATH = saved.PATH;
        if (saved.DOCKER_CONFIG === undefined)
            delete process.env.DOCKER_CONFIG;
        rmSync(dir, { recursive: true, force: true });
    });
    it("maps references to registries", () => {
        assert.equal(registryOf("busybox"), INDEX_SERVER);
        assert.equal(registryOf("user/app"), INDEX_SERVER);
        assert.equal(registryOf("docker.io/library/x"), INDEX_SERVER);
        assert.equal(registryOf("localhost:5000/x"), "localhost:5000");
        assert.equal(registryOf("reg.example.com/a/b"), "reg.example.com");
        assert.equal(Buffer.from(encodeAuth({ username: "u" }), "base64url").toString(), '{"username":"u"}');
    });
    it("stores auths.<server>.auth as base64 user:pass", async () => {
        process.env.DOCKER_CONFIG = join(dir, "plain");
        await storeAuth("localhost:5000", "alice", "s3cret");
        const cfg = JSON.parse(readFileSync(join(dir, "plain", "config.json"), "utf8"));
        assert.deepEqual(cfg, {
            auths: { "localhost:5000": { auth: Buffer.from("alice:s3cret").toString("base64") } },
        });
        assert.deepEqual(await getAuth("localhost:5000"), {
            serveraddress: "localhost:5000",
            username: "alice",
            password: "s3cret",
        });
        assert.deepEqual(await getAuth("other:5000"), {});
    });
    it("goes through docker-credential-<helper> when credsStore is set", async () => {
        const bin = join(dir, "bin");
        mkdirSync(bin);
        const store = join(dir, "helper-store");
        writeFileSync(join(bin, "docker-credential-berthtest"), `#!/bin/sh\ncase "$1" in\n store) cat > ${store} ;;\n get) read s; [ -f ${store} ] && cat ${store} | sed 's/"ServerURL":"[^"]*",//' || { echo "credentials not found in native keychain"; exit 1; } ;;\n erase) rm -f ${store} ;;\nesac\n`);
        chmodSync(join(bin, "docker-credential-berthtest"), 0o755);
        process.env.PATH = `${bin}:${saved.PATH}`;
        process.env.DOCKER_CONFIG = join(dir, "helper");
        mkdirSync(join(dir, "helper"));
        writeFileSync(join(dir, "helper", "config.json"), JSON.stringify({ credsStore: "berthtest" }));
        await storeAuth("reg.local:5000", "bob", "pw");
        assert.deepEqual(JSON.parse(readFileSync(store, "utf8")), {
            ServerURL: "reg.local:5000",
            Username: "bob",
            Secret: "pw",
        });
        const cfg = JSON.parse(readFileSync(join(dir, "helper", "config.json"), "utf8"));
        assert.deepEqual(cfg.auths, { "reg.local:5000": {} });
        assert.deepEqual(await getAuth("reg.local:5000"), {
            username: "bob",
            password: "pw",
            serveraddress: "reg.local:5000",
        });
    });
});
describe("login writes what docker login writes", {
    skip: DOCKER ? false : "no docker CLI on this machine",
}, () => {
    it("same config.json and output for --password-stdin", async () => {
        const d = await new FakeDaemon((req) => req.url?.includes("/auth") ? { json: { Status: "Login Succeeded", IdentityToken: "" } } : undefined).start();
        try {
            const run = async (cli) => {
                const cfgDir = join(d.dir, cli);
                const { execFile } = await import("node:child_process");
                const [file, argv] = cli === "docker"
                    ? [DOCKER, []]
                    : [process.execPath, [join(process.cwd(), "dist/src/cli/main.js")]];
                const res = await new Promise((resolve, reject) => {
                    const p = execFile(file, [...argv, "login", "-u", "alice", "--password-stdin", "localhost:5999"], {
                        env: {
                            PATH: process.env.PATH ?? "",
                            HOME: d.dir,
                            DOCKER_CONFIG: cfgDir,
                            DOCKER_HOST: `unix://${d.socket}`,
                        },
                    }, (e, out, err) => (e ? reject(new Error(`${cli}: ${err}`)) : resolve({ out })));
                    p.stdin?.end("pw123\n");
                });
                return { out: res.out, cfg: JSON.parse(readFileSync(join(cfgDir, "config.json"), "utf8")) };
            };
            const docker = await run("docker");
            const berth = await run("berth");
            assert.deepEqual(berth.cfg, docker.cfg);
            assert.equal(berth.out, docker.out);
            const body = JSON.parse(d.requests.filter((r) => r.url.includes("/auth")).at(-1)?.body ?? "{}");
            assert.equal(body.username, "alice");
            assert.equal(body.password, "pw123");
            assert.equal(body.serveraddress, "localhost:5999");
        }
        finally {
            await d.stop();
        }
    });
});
describe("build context", () => {
    it("respects .dockerignore (with exceptions) and always keeps the Dockerfile", async () => {
        const dir = mkdtempSync(join(tmpdir(), "berth-cli-ctx-"));
        try {
            mkdirSync(join(dir, "src/sub"), { recursive: true });
            mkdirSync(join(dir, "node_modules/x"), { recursive: true });
            for (const f of [
                "Dockerfile",
                "a.txt",
                "b.log",
                "keep.log",
                "src/main.ts",
                "src/sub/t.log",
                "node_modules/x/i.js",
            ]) {
                writeFileSync(join(dir, f), f);
            }
            writeFileSync(join(dir, ".dockerignore"), "# c\n*.log\nnode_modules\n**/*.log\nDockerfile\n!keep.log\n");
            const files = await contextFiles(dir, "Dockerfile");
            assert.deepEqual(files, [
                ".dockerignore",
                "Dockerfile",
                "a.txt",
                "keep.log",
                "src",
                "src/main.ts",
                "src/sub",
            ]);
            const names = [];
            const ex = tar.extract();
            ex.on("entry", (h, s, next) => {
                names.push(`${h.type}:${h.name}`);
                s.resume();
                next();
            });
            await new Promise((res, rej) => {
                ex.on("finish", res).on("error", rej);
                tarContext(dir, files, {
                    name: ".dockerfile.x",
                    data: Buffer.from("FROM x"),
                }).pipe(ex);
            });
            assert.deepEqual(names, [
                "file:.dockerignore",
                "file:Dockerfile",
                "file:a.txt",
                "file:keep.log",
                "directory:src",
                "file:src/main.ts",
                "directory:src/sub",
                "file:.dockerfile.x",
            ]);
        }
        finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
//# sourceMappingURL=auth-build.test.js.map