/**
 * Published ports are kernel rules, not a proxy: they keep serving while
 * berthd is SIGKILLed; after a restart, stopping the container removes the
 * rules, and a daemon shutdown leaves no interface, rule or namespace.
 */
import assert from "node:assert/strict";
import { execSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon } from "../helpers/daemon.js";
async function get(url) {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return res.text();
}
async function eventually(fn, ms = 5000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        if (await fn().catch(() => false))
            return true;
        await new Promise((r) => setTimeout(r, 100));
    }
    return false;
}
describe("networking survives the daemon", () => {
    let d;
    let work;
    let prefix;
    before(async () => {
        d = await startDaemon();
        prefix = `bt${d.dir
            .slice(-6)
            .toLowerCase()
            .replace(/[^a-z0-9]/g, "x")}`;
        work = mkdtempSync("/tmp/berth-net-");
        d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    });
    after(async () => {
        await cleanupDaemon(d);
        rmSync(work, { recursive: true, force: true });
    });
    it("keeps a published port answering across a SIGKILL of berthd, then cleans up", async () => {
        const port = 20000 + Math.floor(Math.random() * 20000);
        d.ok([
            "run",
            "-d",
            "--name",
            "web",
            "-p",
            `127.0.0.1:${port}:80`,
            "bb",
            "sh",
            "-c",
            "mkdir /www && echo served > /www/index.html && exec httpd -f -p 80 -h /www",
        ]);
        assert.ok(await eventually(async () => (await get(`http://127.0.0.1:${port}/index.html`)) === "served\n"));
        await d.kill();
        assert.equal(await get(`http://127.0.0.1:${port}/index.html`), "served\n", "port answers while berthd is down");
        await d.start();
        d.ok(["stop", "-t", "1", "web"]);
        assert.ok(await eventually(async () => !(await get(`http://127.0.0.1:${port}/`).then(() => true, () => false))));
        assert.doesNotMatch(execSync(`nft list table ip ${prefix} 2>/dev/null || true`).toString(), /ctr:/);
        d.ok(["rm", "web"]);
        await d.stop();
        assert.equal(execSync(`ip -br link | grep '^${prefix}' || true`).toString(), "", "no bridge or veth left");
        assert.equal(execSync(`nft list tables | grep ' ${prefix}$' || true`).toString(), "", "no nftables table left");
        assert.equal(execSync("ip netns list").toString(), "", "no named network namespace");
        await d.start();
    });
    it("measures run --rm on the default bridge versus --network none", () => {
        const time = (args) => {
            const t0 = process.hrtime.bigint();
            for (let i = 0; i < 5; i++)
                d.ok(["run", "--rm", ...args, "bb", "true"]);
            return Number(process.hrtime.bigint() - t0) / 5e6;
        };
        const none = time(["--network", "none"]);
        const bridge = time([]);
        console.log(`# run --rm true: --network none ${none.toFixed(0)} ms, default bridge ${bridge.toFixed(0)} ms`);
        assert.ok(none > 0 && bridge > 0);
    });
});
//# sourceMappingURL=network.test.js.map