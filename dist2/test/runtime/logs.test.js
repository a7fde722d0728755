/**
 * readLogs over k8s-file logs: partial records joined per stream, streams
 * apart, tail (read backwards, also across many chunks), since/until, and
 * follow that sees growth and stops on abort or when the writer is gone.
 */
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readLogs } from "../../src/runtime/logs.js";
const t = (sec) => `2024-01-02T03:04:${String(sec).padStart(2, "0")}.123456789+00:00`;
async function read(path, o = {}) {
    const out = [];
    for await (const e of readLogs(path, { stdout: true, stderr: true, ...o }))
        out.push(e);
    return out;
}
const lines = (es) => es.map((e) => `${e.stream}:${e.line.toString()}`);
describe("runtime: readLogs", () => {
    let dir;
    let log;
    before(() => {
        dir = mkdtempSync("/tmp/berth-test-logs-");
        log = join(dir, "ctr.log");
        writeFileSync(log, [
            `${t(1)} stdout F one`,
            `${t(2)} stderr P err-`,
            `${t(2)} stdout P two-a `,
            `${t(3)} stderr F part`,
            `${t(3)} stdout F two-b`,
            `${t(4)} stdout F three`,
            `${t(5)} stderr F last-err`,
            `${t(6)} stdout F `,
            "",
        ].join("\n"));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));
    it("joins partial records per stream and keeps streams apart", async () => {
        const all = await read(log);
        assert.deepEqual(lines(all), [
            "stdout:one\n",
            "stderr:err-part\n",
            "stdout:two-a two-b\n",
            "stdout:three\n",
            "stderr:last-err\n",
            "stdout:\n",
        ]);
        assert.equal(all[0].time, "2024-01-02T03:04:01.123456789Z");
        assert.equal(all[1].time, t(2).replace("+00:00", "Z")); // a joined line has its first part's time
        assert.deepEqual(lines(await read(log, { stdout: false })), ["stderr:err-part\n", "stderr:last-err\n"]);
    });
    it("tails, without cutting a partial line in half", async () => {
        assert.deepEqual(lines(await read(log, { tail: 2 })), ["stderr:last-err\n", "stdout:\n"]);
        assert.deepEqual(lines(await read(log, { tail: 3, stderr: false })), [
            "stdout:two-a two-b\n",
            "stdout:three\n",
            "stdout:\n",
        ]);
        assert.deepEqual(lines(await read(log, { tail: 4 })), [
            "stdout:two-a two-b\n",
            "stdout:three\n",
            "stderr:last-err\n",
            "stdout:\n",
        ]);
        assert.equal((await read(log, { tail: 100 })).length, 6);
        assert.deepEqual(await read(log, { tail: 0 }), []);
    });
    it("filters by since and until", async () => {
        const since = new Date("2024-01-02T03:04:03Z");
        const until = new Date("2024-01-02T03:04:05Z");
        assert.deepEqual(lines(await read(log, { since, until })), ["stdout:three\n"]);
        assert.deepEqual(lines(await read(log, { until, tail: 1 })), ["stdout:three\n"]);
    });
    it("tails a large log across many chunks", async () => {
        const big = join(dir, "big.log");
        const recs = [];
        for (let i = 0; i < 60_000; i++) {
            if (i % 7 === 0)
                recs.push(`${t(1)} stdout P part${i}-`);
            recs.push(`${t(1)} ${i % 3 === 0 ? "stderr" : "stdout"} F line ${i}`);
        }
        writeFileSync(big, `${recs.join("\n")}\n`);
        // A stdout P record before a stderr line joins the next stdout line.
        const last = await read(big, { tail: 5, stderr: false });
        assert.deepEqual(lines(last), [
            "stdout:line 59993\n",
            "stdout:line 59995\n",
            "stdout:line 59996\n",
            "stdout:part59997-line 59998\n",
            "stdout:line 59999\n",
        ]);
        const whole = await read(big);
        assert.deepEqual(lines(await read(big, { tail: 3000 })), lines(whole.slice(-3000)));
        const outOnly = whole.filter((e) => e.stream === "stdout");
        assert.deepEqual(lines(await read(big, { tail: 2500, stderr: false })), lines(outOnly.slice(-2500)));
    });
    it("follows growth and stops on abort", async () => {
        const path = join(dir, "follow.log");
        writeFileSync(path, `${t(1)} stdout F before\n`);
        const ac = new AbortController();
        const got = [];
        const done = (async () => {
            for await (const e of readLogs(path, {
                stdout: true,
                stderr: true,
                follow: true,
                signal: ac.signal,
                pollMs: 20,
            })) {
                got.push(e.line.toString());
                if (got.length === 3)
                    ac.abort();
            }
        })();
        await new Promise((r) => setTimeout(r, 100));
        appendFileSync(path, `${t(2)} stdout P aft`);
        appendFileSync(path, `er\n${t(2)} stdout F -wards\n`);
        appendFileSync(path, `${t(3)} stderr F more\n`);
        await done;
        assert.deepEqual(got, ["before\n", "after-wards\n", "more\n"]);
    });
    it("follow ends once the writer is gone and the file is drained", async () => {
        const path = join(dir, "drain.log");
        writeFileSync(path, `${t(1)} stdout F a\n`);
        let running = true;
        const got = [];
        const done = (async () => {
            for await (const e of readLogs(path, {
                stdout: true,
                stderr: true,
                follow: true,
                isRunning: () => running,
                pollMs: 20,
            }))
                got.push(e.line.toString());
        })();
        await new Promise((r) => setTimeout(r, 80));
        appendFileSync(path, `${t(2)} stdout F b\n${t(2)} stdout P no-newline\n`);
        running = false;
        await done;
        assert.deepEqual(got, ["a\n", "b\n", "no-newline"]);
    });
});
//# sourceMappingURL=logs.test.js.map