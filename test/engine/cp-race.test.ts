/**
 * The CVE-2018-15664 race (issue 13): a container loops swapping a
 * directory and a symlink to `/` while `docker cp` runs in and out of that
 * directory a few hundred times. Inside the container the path through the
 * link does not exist, on the host it leads to a sentinel directory: a
 * daemon that resolves the path and then re-walks the string reads or writes
 * the host's files. The sentinel is never read, written or added to.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";

const ROUNDS = Number(process.env.BERTH_RACE_ROUNDS ?? 300);

describe("docker cp against a container swapping a directory and a symlink to /", () => {
  let d: TestDaemon;
  let work: string;
  let host: string;
  const sentinel = `HOST-SENTINEL-${randomBytes(8).toString("hex")}`;

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-race-");
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    host = join(work, "host");
    mkdirSync(join(host, "drop"), { recursive: true });
    writeFileSync(join(host, "sentinel.txt"), `${sentinel}\n`);
    // /w/d is a real directory holding <host>/sentinel.txt (the container's copy) and
    // <host>/drop/, or a symlink to / (where the container has no <host>).
    const loop = [
      `mkdir -p /w/d${host}/drop && echo container-copy > /w/d${host}/sentinel.txt`,
      "while :; do mv /w/d /w/x; ln -s / /w/d; rm /w/d; mv /w/x /w/d; done",
    ].join(" && ");
    d.ok(["run", "-d", "--name", "swapper", "bb", "sh", "-c", loop]);
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  it(`${ROUNDS} copies out and ${ROUNDS} in never reach the host`, () => {
    const sentinelMtime = statSync(join(host, "sentinel.txt")).mtimeMs;
    const payload = join(work, "payload.txt");
    writeFileSync(payload, "from cp\n");
    let outOk = 0;
    let inOk = 0;
    for (let i = 0; i < ROUNDS; i++) {
      // Out: a file and a directory through the swapping component.
      const f = d.docker(["cp", `swapper:/w/d${host}/sentinel.txt`, "-"]);
      assert.ok(!f.out.includes(sentinel), `round ${i}: the host's sentinel was read`);
      if (f.code === 0) outOk++;
      const dir = d.docker(["cp", `swapper:/w/d${host}`, "-"]);
      assert.ok(!dir.out.includes(sentinel), `round ${i}: the host's sentinel was read (directory)`);
      // In: into the directory through the swapping component.
      const put = d.docker(["cp", payload, `swapper:/w/d${host}/drop/`]);
      if (put.code === 0) inOk++;
      assert.deepEqual(readdirSync(join(host, "drop")), [], `round ${i}: a file was written on the host`);
    }
    assert.equal(readFileSync(join(host, "sentinel.txt"), "utf8"), `${sentinel}\n`);
    assert.equal(statSync(join(host, "sentinel.txt")).mtimeMs, sentinelMtime);
    assert.deepEqual(readdirSync(host).sort(), ["drop", "sentinel.txt"]);
    // The race was real: some copies went through the directory, some hit the link.
    assert.ok(outOk > 0 && outOk < ROUNDS, `copies out that succeeded: ${outOk}/${ROUNDS}`);
    assert.ok(inOk > 0, `copies in that succeeded: ${inOk}/${ROUNDS}`);
    // The container still works, and what went in is in its directory.
    assert.equal(
      // (The directory moves all the time: look until a read catches it in place.)
      d.ok([
        "exec",
        "swapper",
        "sh",
        "-c",
        `for i in $(seq 1 200); do cat /w/*${host}/drop/payload.txt 2>/dev/null && break; done | head -1`,
      ]),
      "from cp",
    );
  });
});
