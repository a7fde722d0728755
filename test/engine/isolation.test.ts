/**
 * The host's loopback stays the host's (CVE-2020-8558, docs/SECURITY.md):
 * a default container that crafts a TCP SYN to the bridge's MAC with
 * destination 127.0.0.1 gets no answer from a host service bound to
 * 127.0.0.1, while the same probe at the gateway address does get one
 * (so the probe works), and a port published on 127.0.0.1 still answers
 * from the host. route_localnet is on only for bridges with such a port.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";

const PROBE_SRC = resolve(import.meta.dirname, "../../../test/fixtures/synprobe.c");

function listen(host: string): Promise<Server> {
  return new Promise((ok, fail) => {
    const s = createServer((c) => c.end("host-only\n"));
    s.once("error", fail);
    s.listen(0, host, () => ok(s));
  });
}

function port(s: Server): number {
  return (s.address() as { port: number }).port;
}

async function eventually(fn: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe("a container cannot reach the host's loopback", () => {
  let d: TestDaemon;
  let work: string;
  let bridge: string;
  let local: Server;
  let any: Server;

  before(async () => {
    d = await startDaemon();
    bridge = `bt${d.dir
      .slice(-6)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "x")}0`;
    work = mkdtempSync("/tmp/berth-iso-");
    execFileSync("gcc", ["-static", "-O2", "-o", join(work, "synprobe"), PROBE_SRC]);
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    local = await listen("127.0.0.1");
    any = await listen("0.0.0.0");
  });
  after(async () => {
    local?.close();
    any?.close();
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  /** Runs synprobe in a default container against dst:port via the default bridge's MAC. */
  function probe(dst: string, p: number): { code: number; out: string } {
    const mac = readFileSync(`/sys/class/net/${bridge}/address`, "utf8").trim();
    const id = d.ok(["create", "bb", "/synprobe", "eth0", mac, dst, String(p)]);
    d.ok(["cp", join(work, "synprobe"), `${id}:/synprobe`]);
    const r = d.docker(["start", "-a", id]);
    d.docker(["rm", "-f", id]);
    return { code: r.code, out: r.out.trim() };
  }

  it("the bridge exists as soon as the daemon runs (its subnet is claimed)", () => {
    assert.ok(existsSync(`/sys/class/net/${bridge}`));
  });

  it("drops a crafted SYN to 127.0.0.1 while a published 127.0.0.1 port answers from the host", async () => {
    const hostPort = 20000 + Math.floor(Math.random() * 20000);
    d.ok([
      "run",
      "-d",
      "--name",
      "web",
      "-p",
      `127.0.0.1:${hostPort}:80`,
      "bb",
      "sh",
      "-c",
      "mkdir /www && echo served > /www/index.html && exec httpd -f -p 80 -h /www",
    ]);
    assert.ok(
      await eventually(async () => {
        const res = await fetch(`http://127.0.0.1:${hostPort}/index.html`, {
          signal: AbortSignal.timeout(2000),
        });
        return (await res.text()) === "served\n";
      }),
      "the port published on 127.0.0.1 answers from the host",
    );
    // The published port is what needs route_localnet: the bridge has it now.
    assert.equal(readFileSync(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, "utf8").trim(), "1");

    const gw = d.ok(["network", "inspect", "bridge", "--format", "{{(index .IPAM.Config 0).Gateway}}"]);
    const control = probe(gw, port(any));
    assert.equal(control.out, "SYNACK", "the probe reaches a host service on the gateway address");
    const attack = probe("127.0.0.1", port(local));
    assert.equal(attack.out, "NONE", `a container reached the host's 127.0.0.1:${port(local)}`);
    d.ok(["rm", "-f", "web"]);
  });

  it("turns route_localnet on only for bridges with a loopback-reachable published port", () => {
    d.ok(["network", "create", "quiet"]);
    const id = d.ok(["network", "inspect", "quiet", "--format", "{{.Id}}"]);
    // A user network's bridge is the daemon's prefix and the network ID's first 6 digits.
    const dev = `${bridge.slice(0, -1)}${id.slice(0, 6)}`;
    assert.ok(existsSync(`/sys/class/net/${dev}`));
    d.ok(["run", "--rm", "--network", "quiet", "bb", "true"]);
    assert.equal(readFileSync(`/proc/sys/net/ipv4/conf/${dev}/route_localnet`, "utf8").trim(), "0");
    d.ok(["network", "rm", "quiet"]);
  });
});
