/**
 * A container outlives the process that created it: a child node process
 * creates and starts a `sleep` container, then SIGKILLs itself. The
 * container keeps running under conmon, and a new Runtime on the same state
 * dir finds it, attaches the exit watcher, kills it and reads its exit code.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { Runtime } from "../../src/runtime/runtime.js";
import { CONMON, fixture, RUNC, waitFor } from "./fixture.js";
describe("runtime: containers survive their creator", () => {
    let f;
    before(async () => {
        f = await fixture();
    });
    after(async () => {
        await f?.teardown();
    });
    it("keeps running after SIGKILL of the creating process and is re-adopted", async () => {
        const id = f.id("survivor");
        const spec = await f.spec(id, { args: ["sleep", "300"] });
        const specFile = join(f.dir, "survivor-spec.json");
        writeFileSync(specFile, JSON.stringify(spec));
        const runtimeJs = resolve(import.meta.dirname, "../../src/runtime/runtime.js");
        const script = join(f.dir, "creator.mjs");
        writeFileSync(script, `import { readFileSync } from "node:fs";
import { Runtime } from ${JSON.stringify(runtimeJs)};
const rt = new Runtime({ runtimePath: ${JSON.stringify(RUNC)}, conmonPath: ${JSON.stringify(CONMON)}, stateDir: ${JSON.stringify(f.stateDir)} });
await rt.init();
const { pid, conmonPid } = await rt.create({ id: ${JSON.stringify(id)}, bundleDir: ${JSON.stringify(f.bundle(id))},
  spec: JSON.parse(readFileSync(${JSON.stringify(specFile)}, "utf8")), logPath: ${JSON.stringify(f.logPath(id))},
  terminal: false, openStdin: false });
await rt.start(${JSON.stringify(id)});
console.log(JSON.stringify({ pid, conmonPid }));
process.kill(process.pid, "SIGKILL");
`);
        const child = spawnSync(process.execPath, [script], { timeout: 60_000 });
        assert.equal(child.signal, "SIGKILL", child.stderr.toString());
        const { pid, conmonPid } = JSON.parse(child.stdout.toString());
        assert.ok(pid > 0 && conmonPid > 0);
        const rt = new Runtime({ runtimePath: RUNC, conmonPath: CONMON, stateDir: f.stateDir });
        await rt.init();
        const exits = [];
        const stop = rt.watchExits((x) => exits.push(x), 300);
        try {
            const st = await rt.state(id);
            assert.equal(st?.status, "running");
            assert.equal(st?.pid, pid);
            process.kill(conmonPid, 0); // conmon is alive
            await rt.kill(id, 9);
            await waitFor(() => exits.includes(id));
            const ex = await rt.exitStatus(id);
            assert.equal(ex?.exitCode, 137);
            assert.ok(ex && Date.now() - ex.finishedAt.getTime() < 60_000);
            await rt.delete(id);
            assert.equal(await rt.state(id), undefined);
        }
        finally {
            stop();
            rt.close();
        }
    });
});
//# sourceMappingURL=survive.test.js.map