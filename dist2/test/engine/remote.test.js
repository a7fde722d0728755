/**
 * Remote access: the unix socket is root-only, TCP needs TLS with client
 * certificates, and a client without a valid certificate is refused.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { cleanupDaemon, DOCKER, startDaemon } from "../helpers/daemon.js";
function sh(script) {
    const r = spawnSync("sh", ["-c", script]);
    if (r.status !== 0)
        throw new Error(`${script}: ${r.stderr}`);
}
/** A CA, a server certificate for 127.0.0.1 and a client certificate, each signed by the CA. */
function makeCerts(dir) {
    const ssl = (args) => sh(`cd ${dir} && openssl ${args} 2>/dev/null`);
    ssl("req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 1 -subj /CN=berth-test-ca");
    ssl("req -newkey rsa:2048 -nodes -keyout key.pem -out server.csr -subj /CN=127.0.0.1");
    sh(`printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > ${dir}/server.ext`);
    ssl("x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem -days 1 -extfile server.ext");
    ssl("req -newkey rsa:2048 -nodes -keyout client-key.pem -out client.csr -subj /CN=client");
    sh(`printf 'extendedKeyUsage=clientAuth\\n' > ${dir}/client.ext`);
    ssl("x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out client-cert.pem -days 1 -extfile client.ext");
    // A client certificate from a CA the daemon does not trust.
    ssl("req -x509 -newkey rsa:2048 -nodes -keyout rogue-key.pem -out rogue.pem -days 1 -subj /CN=rogue");
}
async function freePort() {
    return new Promise((res) => {
        const s = createServer().listen(0, "127.0.0.1", () => {
            const port = s.address().port;
            s.close(() => res(port));
        });
    });
}
describe("socket and remote access", () => {
    let d;
    let certs;
    let port;
    before(async () => {
        certs = mkdtempSync("/tmp/berth-tls-");
        makeCerts(certs);
        port = await freePort();
        d = await startDaemon({
            extraArgs: [
                "-H",
                `tcp://127.0.0.1:${port}`,
                "--tlsverify",
                "--tlscacert",
                join(certs, "ca.pem"),
                "--tlscert",
                join(certs, "server-cert.pem"),
                "--tlskey",
                join(certs, "key.pem"),
            ],
        });
    });
    after(async () => {
        await cleanupDaemon(d);
        rmSync(certs, { recursive: true, force: true });
    });
    const remote = (args, env) => spawnSync(DOCKER, args, {
        env: { PATH: process.env.PATH ?? "", HOME: certs, DOCKER_HOST: `tcp://127.0.0.1:${port}`, ...env },
        timeout: 30_000,
    });
    it("makes the unix socket root-only", () => {
        assert.equal(statSync(d.socket).mode & 0o777, 0o660);
    });
    it("serves a client with a certificate signed by the CA", () => {
        const ok = remote([
            "--tlsverify",
            "--tlscacert",
            join(certs, "ca.pem"),
            "--tlscert",
            join(certs, "client-cert.pem"),
            "--tlskey",
            join(certs, "client-key.pem"),
            "version",
            "--format",
            "{{.Server.Version}}",
        ], {});
        assert.equal(ok.status, 0, ok.stderr.toString());
        assert.notEqual(ok.stdout.toString().trim(), "");
    });
    it("refuses clients without a certificate, with a rogue one, and plain HTTP", () => {
        const none = remote(["--tlsverify", "--tlscacert", join(certs, "ca.pem"), "version"], {});
        assert.notEqual(none.status, 0);
        assert.doesNotMatch(none.stdout.toString(), /Server:/);
        const rogue = remote([
            "--tlsverify",
            "--tlscacert",
            join(certs, "ca.pem"),
            "--tlscert",
            join(certs, "rogue.pem"),
            "--tlskey",
            join(certs, "rogue-key.pem"),
            "version",
        ], {});
        assert.notEqual(rogue.status, 0);
        assert.match(rogue.stderr.toString(), /certificate|tls/i);
        const plain = spawnSync("curl", ["-sS", "--max-time", "5", `http://127.0.0.1:${port}/_ping`]);
        assert.notEqual(plain.stdout.toString(), "OK");
    });
    it("refuses to listen on TCP without TLS client verification", () => {
        const daemon = resolve(import.meta.dirname, "../../src/daemon/main.js");
        const dir = mkdtempSync("/tmp/berth-notls-");
        try {
            const r = spawnSync(process.execPath, [
                daemon,
                ...["--root", join(dir, "root"), "--exec-root", join(dir, "exec"), "-H", "tcp://127.0.0.1:0"],
                ...["--bridge", "bnotls0", "--network-prefix", "bnotls"],
            ], { timeout: 30_000 });
            assert.notEqual(r.status, 0);
            assert.match(r.stderr.toString() + r.stdout.toString(), /without TLS client verification/);
            assert.equal(spawnSync("nft", ["list", "table", "ip", "bnotls"]).status, 1, "no nft table made");
            assert.equal(existsSync(join(dir, "root")), false, "nothing made under its root");
        }
        finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
//# sourceMappingURL=remote.test.js.map