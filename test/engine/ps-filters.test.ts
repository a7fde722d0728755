/**
 * `docker ps --filter` for what moby's daemon/list.go filters on besides names and labels:
 * publish (a published container port or range), expose (an exposed one), volume (a volume's
 * name or a mount's destination), network (name or ID prefix), is-task; network ls
 * dangling and scope; and
 * `docker inspect -s` (SizeRw, SizeRootFs).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { freePort } from "../helpers/registry.js";

describe("docker ps filters", () => {
  let d: TestDaemon;
  let work: string;
  let port: number;

  before(async () => {
    work = mkdtempSync("/tmp/berth-psf-");
    d = await startDaemon();
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    port = await freePort();
    d.ok(["volume", "create", "vv"]);
    d.ok(["network", "create", "nn"]);
    d.ok([
      "run",
      "-d",
      "--name",
      "web",
      "-p",
      `127.0.0.1:${port}:80`,
      "--expose",
      "90",
      "bb",
      "sleep",
      "300",
    ]);
    d.ok(["run", "-d", "--name", "db", "-v", "vv:/data", "--network", "nn", "bb", "sleep", "300"]);
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  const ps = (filter: string) =>
    d.ok(["ps", "--filter", filter, "--format", "{{.Names}}"]).split("\n").filter(Boolean).sort().join(" ");

  it("filters on ports, volumes, networks and tasks as Docker does", () => {
    // publish and expose name the container's port, as Docker documents
    // (`--filter publish=80` lists `0.0.0.0:32768->80/tcp`); a published port is exposed too.
    assert.equal(ps("publish=80"), "web");
    assert.equal(ps("publish=79-81/tcp"), "web");
    assert.equal(ps(`publish=${port}`), "", "not the host's port");
    assert.equal(ps("publish=90"), "", "exposed, not published");
    assert.equal(ps("expose=80"), "web");
    assert.equal(ps("expose=90"), "web");
    assert.equal(ps("expose=90/udp"), "");
    assert.equal(ps("volume=vv"), "db");
    assert.equal(ps("volume=/data"), "db");
    assert.equal(ps("network=nn"), "db");
    const nnId = d.ok(["network", "inspect", "-f", "{{.Id}}", "nn"]).slice(0, 6);
    assert.equal(ps(`network=${nnId}`), "db");
    assert.equal(ps("network=bridge"), "web");
    assert.equal(ps("is-task=false"), "db web");
    assert.equal(ps("is-task=true"), "");
    const bad = d.docker(["ps", "--filter", "publish=abc"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /Invalid filter 'publish=abc'/);
  });

  it("inspect -s reports the writable layer's size and the whole rootfs", () => {
    const before = d.ok(["inspect", "-s", "-f", "{{.SizeRw}} {{.SizeRootFs}}", "web"]).split(" ").map(Number);
    d.ok(["exec", "web", "sh", "-c", "head -c 100000 /dev/zero > /grown"]);
    const after = d.ok(["inspect", "-s", "-f", "{{.SizeRw}} {{.SizeRootFs}}", "web"]).split(" ").map(Number);
    assert.ok(after[0]! >= before[0]! + 100000, `SizeRw ${before[0]} -> ${after[0]}`);
    assert.equal(after[1]! - before[1]!, after[0]! - before[0]!);
    assert.equal(d.ok(["inspect", "-f", "{{.SizeRw}}", "web"]), "<nil>", "no sizes unless asked");
  });

  it("network ls filters dangling and scope", () => {
    d.ok(["network", "create", "unused"]);
    const ls = (filter: string) =>
      d
        .ok(["network", "ls", "--filter", filter, "--format", "{{.Name}}"])
        .split("\n")
        .filter(Boolean)
        .sort()
        .join(" ");
    assert.equal(ls("dangling=true"), "unused");
    assert.equal(ls("dangling=false"), "bridge host nn none");
    assert.equal(ls("scope=swarm"), "");
    assert.equal(ls("scope=local"), "bridge host nn none unused");
  });

  it("events: unknown filter keys refused, scope and swarm keys as Docker's", () => {
    const bad = d.docker(["events", "--since", "0", "--until", "1", "--filter", "foo=bar"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /invalid filter 'foo'/);
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const ev = (filter: string) =>
      d.ok(["events", "--since", "0", "--until", until, "--filter", filter, "--format", "{{.Action}}"]);
    assert.match(ev("scope=local"), /^create$/m);
    assert.equal(ev("scope=swarm"), "");
    assert.equal(ev("service=anything"), "");
  });
});
