/**
 * Containers outlive berthd: SIGKILL the daemon while three containers run
 * (one printing a line every 100 ms), restart it, and they are still
 * running, their logs have no gap, and `docker stop` works on them. Also
 * many containers at once, removed cleanly, with nothing left behind.
 */
import assert from "node:assert/strict";
import { execSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { eventually } from "../helpers/wait.js";

function leftovers(d: TestDaemon): { mounts: string[]; conmons: string[]; runc: string } {
  const mounts = readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .filter((l) => l.includes(d.dir));
  const conmons = execSync("pgrep -a conmon || true")
    .toString()
    .split("\n")
    .filter((l) => l.includes(d.dir));
  const runc = execSync(`ls ${d.execRoot}/runtime/runc 2>/dev/null || true`).toString().trim();
  return { mounts, conmons, runc };
}

describe("containers survive the daemon", () => {
  let d: TestDaemon;
  let work: string;

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-ctr-");
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  it("keeps running across a SIGKILL of berthd and is re-adopted", async () => {
    const ticker = d.ok([
      "run",
      "-d",
      "--name",
      "ticker",
      "bb",
      "sh",
      "-c",
      "i=0; while true; do echo $i; i=$((i+1)); sleep 0.1; done",
    ]);
    d.ok(["run", "-d", "--name", "s1", "bb", "sleep", "300"]);
    d.ok(["run", "-d", "--name", "s2", "bb", "sleep", "300"]);
    await new Promise((r) => setTimeout(r, 500));
    await d.kill();
    await new Promise((r) => setTimeout(r, 1000)); // output keeps flowing while berthd is down
    await d.start();
    const running = d.ok(["ps", "--format", "{{.Names}}"]).split("\n").sort();
    assert.deepEqual(running, ["s1", "s2", "ticker"]);
    const lines = await eventually("15 lines logged", () => {
      const l = d.ok(["logs", ticker]).split("\n").map(Number);
      return l.length >= 15 && l;
    });
    for (const [i, n] of lines.entries()) assert.equal(n, i, `log gap at line ${i}`);
    const t0 = Date.now();
    d.ok(["stop", "-t", "1", "s1", "s2", "ticker"]);
    // -t 1 honoured (the default 10 s each would be 30 s), with room for a loaded machine.
    assert.ok(Date.now() - t0 < 20_000);
    assert.equal(d.ok(["ps", "-q"]), "");
    assert.match(
      d.ok(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "s1"]),
      /^exited (137|143)$/,
    );
    d.ok(["rm", "s1", "s2", "ticker"]);
  });

  it("records an exit that happened while berthd was down", async () => {
    d.ok(["run", "-d", "--name", "short", "bb", "sh", "-c", "sleep 1; exit 7"]);
    await d.kill();
    await new Promise((r) => setTimeout(r, 1500));
    await d.start();
    // On a loaded machine the container may still be in its `sleep 1`: wait for the exit.
    await eventually(
      "short to exit",
      () => d.ok(["inspect", "-f", "{{.State.Status}}", "short"]) !== "running",
    );
    assert.equal(d.ok(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "short"]), "exited 7");
    d.ok(["rm", "short"]);
  });

  it("applies Docker's default seccomp profile unless unconfined", () => {
    const mode = (...opts: string[]) =>
      d.ok(["run", "--rm", ...opts, "bb", "sh", "-c", "grep '^Seccomp:' /proc/self/status | tr -d '\\t '"]);
    assert.equal(mode(), "Seccomp:2");
    assert.equal(mode("--security-opt", "seccomp=unconfined"), "Seccomp:0");
    // A syscall the profile denies without CAP_SYS_ADMIN: unshare of a mount namespace.
    assert.notEqual(d.docker(["run", "--rm", "bb", "unshare", "-m", "true"]).code, 0);
  });

  it("runs health checks: starting, then healthy or unhealthy after the retries", async () => {
    d.ok([
      "run",
      "-d",
      "--name",
      "hok",
      "--health-cmd",
      "test -e /tmp/ok",
      "--health-interval",
      "200ms",
      "--health-retries",
      "2",
      "bb",
      "sh",
      "-c",
      "sleep 0.5; touch /tmp/ok; sleep 60",
    ]);
    d.ok([
      "run",
      "-d",
      "--name",
      "hbad",
      "--health-cmd",
      "false",
      "--health-interval",
      "200ms",
      "--health-retries",
      "2",
      "bb",
      "sleep",
      "60",
    ]);
    assert.equal(d.ok(["inspect", "-f", "{{.State.Health.Status}}", "hok"]), "starting");
    await eventually(
      "hok healthy",
      () => d.ok(["inspect", "-f", "{{.State.Health.Status}}", "hok"]) === "healthy",
    );
    await eventually(
      "hbad unhealthy",
      () => d.ok(["inspect", "-f", "{{.State.Health.Status}}", "hbad"]) === "unhealthy",
    );
    assert.match(d.ok(["ps", "--filter", "name=hbad", "--format", "{{.Status}}"]), /\(unhealthy\)$/);
    assert.equal(d.ok(["ps", "-q", "--filter", "health=healthy"]).split("\n").length, 1);
    d.ok(["rm", "-f", "hok", "hbad"]);
  });

  it("never loses stdin the client sends before the exec or attach is ready", () => {
    // The CLI writes stdin and half-closes right after the upgrade; it once raced the daemon.
    d.ok(["run", "-d", "--name", "stdin-target", "bb", "sleep", "300"]);
    for (let i = 0; i < 30; i++) {
      const r = d.docker(["exec", "-i", "stdin-target", "cat"], { input: `piped ${i}\n`, timeout: 15_000 });
      assert.equal(r.out, `piped ${i}\n`, `exec -i round ${i}: code ${r.code} ${r.err}`);
    }
    for (let i = 0; i < 5; i++) {
      const r = d.docker(["run", "--rm", "-i", "bb", "cat"], { input: `run ${i}\n`, timeout: 15_000 });
      assert.equal(r.out, `run ${i}\n`, `run -i round ${i}: code ${r.code} ${r.err}`);
    }
    d.ok(["rm", "-f", "stdin-target"]);
  });

  it("system df counts images, containers' writable layers and volumes", () => {
    d.ok(["volume", "create", "dfvol"]);
    d.ok([
      "run",
      "--name",
      "dfc",
      "-v",
      "dfvol:/v",
      "bb",
      "sh",
      "-c",
      "head -c 3000000 /dev/zero > /v/f; head -c 1000000 /dev/zero > /x",
    ]);
    const rows = d.ok(["system", "df", "--format", "{{.Type}}={{.TotalCount}}/{{.Size}}"]).split("\n");
    assert.ok(rows.includes("Containers=1/1MB"), rows.join(" "));
    assert.ok(rows.includes("Local Volumes=1/3MB"), rows.join(" "));
    assert.match(
      d.ok(["ps", "-a", "-s", "--filter", "name=dfc", "--format", "{{.Size}}"]),
      /^1MB \(virtual /,
    );
    d.ok(["rm", "dfc"]);
    d.ok(["volume", "rm", "dfvol"]);
  });

  it("starts 50 detached containers and removes them cleanly", async () => {
    const before = process.memoryUsage().rss;
    void before;
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push(d.ok(["run", "-d", "bb", "sleep", "300"]));
    assert.equal(d.ok(["ps", "-q"]).split("\n").length, 50);
    const conmonRss = execSync(`ps -o rss= -C conmon | awk '{s+=$1} END {print s}'`).toString().trim();
    console.log(`# 50 containers: conmon RSS total ${conmonRss} KiB`);
    d.ok(["rm", "-f", ...ids]);
    assert.equal(d.ok(["ps", "-aq"]), "");
    const left = leftovers(d);
    assert.deepEqual(left.mounts, []);
    assert.deepEqual(left.conmons, []);
    assert.equal(left.runc, "");
  });
});
