/**
 * Log drivers as `docker run --log-driver/--log-opt` and daemon.json set
 * them: json-file rotation keeps at most max-file files of max-size and
 * `docker logs` reads across them in order; none keeps nothing and refuses
 * reading as Docker does; unknown drivers and options are refused at create;
 * daemon.json defaults apply. Also: health checks keep running after
 * pause/unpause.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { eventually } from "../helpers/wait.js";

/** Bytes of the container's log files (live and rotated; the .keep link is the live file again). */
function logBytes(d: TestDaemon, id: string): number {
  const dir = join(d.root, "containers", id);
  return readdirSync(dir)
    .filter((f) => /^container\.log(\.\d+)?$/.test(f))
    .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/** The number of the container's log files (live and rotated). */
function logCount(d: TestDaemon, id: string): number {
  return readdirSync(join(d.root, "containers", id)).filter((f) => /^container\.log(\.\d+)?$/.test(f)).length;
}

/** Bytes past max-file x max-size a rotation that lags behind a fast writer may keep (see logrotate.ts). */
const ROTATION_LAG = 1536 * 1024;

// ~5.6 MB in bursts of 1,000 lines, a steady logger rather than one write-as-fast-as-possible burst.
const LINES =
  'i=0; while [ $i -lt 60000 ]; do echo "line $i ................................................................"; i=$((i+1)); [ $((i % 1000)) = 0 ] && sleep 0.02; done';

async function waitExit(d: TestDaemon, name: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (d.ok(["inspect", "-f", "{{.State.Status}}", name]) === "exited") return;
    await sleep(100);
  }
  throw new Error(`${name} did not exit`);
}

/** Checks that the kept lines are consecutive numbers ending with the last one written. */
function assertTailInOrder(out: string, last: number): void {
  const nums = out
    .split("\n")
    .filter(Boolean)
    .map((l) => Number(l.split(" ")[1]));
  assert.ok(nums.length > 100, `only ${nums.length} lines kept`);
  assert.equal(nums.at(-1), last);
  for (let i = 1; i < nums.length; i++) assert.equal(nums[i], nums[i - 1]! + 1, `gap or repeat at line ${i}`);
}

describe("log drivers", () => {
  let d: TestDaemon;
  let work: string;

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-logs-");
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  it("json-file max-size=100k max-file=3: ~5 MB of output keeps ~300 KB, logs end with the last lines in order", async () => {
    const id = d.ok([
      "run",
      "-d",
      "--name",
      "rot",
      "--log-opt",
      "max-size=100k",
      "--log-opt",
      "max-file=3",
      "bb",
      "sh",
      "-c",
      `${LINES}; sleep 2`,
    ]);
    await waitExit(d, "rot");
    const bytes = logBytes(d, id);
    // The live file is rotated just after it passes max-size (inotify); conmon writes into
    // the renamed file until it reopens, so a loaded machine keeps a little more: bounded by
    // the lag, far below the ~7 MB written.
    assert.ok(bytes <= 3 * 102400 + ROTATION_LAG, `${bytes} bytes of logs kept`);
    assert.ok(logCount(d, id) <= 3, `${logCount(d, id)} log files`);
    assertTailInOrder(d.ok(["logs", "rot"]), 59999);
    assert.equal(d.ok(["logs", "--tail", "2", "rot"]).split("\n").length, 2);
    assert.equal(d.ok(["inspect", "-f", "{{.HostConfig.LogConfig.Type}}", "rot"]), "json-file");
  });

  it("logs -f follows the container across rotations without gaps", async () => {
    const id = d.ok([
      "run",
      "-d",
      "--name",
      "rotf",
      "--log-opt",
      "max-size=200k",
      "--log-opt",
      "max-file=5",
      "bb",
      "sh",
      "-c",
      'sleep 1; i=0; while [ $i -lt 20000 ]; do echo "line $i"; i=$((i+1)); [ $((i % 1000)) = 0 ] && sleep 0.02; done; true',
    ]);
    const r = d.docker(["logs", "-f", "rotf"], { timeout: 60_000 });
    assert.equal(r.code, 0, r.err);
    assertTailInOrder(r.out, 19999);
    assert.ok(
      readdirSync(join(d.root, "containers", id)).includes("container.log.1"),
      "the log never rotated",
    );
  });

  it("--log-driver none keeps nothing and refuses reading", () => {
    const r = d.docker(["run", "--name", "quiet", "--log-driver", "none", "bb", "echo", "hi"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, "hi\n"); // attached output still reaches the client
    const logs = d.docker(["logs", "quiet"]);
    assert.notEqual(logs.code, 0);
    assert.match(logs.err, /configured logging driver does not support reading/);
  });

  it("refuses unknown drivers and options at create", () => {
    const bad = [
      [["--log-driver", "syslog"], /logging driver "syslog" is not supported/],
      [["--log-driver", "nope"], /no log driver named 'nope'/],
      [["--log-opt", "foo=1"], /unknown log opt 'foo' for json-file/],
      [["--log-opt", "max-size=lots"], /invalid value for max-size/],
      [["--log-opt", "max-size=1m", "--log-opt", "max-file=0"], /max-file cannot be less than 1/],
    ] as const;
    for (const [args, re] of bad) {
      const r = d.docker(["create", ...args, "bb", "true"]);
      assert.notEqual(r.code, 0, `accepted ${args.join(" ")}`);
      assert.match(r.err, re);
    }
  });

  it("keeps probing health after pause/unpause", async () => {
    d.ok([
      "run",
      "-d",
      "--name",
      "hc",
      "--health-cmd",
      "true",
      "--health-interval",
      "1s",
      "bb",
      "sleep",
      "600",
    ]);
    await sleep(2500);
    d.ok(["pause", "hc"]);
    await sleep(2000);
    d.ok(["unpause", "hc"]);
    const unpausedAt = Date.now();
    // A probe after the unpause, however slow the machine (interval 1 s).
    await eventually("a health probe after the unpause", () => {
      const log = JSON.parse(d.ok(["inspect", "-f", "{{json .State.Health.Log}}", "hc"])) as {
        Start: string;
      }[];
      return log.length > 0 && Date.parse(log.at(-1)!.Start) > unpausedAt;
    });
    assert.equal(d.ok(["inspect", "-f", "{{.State.Health.Status}}", "hc"]), "healthy");
  });
});

describe("daemon.json log-driver and log-opts", () => {
  let d: TestDaemon;
  let work: string;

  before(async () => {
    work = mkdtempSync("/tmp/berth-logcfg-");
    const cfg = join(work, "daemon.json");
    writeFileSync(
      cfg,
      JSON.stringify({ "log-driver": "local", "log-opts": { "max-size": "64k", "max-file": "2" } }),
    );
    d = await startDaemon({ extraArgs: ["--config-file", cfg] });
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  it("applies the daemon's default driver and options to containers that name none", async () => {
    const id = d.ok(["run", "-d", "--name", "dflt", "bb", "sh", "-c", `${LINES}; sleep 2`]);
    assert.equal(d.ok(["inspect", "-f", "{{.HostConfig.LogConfig.Type}}", "dflt"]), "local");
    assert.equal(d.ok(["inspect", "-f", '{{index .HostConfig.LogConfig.Config "max-size"}}', "dflt"]), "64k");
    await waitExit(d, "dflt");
    const bytes = logBytes(d, id);
    assert.ok(bytes <= 2 * 65536 + ROTATION_LAG, `${bytes} bytes of logs kept`);
    assert.ok(logCount(d, id) <= 2, `${logCount(d, id)} log files`);
    assertTailInOrder(d.ok(["logs", "dflt"]), 59999);
  });
});
