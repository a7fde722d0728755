/**
 * `docker run --cgroup-parent` (cgroupfs driver, as Docker's): the container's cgroup is
 * /<parent>/<id> in every hierarchy, its limits and stats are read there, removal takes the
 * container's cgroup away (the parent stays, as with Docker), and a parent that climbs out
 * is refused. At start berthd removes the cgroups of containers it no longer has.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";

describe("docker run --cgroup-parent", () => {
  let d: TestDaemon;
  let work: string;
  const parent = `berth-cgp-test-${process.pid}`;

  before(async () => {
    work = mkdtempSync("/tmp/berth-cgp-");
    d = await startDaemon();
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
    spawnSync("sh", ["-c", `for c in /sys/fs/cgroup/*/${parent}; do [ -d "$c" ] && rmdir "$c"; done; true`]);
  });

  it("puts the container's cgroup under the parent, with its limits and stats", () => {
    const id = d.ok(["run", "-d", "--cgroup-parent", `/${parent}`, "--memory", "32m", "bb", "sleep", "300"]);
    assert.match(d.ok(["exec", id, "cat", "/proc/1/cgroup"]), new RegExp(`memory:/${parent}/${id}$`, "m"));
    assert.equal(
      readFileSync(`/sys/fs/cgroup/memory/${parent}/${id}/memory.limit_in_bytes`, "utf8").trim(),
      "33554432",
    );
    assert.match(d.ok(["stats", "--no-stream", "--format", "{{.MemUsage}}", id]), /\/ 32MiB$/);
    assert.equal(d.ok(["inspect", "-f", "{{.HostConfig.CgroupParent}}", id]), `/${parent}`);
    d.ok(["rm", "-f", id]);
    assert.ok(!existsSync(`/sys/fs/cgroup/memory/${parent}/${id}`), "the container's cgroup is removed");
  });

  it("refuses a parent that climbs out of the cgroup root", () => {
    const r = d.docker(["run", "--rm", "--cgroup-parent", "../escape", "bb", "true"]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /invalid cgroup parent "\.\.\/escape"/);
  });

  it("removes at start the cgroups of containers it no longer has, and keeps those it has", async () => {
    const id = d.ok(["run", "-d", "bb", "sleep", "300"]);
    const parent = `/sys/fs/cgroup/memory/berth-${createHash("sha256").update(d.root).digest("hex").slice(0, 8)}`;
    assert.ok(existsSync(`${parent}/${id}`), "the running container's cgroup");
    await d.kill();
    const stray = `${parent}/${"e".repeat(64)}`;
    mkdirSync(stray);
    await d.start();
    assert.ok(!existsSync(stray), "the stray cgroup is gone");
    assert.ok(existsSync(`${parent}/${id}`), "the running container keeps its cgroup");
    assert.equal(d.ok(["inspect", "-f", "{{.State.Status}}", id]), "running");
    d.ok(["rm", "-f", id]);
  });
});
