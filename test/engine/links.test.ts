/**
 * Legacy links (`--link name:alias`) as moby keeps them beyond the happy
 * path: on a user-defined network a link is a DNS alias only the linking
 * container resolves (no /etc/hosts line, no ALIAS_* variables); a default
 * bridge container cannot link to one that is not on the default bridge;
 * links follow a renamed container, a restarted one's new address reaches
 * the containers linking to it, and links go with a removed one.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { eventually } from "../helpers/wait.js";

describe("legacy links", () => {
  let d: TestDaemon;
  let work: string;

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-links-");
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  it("gives the containers linking to a restarted target its new address", async () => {
    d.ok(["run", "-d", "--name", "moved", "bb", "sleep", "300"]);
    d.ok(["run", "-d", "--name", "mover", "--link", "moved:m", "bb", "sleep", "300"]);
    const ipOf = () => d.ok(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "moved"]);
    const old = ipOf();
    d.ok(["stop", "-t", "0", "moved"]);
    d.ok(["run", "-d", "--name", "taker", "bb", "sleep", "300"]); // takes a free address first
    d.ok(["start", "moved"]);
    const ip = ipOf();
    assert.notEqual(ip, old, "the restarted target has a new address");
    const line = new RegExp(`^${ip.replace(/\./g, "\\.")}\tm [0-9a-f]{12} moved$`, "m");
    await eventually(
      "mover's /etc/hosts names the new address",
      () => line.test(d.ok(["exec", "mover", "cat", "/etc/hosts"])) || undefined,
    );
    d.ok(["rm", "-f", "moved", "mover", "taker"]);
  });

  it("makes a link on a user-defined network a DNS alias of the linking container only", async () => {
    d.ok(["network", "create", "linknet"]);
    d.ok(["run", "-d", "--name", "svc", "--network", "linknet", "-e", "SECRET=s1", "bb", "sleep", "300"]);
    const ip = d.ok(["inspect", "-f", "{{.NetworkSettings.Networks.linknet.IPAddress}}", "svc"]);
    d.ok(["run", "-d", "--name", "client", "--network", "linknet", "--link", "svc:db", "bb", "sleep", "300"]);
    const look = (c: string, name: string) => d.docker(["exec", c, "nslookup", "-type=a", name]).out;
    await eventually(
      "db resolves in client",
      () => look("client", "db").includes(ip) || undefined,
      60_000,
      500,
    );
    assert.ok(look("client", "DB.linknet").includes(ip), "case-insensitive, with the network suffix");
    d.ok(["run", "-d", "--name", "other", "--network", "linknet", "bb", "sleep", "300"]);
    await eventually(
      "svc resolves in other",
      () => look("other", "svc").includes(ip) || undefined,
      60_000,
      500,
    );
    assert.ok(!look("other", "db").includes(ip), "another container does not know client's alias");
    const hosts = d.ok(["exec", "client", "cat", "/etc/hosts"]);
    assert.doesNotMatch(hosts, /\bdb\b/, "no /etc/hosts line on a user network");
    const env = d.ok(["exec", "client", "env"]);
    assert.doesNotMatch(env, /^DB_/m, "no link variables on a user network");
    // The alias follows its target through a rename.
    d.ok(["rename", "svc", "svc-renamed"]);
    assert.ok(look("client", "db").includes(ip), "db still resolves after svc's rename");
  });

  it("refuses at start a default-bridge link to a container not on the default bridge", () => {
    d.ok(["network", "create", "linknet2"]);
    const id = d.ok(["run", "-d", "--name", "away", "--network", "linknet2", "bb", "sleep", "300"]);
    const r = d.docker(["run", "--rm", "--link", "away:a", "bb", "true"]);
    assert.equal(r.code, 125, r.err);
    assert.match(r.err, new RegExp(`container ${id} not attached to default bridge network`));
  });

  it("follows a renamed container and forgets a removed one", () => {
    d.ok(["run", "-d", "--name", "tgt", "bb", "sleep", "300"]);
    d.ok(["run", "-d", "--name", "par", "--link", "tgt:t", "bb", "sleep", "300"]);
    d.ok(["rename", "tgt", "tgt2"]);
    d.ok(["rename", "par", "par2"]);
    assert.equal(d.ok(["inspect", "-f", "{{json .HostConfig.Links}}", "par2"]), '["/tgt2:/par2/t"]');
    d.ok(["restart", "-t", "0", "par2"]);
    const ip = d.ok(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "tgt2"]);
    const hosts = d.ok(["exec", "par2", "cat", "/etc/hosts"]);
    assert.ok(
      hosts.split("\n").some((l) => new RegExp(`^${ip.replace(/\./g, "\\.")}\tt [0-9a-f]{12} tgt2$`).test(l)),
      hosts,
    );
    d.ok(["rm", "-f", "tgt2"]);
    assert.equal(d.ok(["inspect", "-f", "{{json .HostConfig.Links}}", "par2"]), "null");
    d.ok(["restart", "-t", "0", "par2"]);
    assert.doesNotMatch(d.ok(["exec", "par2", "cat", "/etc/hosts"]), /\ttgt2$/m);
  });
});
