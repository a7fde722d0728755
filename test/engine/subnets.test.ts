/**
 * Two daemons on one host (own roots, bridges, prefixes) never share a
 * subnet: networks claim theirs on the bridge at creation, under a host-wide
 * lock, even when both create at once. A subnet taken by someone else while
 * a daemon was down gives a clear error. Docker's bridge options are applied
 * (name, MTU, enable_icc) or refused.
 */
import assert from "node:assert/strict";
import { execFile, execSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { overlaps } from "../../src/network/ipam.js";
import { busyboxTar, cleanupDaemon, DOCKER, startDaemon, type TestDaemon } from "../helpers/daemon.js";

const run = promisify(execFile);

function tagOf(d: TestDaemon): string {
  return `bt${d.dir
    .slice(-6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "x")}`;
}

function subnet(d: TestDaemon, net: string): string {
  return d.ok(["network", "inspect", net, "--format", "{{(index .IPAM.Config 0).Subnet}}"]);
}

function gateway(d: TestDaemon, net: string): string {
  return d.ok(["network", "inspect", net, "--format", "{{(index .IPAM.Config 0).Gateway}}"]);
}

describe("subnets across daemons", () => {
  let a: TestDaemon;
  let b: TestDaemon;
  let work: string;
  const dummy = `btdum${process.pid % 10000}`;

  before(async () => {
    [a, b] = await Promise.all([startDaemon(), startDaemon()]);
    work = mkdtempSync("/tmp/berth-subnets-");
    const tar = busyboxTar(work);
    for (const d of [a, b]) d.ok(["import", "--change", 'CMD ["sh"]', tar, "bb"]);
  });
  after(async () => {
    execSync(`ip link del ${dummy} 2>/dev/null || true`);
    await Promise.all([cleanupDaemon(a), cleanupDaemon(b)]);
    rmSync(work, { recursive: true, force: true });
  });

  it("gives two daemons distinct subnets, even when they create networks at the same time", async () => {
    const create = (d: TestDaemon, name: string) =>
      run(DOCKER, ["network", "create", name], { env: { ...process.env, DOCKER_HOST: d.host } });
    await Promise.all([1, 2, 3].flatMap((i) => [create(a, `u${i}`), create(b, `u${i}`)]));
    const all: string[] = [];
    for (const d of [a, b]) for (const n of ["bridge", "u1", "u2", "u3"]) all.push(subnet(d, n));
    for (let i = 0; i < all.length; i++)
      for (let j = i + 1; j < all.length; j++)
        assert.ok(!overlaps(all[i]!, all[j]!), `${all[i]} overlaps ${all[j]} (${all.join(" ")})`);
  });

  it("lets the containers of both daemons reach their gateways on the default and a user network", () => {
    for (const d of [a, b]) {
      for (const net of ["bridge", "u1"]) {
        const name = `c-${net}`;
        d.ok(["run", "-d", "--name", name, "--network", net, "bb", "sleep", "60"]);
      }
    }
    for (const d of [a, b]) {
      for (const net of ["bridge", "u1"]) {
        const r = d.docker(["exec", `c-${net}`, "ping", "-c", "1", "-W", "2", gateway(d, net)]);
        assert.equal(r.code, 0, `ping ${net} gateway: ${r.out}${r.err}`);
        d.ok(["rm", "-f", `c-${net}`]);
      }
    }
  });

  it("applies the bridge name, MTU and enable_icc=false options", () => {
    const name = `${tagOf(a)}cu`;
    a.ok([
      "network",
      "create",
      "-o",
      `com.docker.network.bridge.name=${name}`,
      "-o",
      "com.docker.network.driver.mtu=1400",
      "-o",
      "com.docker.network.bridge.enable_icc=false",
      "opts",
    ]);
    assert.equal(readFileSync(`/sys/class/net/${name}/mtu`, "utf8").trim(), "1400");
    a.ok(["run", "-d", "--name", "i1", "--network", "opts", "bb", "sleep", "60"]);
    a.ok(["run", "-d", "--name", "i2", "--network", "opts", "bb", "sleep", "60"]);
    const ip2 = a.ok(["inspect", "i2", "--format", "{{.NetworkSettings.Networks.opts.IPAddress}}"]);
    assert.equal(a.ok(["exec", "i1", "cat", "/sys/class/net/eth0/mtu"]), "1400");
    assert.equal(a.docker(["exec", "i1", "ping", "-c", "1", "-W", "2", gateway(a, "opts")]).code, 0);
    assert.notEqual(a.docker(["exec", "i1", "ping", "-c", "1", "-W", "2", ip2]).code, 0, "icc=false");
    a.ok(["rm", "-f", "i1", "i2"]);
    a.ok(["network", "rm", "opts"]);
    assert.throws(() => readFileSync(`/sys/class/net/${name}/mtu`));
  });

  it("refuses documented bridge options it cannot apply, and bad values", () => {
    const r = a.docker(["network", "create", "-o", "com.docker.network.bridge.inhibit_ipv4=true", "x1"]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /inhibit_ipv4=true is not supported/);
    const m = a.docker(["network", "create", "-o", "com.docker.network.driver.mtu=12", "x2"]);
    assert.match(m.err, /invalid com.docker.network.driver.mtu/);
    assert.doesNotMatch(a.ok(["network", "ls", "--format", "{{.Name}}"]), /x1|x2/);
  });

  it("reports a subnet taken while the daemon was down, and moves an unused default bridge", async () => {
    const fixed = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}.0/24`;
    a.ok(["network", "create", "--subnet", fixed, "fixed"]);
    const oldDefault = subnet(a, "bridge");
    await a.stop();
    execSync(`ip link add ${dummy} type bridge`);
    execSync(`ip addr add ${fixed.replace(/0\/24$/, "5/24")} dev ${dummy}`);
    execSync(`ip addr add ${oldDefault.replace(/0\/24$/, "7/24")} dev ${dummy}`);
    await a.start();
    const r = a.docker(["run", "--rm", "--network", "fixed", "bb", "true"]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.err,
      new RegExp(`subnet ${fixed.replace(/\./g, "\\.")} overlaps .* on interface ${dummy}`),
    );
    assert.notEqual(subnet(a, "bridge"), oldDefault, "the unused default bridge moved");
    assert.equal(a.docker(["run", "--rm", "bb", "true"]).code, 0);
    assert.match(a.log(), /network unusable/);
    execSync(`ip link del ${dummy}`);
    a.ok(["network", "rm", "fixed"]);
  });
});
