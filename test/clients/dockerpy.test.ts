/**
 * docker-py (the Docker SDK for Python) against berthd, unchanged: build, run, exec (demux,
 * env, user, an unknown user's 126), archives, a published port, stats, pause, rename,
 * update, wait, commit, log streams, a hijacked attach socket, volumes, networks with DNS,
 * events, push/pull to a local registry, save/load, prune and df. The steps live in
 * fixtures/dockerpy_smoke.py; each prints `ok <step>`. Passes with Debian's docker-py 5.0.3
 * and with 7.1; BERTH_TEST_PYTHON picks the interpreter.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

const SCRIPT = resolve(import.meta.dirname, "../../../test/clients/fixtures/dockerpy_smoke.py");

/** A python3 that has the docker module: BERTH_TEST_PYTHON, else the PATH's, else Debian's (python3-docker). */
function python(): string {
  for (const p of process.env.BERTH_TEST_PYTHON
    ? [process.env.BERTH_TEST_PYTHON]
    : ["python3", "/usr/bin/python3"])
    if (spawnSync(p, ["-c", "import docker"]).status === 0) return p;
  throw new Error("no python3 with the docker module (make deps installs python3-docker)");
}

describe("docker-py", () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let work: string;

  before(async () => {
    work = mkdtempSync("/tmp/berth-dockerpy-");
    reg = await startRegistry(work);
    d = await startDaemon();
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
  });
  after(async () => {
    await cleanupDaemon(d);
    reg?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("does what a Python user does every day", () => {
    const r = spawnSync(python(), [SCRIPT], {
      env: { ...process.env, DOCKER_HOST: d.host, REGISTRY: reg.addr },
      timeout: 240_000,
    });
    const out = r.stdout.toString();
    assert.equal(r.status, 0, `${out}\n${r.stderr.toString()}\n${d.log().slice(-3000)}`);
    assert.match(out, /ALL OK/);
    assert.ok(out.split("\n").filter((l) => l.startsWith("ok ")).length >= 31, out);
  });
});
