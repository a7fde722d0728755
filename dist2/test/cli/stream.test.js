import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { describe, it } from "node:test";
import { parseDetachKeys } from "../../src/cli/attach.js";
import { Client, DaemonError } from "../../src/cli/client.js";
import { copyStdStreams, displayJSONMessages, jsonValues, muxFrame, progressString, StdDemuxer, } from "../../src/cli/stream.js";
function collect() {
    const p = new PassThrough();
    const chunks = [];
    p.on("data", (c) => chunks.push(c));
    p.text = () => Buffer.concat(chunks).toString();
    return p;
}
describe("multiplexed stream decoder", () => {
    it("decodes frames split at every byte boundary", () => {
        const input = Buffer.concat([
            muxFrame(1, "hello "),
            muxFrame(2, "oops\n"),
            muxFrame(1, "world\n"),
            muxFrame(1, ""),
        ]);
        for (let step = 1; step <= input.length; step++) {
            const got = [];
            const d = new StdDemuxer((s, p) => got.push([s, p.toString()]));
            for (let i = 0; i < input.length; i += step)
                d.push(input.subarray(i, i + step));
            const merged = new Map();
            for (const [s, t] of got)
                merged.set(s, (merged.get(s) ?? "") + t);
            assert.equal(merged.get(1), "hello world\n", `step ${step}`);
            assert.equal(merged.get(2), "oops\n");
            assert.equal(d.partial, false);
        }
    });
    it("routes stdout/stderr, passes raw tty streams, fails on a system error frame", async () => {
        const out = collect();
        const err = collect();
        await copyStdStreams(Readable.from([Buffer.concat([muxFrame(1, "a"), muxFrame(2, "b"), muxFrame(1, "c")])]), false, out, err);
        assert.equal(out.text(), "ac");
        assert.equal(err.text(), "b");
        const raw = collect();
        await copyStdStreams(Readable.from([Buffer.from("\x01\x00raw")]), true, raw, collect());
        assert.equal(raw.text(), "\x01\x00raw");
        await assert.rejects(copyStdStreams(Readable.from([muxFrame(3, "exec failed")]), false, collect(), collect()), /exec failed/);
    });
    it("parses detach keys", () => {
        assert.deepEqual([...parseDetachKeys("ctrl-p,ctrl-q")], [16, 17]);
        assert.deepEqual([...parseDetachKeys("ctrl-@,a")], [0, 97]);
        assert.throws(() => parseDetachKeys("ctrl-pq"));
    });
});
describe("JSON message streams", () => {
    it("splits concatenated and chunked JSON values", async () => {
        const text = '{"status":"a"}{"status":"b}{"}\n{"stream":"c\\n"}';
        const chunks = text.match(/.{1,3}/gs);
        const got = [];
        for await (const v of jsonValues(Readable.from(chunks)))
            got.push(v);
        assert.deepEqual(got, [{ status: "a" }, { status: "b}{" }, { stream: "c\n" }]);
    });
    it("prints status lines without progress bars off a terminal and throws errors", async () => {
        const msgs = [
            { status: "Pulling from library/busybox", id: "latest" },
            { status: "Pulling fs layer", progressDetail: {}, id: "abc" },
            { status: "Downloading", progressDetail: { current: 10, total: 100 }, progress: "[=>  ]", id: "abc" },
            { status: "Pull complete", progressDetail: {}, id: "abc" },
            { stream: "Step 1/2 : FROM x\n" },
            { aux: { ID: "sha256:1" } },
            { error: "boom", errorDetail: { message: "boom" } },
        ];
        const out = collect();
        let aux;
        await assert.rejects(displayJSONMessages(Readable.from(msgs.map((m) => JSON.stringify(m))), out, false, (a) => (aux = a)), /boom/);
        assert.equal(out.text(), "latest: Pulling from library/busybox\nabc: Pulling fs layer\nabc: Pull complete\nStep 1/2 : FROM x\n");
        assert.deepEqual(aux, { ID: "sha256:1" });
    });
    it("redraws per-layer lines on a terminal", async () => {
        const msgs = [
            { status: "Pulling fs layer", progressDetail: {}, id: "l1" },
            { status: "Pulling fs layer", progressDetail: {}, id: "l2" },
            { status: "Downloading", progressDetail: { current: 50, total: 100 }, id: "l1" },
        ];
        const out = collect();
        await displayJSONMessages(Readable.from(msgs.map((m) => JSON.stringify(m))), out, true);
        assert.equal(out.text(), "\n\x1b[1A\x1b[2K\rl1: Pulling fs layer \r\x1b[1B" +
            "\n\x1b[1A\x1b[2K\rl2: Pulling fs layer \r\x1b[1B" +
            "\x1b[2A\x1b[2K\rl1: Downloading      50B/100B\r\x1b[2B");
    });
    it("renders progress like jsonmessage.JSONProgress", () => {
        assert.equal(progressString({ current: 0, total: 0 }, 200), "");
        assert.equal(progressString({ current: 2_000_000 }, 200), "     2MB");
        assert.equal(progressString({ current: 1_000_000, total: 2_000_000 }, 200), `[${"=".repeat(25)}>${" ".repeat(25)}]      1MB/2MB`);
        assert.equal(progressString({ current: 1_000_000, total: 2_000_000 }, 80), "     1MB/2MB");
        assert.equal(progressString({ current: 3, total: 10, units: "items" }, 80), "3/10 items");
    });
});
describe("client over a unix socket", () => {
    it("decodes JSON, maps errors, and hijacks with a 101 upgrade", async () => {
        const dir = mkdtempSync(join(tmpdir(), "berth-cli-client-"));
        const sock = join(dir, "s.sock");
        const seen = [];
        const server = http.createServer((req, res) => {
            seen.push(`${req.method} ${req.url}`);
            if (req.url?.startsWith("/v1.41/ok")) {
                res.setHeader("Content-Type", "application/json");
                res.end('{"a":1}');
            }
            else {
                res.statusCode = 409;
                res.end('{"message":"conflict here"}');
            }
        });
        server.on("upgrade", (req, socket) => {
            seen.push(`UPGRADE ${req.headers.upgrade} ${req.url}`);
            socket.write("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
            socket.write(muxFrame(1, "ready\n"));
            // Echo stdin back on stderr until the client half-closes, then end.
            socket.on("data", (c) => socket.write(muxFrame(2, c)));
            socket.on("end", () => socket.end(muxFrame(1, "bye\n")));
        });
        await new Promise((r) => server.listen(sock, r));
        try {
            const c = new Client({ host: `unix://${sock}` }, {});
            assert.deepEqual(await c.get("/ok", { all: true, filters: undefined }), { a: 1 });
            assert.equal(seen[0], "GET /v1.41/ok?all=1");
            await assert.rejects(c.post("/bad"), (e) => e instanceof DaemonError &&
                e.statusCode === 409 &&
                e.message === "Error response from daemon: conflict here");
            const s = await c.hijack("POST", "/containers/x/attach", { query: { stream: true } });
            const out = collect();
            const err = collect();
            const done = copyStdStreams(s, false, out, err);
            s.write("ping");
            await new Promise((r) => setTimeout(r, 50));
            s.end();
            await done;
            assert.equal(out.text(), "ready\nbye\n");
            assert.equal(err.text(), "ping");
            assert.ok(seen.includes("UPGRADE tcp /v1.41/containers/x/attach?stream=1"));
            const bad = new Client({ host: `unix://${dir}/nope.sock` }, {});
            await assert.rejects(bad.get("/ok"), /Cannot connect to the berth daemon at unix:\/\/.*nope.sock: is berthd running\?/);
        }
        finally {
            server.close();
            rmSync(dir, { recursive: true, force: true });
        }
    });
    it("resolves the host from -H, BERTH_HOST, DOCKER_HOST, then the default", () => {
        assert.equal(new Client({ host: "unix:///a" }, { BERTH_HOST: "unix:///b" }).host, "unix:///a");
        assert.equal(new Client({}, { BERTH_HOST: "unix:///b", DOCKER_HOST: "unix:///c" }).host, "unix:///b");
        assert.equal(new Client({}, { DOCKER_HOST: "unix:///c" }).host, "unix:///c");
        assert.equal(new Client({}, {}).host, "unix:///run/berth/berth.sock");
    });
});
//# sourceMappingURL=stream.test.js.map