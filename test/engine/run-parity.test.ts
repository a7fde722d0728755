/**
 * Everyday `docker run`/`exec`/`logs`/`ps`/`info` details a new Docker user
 * hits, checked with the real docker CLI against Docker's documented
 * behaviour: a variable named without a value is unset (never handed to
 * runc), /etc/hosts carries the FQDN first and IPv6 extra hosts whole,
 * `logs --details` prefixes the log attributes, `ps` counts local volumes,
 * and `docker info` names the runtime versions.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { eventually } from "../helpers/wait.js";

describe("docker run parity", () => {
  let d: TestDaemon;
  let work: string;

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-parity-");
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  it("unsets a variable named without a value, in run, exec and health checks", async () => {
    const unset = "BERTH_PARITY_UNSET";
    delete process.env[unset];
    d.ok([
      "run",
      "-d",
      "--name",
      "envc",
      "-e",
      unset,
      "-e",
      "KEEP=1",
      "--health-cmd",
      `test -z "$${unset}" && test "$KEEP" = 1`,
      "--health-interval",
      "1s",
      "bb",
      "sleep",
      "300",
    ]);
    // The container keeps the bare name in its config, as Docker does...
    assert.ok(d.ok(["inspect", "-f", "{{json .Config.Env}}", "envc"]).includes(`"${unset}"`));
    // ...but no process gets it, and exec works (runc refuses an entry without "=").
    const env = d.ok(["exec", "envc", "env"]).split("\n");
    assert.ok(env.includes("KEEP=1"), env.join(","));
    assert.ok(
      env.some((e) => e.startsWith("HOSTNAME=")),
      `exec has HOSTNAME: ${env.join(",")}`,
    );
    assert.ok(!env.some((e) => e.startsWith(unset)), env.join(","));
    // An exec's own bare name unsets the container's variable.
    const r = d.docker(["exec", "-e", "KEEP", "envc", "env"], {});
    assert.equal(r.code, 0, r.err);
    assert.ok(!r.out.includes("KEEP="), r.out);
    await eventually(
      "the health check passes",
      () => (d.ok(["inspect", "-f", "{{.State.Health.Status}}", "envc"]) === "healthy" ? true : undefined),
      60_000,
    );
  });

  it("writes the FQDN first in /etc/hosts and keeps IPv6 extra hosts whole", () => {
    const out = d.ok([
      "run",
      "--rm",
      "--hostname",
      "h1",
      "--domainname",
      "example.com",
      "--add-host",
      "v6:::1",
      "--add-host",
      "v7=[2001:db8::1]",
      "--add-host",
      "v4:10.9.8.7",
      "bb",
      "sh",
      "-c",
      "hostname -f; cat /etc/hosts",
    ]);
    const lines = out.split("\n");
    assert.equal(lines[0], "h1.example.com");
    assert.ok(lines.includes("::1\tv6"), out);
    assert.ok(lines.includes("2001:db8::1\tv7"), out);
    assert.ok(lines.includes("10.9.8.7\tv4"), out);
    assert.match(out, /\th1\.example\.com h1\n?$/m);
  });

  it("prefixes logs --details with the log attributes, and a bare space without any", async () => {
    d.ok([
      "run",
      "--name",
      "det",
      "--log-opt",
      "labels=team",
      "--log-opt",
      "env=STAGE",
      "-l",
      "team=a b",
      "-e",
      "STAGE=dev",
      "bb",
      "echo",
      "hello",
    ]);
    assert.equal(d.ok(["logs", "--details", "det"]), "STAGE=dev,team=a+b hello");
    d.ok(["run", "--name", "plain", "bb", "echo", "hi"]);
    assert.equal(d.docker(["logs", "--details", "plain"]).out, " hi\n");
    assert.equal(d.docker(["logs", "plain"]).out, "hi\n");
  });

  it("lists a container's volumes with their driver (ps LocalVolumes)", () => {
    d.ok(["volume", "create", "pv"]);
    d.ok(["run", "-d", "--name", "withvol", "-v", "pv:/data", "-v", `${work}:/w:ro`, "bb", "sleep", "300"]);
    // One local volume (the bind mount is not one); Mounts names both, in no set order.
    const [count, mounts] = d
      .ok(["ps", "--no-trunc", "--filter", "name=withvol", "--format", "{{.LocalVolumes}} {{.Mounts}}"])
      .split(" ");
    assert.equal(count, "1");
    assert.deepEqual(mounts?.split(",").sort(), [work, "pv"].sort());
  });

  it("names the runtime, monitor and init versions in docker info", () => {
    const out = d.ok([
      "info",
      "--format",
      "{{.RuncCommit.ID}}|{{.InitCommit.ID}}|{{.ContainerdCommit.ID}}|{{.NFd}}",
    ]);
    const [runc, init, monitor, nfd] = out.split("|");
    assert.ok(runc && init && monitor, out);
    assert.ok(Number(nfd) > 0, out);
  });

  it("looks a user network up at start: no pull, a Created container, Docker's message", () => {
    const r = d.docker(["run", "--name", "nonet", "--network", "nosuchnet", "bb", "true"]);
    assert.equal(r.code, 125);
    assert.match(r.err, /network nosuchnet not found/);
    assert.doesNotMatch(r.err, /Unable to find image/);
    assert.equal(d.ok(["inspect", "-f", "{{.State.Status}}", "nonet"]), "created");
    const rm = d.docker(["run", "--rm", "--name", "nonet2", "--network", "nosuchnet", "bb", "true"]);
    assert.equal(rm.code, 125);
    assert.notEqual(d.docker(["inspect", "nonet2"]).code, 0, "--rm removes a container that failed to start");
  });

  it("checks -v modes as moby does and applies their propagation", () => {
    const bad = d.docker(["run", "--rm", "-v", "modev:/x:zz", "bb", "true"]);
    assert.equal(bad.code, 125);
    assert.match(bad.err, /invalid mode: zz/);
    assert.match(
      d.docker(["run", "--rm", "-v", `${work}:/x:ro,rw`, "bb", "true"]).err,
      /invalid mode: ro,rw/,
    );
    d.ok(["create", "--name", "prop", "-v", `${work}:/x:ro,rslave`, "-v", "modev:/y:nocopy", "bb"]);
    const mounts = d
      .ok([
        "inspect",
        "-f",
        "{{range .Mounts}}{{.Destination}} {{.Mode}} {{.RW}} {{.Propagation}};{{end}}",
        "prop",
      ])
      .split(";")
      .filter(Boolean)
      .sort();
    assert.deepEqual(mounts, ["/x ro,rslave false rslave", "/y nocopy true "]);
  });

  it("mounts every tmpfs noexec,nosuid,nodev unless told otherwise", () => {
    const m = d.ok(["run", "--rm", "--mount", "type=tmpfs,dst=/t", "bb", "grep", " /t ", "/proc/mounts"]);
    for (const o of ["nosuid", "nodev", "noexec"]) assert.ok(m.split(" ")[3]?.split(",").includes(o), m);
    const e = d.ok(["run", "--rm", "--tmpfs", "/t:exec", "bb", "grep", " /t ", "/proc/mounts"]);
    assert.ok(!e.split(" ")[3]?.split(",").includes("noexec"), e);
  });

  it("resolves names case-insensitively, with the network suffix, and never by an ID prefix", async () => {
    d.ok(["network", "create", "dnsnet"]);
    const id = d.ok(["run", "-d", "--name", "Upper", "--network", "dnsnet", "bb", "sleep", "300"]);
    const ip = d.ok(["inspect", "-f", "{{.NetworkSettings.Networks.dnsnet.IPAddress}}", "Upper"]);
    // API v1.41: the short ID ends a user-defined network's Aliases (compose 1.x relies on it).
    assert.equal(
      d.ok(["inspect", "-f", "{{json .NetworkSettings.Networks.dnsnet.Aliases}}", "Upper"]),
      JSON.stringify([id.slice(0, 12)]),
    );
    const look = (name: string) =>
      d.docker(["run", "--rm", "--network", "dnsnet", "bb", "nslookup", "-type=a", name]).out;
    for (const name of ["upper", "UPPER.dnsnet", id.slice(0, 12)])
      await eventually(`${name} resolves`, () => look(name).includes(ip) || undefined, 60_000, 500);
    assert.ok(!look(id.slice(0, 3)).includes(ip), "an ID prefix is not a name");
  });

  it("reports network connect/disconnect as a container starts and stops, rm -f a kill, run an attach", async () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    /** Whether every `want` line is among the events so far that match `filter`, printed with `format`. */
    const seen = (want: string[], filter: string, format: string) => {
      const until = String(Math.floor(Date.now() / 1000));
      const got = d.ok([
        "events",
        "--since",
        since,
        "--until",
        until,
        "--filter",
        filter,
        "--format",
        format,
      ]);
      return want.every((w) => got.split("\n").includes(w)) ? true : undefined;
    };
    d.ok(["network", "create", "evnet"]);
    const id = d.ok(["run", "-d", "--name", "evc", "--network", "evnet", "bb", "sleep", "300"]);
    d.ok(["rm", "-f", "evc"]);
    d.ok(["run", "--rm", "--name", "evatt", "bb", "true"]);
    const want = [`connect evnet ${id}`, `disconnect evnet ${id}`];
    await eventually("network events", () =>
      seen(want, "type=network", "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.container}}"),
    );
    // rm -f of a running container: kill (SIGKILL), die, destroy, as moby's forced removal.
    await eventually("rm -f's container events", () =>
      seen(["kill", "die", "destroy"], `container=${id}`, "{{.Action}}"),
    );
    // An attached run: create, attach, start, die, destroy.
    await eventually("docker run's attach event", () =>
      seen(["create", "attach", "start", "destroy"], "container=evatt", "{{.Action}}"),
    );
  });

  it("publishes a host port range as the first free port of it, and EXPOSE ranges per port", () => {
    const base = 20000 + Math.floor(Math.random() * 20000);
    const range = `${base}-${base + 2}:80`;
    d.ok(["run", "-d", "--name", "rng1", "-p", range, "bb", "sleep", "300"]);
    d.ok(["run", "-d", "--name", "rng2", "-p", range, "bb", "sleep", "300"]);
    const port = (n: string) => Number(d.ok(["port", n, "80"]).split(":").pop());
    const [p1, p2] = [port("rng1"), port("rng2")];
    assert.notEqual(p1, p2);
    for (const p of [p1, p2]) assert.ok(p >= base && p <= base + 2, `${p} in ${range}`);
    // At most one port is left: the fourth container finds none (libnetwork's words).
    let last = d.docker(["run", "-d", "--name", "rng3", "-p", range, "bb", "sleep", "300"]);
    if (last.code === 0) last = d.docker(["run", "-d", "--name", "rng4", "-p", range, "bb", "sleep", "300"]);
    assert.equal(last.code, 125, last.out);
    assert.match(
      last.err,
      /driver failed programming external connectivity on endpoint rng\d: all ports are allocated/,
    );
    d.ok(["import", "--change", "EXPOSE 7000-7001 53/UDP", busyboxTar(work), "exposer"]);
    assert.equal(
      d.ok(["image", "inspect", "-f", "{{json .Config.ExposedPorts}}", "exposer"]),
      '{"53/udp":{},"7000/tcp":{},"7001/tcp":{}}',
    );
    d.ok(["run", "-d", "--name", "allp", "-P", "exposer", "sleep", "300"]);
    assert.deepEqual(
      d
        .ok(["port", "allp"])
        .split("\n")
        .map((l) => l.split(" ")[0])
        .sort(),
      ["53/udp", "7000/tcp", "7001/tcp"],
    );
  });

  it("links a container by alias: /etc/hosts line and ALIAS_* variables (--link)", () => {
    d.ok(["run", "-d", "--name", "linked", "-e", "SECRET=s1", "--expose", "5432", "bb", "sleep", "300"]);
    const ip = d.ok(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "linked"]);
    const out = d.ok([
      "run",
      "--rm",
      "--name",
      "linker",
      "--link",
      "linked:db-x",
      "bb",
      "sh",
      "-c",
      "cat /etc/hosts; env",
    ]);
    const lines = out.split("\n");
    assert.ok(
      lines.some((l) => new RegExp(`^${ip.replace(/\./g, "\\.")}\tdb-x [0-9a-f]{12} linked$`).test(l)),
      out,
    );
    for (const e of [
      "DB_X_NAME=/linker/db-x",
      `DB_X_PORT=tcp://${ip}:5432`,
      `DB_X_PORT_5432_TCP_ADDR=${ip}`,
      "DB_X_PORT_5432_TCP_PORT=5432",
      "DB_X_ENV_SECRET=s1",
    ])
      assert.ok(lines.includes(e), `${e} in ${out}`);
    d.ok(["create", "--name", "linker2", "--link", "linked", "bb"]);
    assert.equal(
      d.ok(["inspect", "-f", "{{json .HostConfig.Links}}", "linker2"]),
      '["/linked:/linker2/linked"]',
    );
    d.ok(["stop", "-t", "0", "linked"]);
    const r = d.docker(["start", "linker2"]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /Cannot link to a non running container/);
  });

  it("lists the execs still running in inspect's ExecIDs", async () => {
    d.ok(["run", "-d", "--name", "execids", "bb", "sleep", "300"]);
    assert.equal(d.ok(["inspect", "-f", "{{json .ExecIDs}}", "execids"]), "null");
    d.ok(["exec", "-d", "execids", "sleep", "301"]);
    const ids = JSON.parse(d.ok(["inspect", "-f", "{{json .ExecIDs}}", "execids"])) as string[];
    assert.equal(ids.length, 1);
    assert.match(ids[0]!, /^[0-9a-f]{64}$/);
    // The exec's sleep, not the container's (sleep 300).
    d.ok([
      "exec",
      "execids",
      "sh",
      "-c",
      'for p in /proc/[0-9]*; do [ "$(tr "\\0" " " < $p/cmdline)" = "sleep 301 " ] && kill "$(basename $p)"; done; true',
    ]);
    await eventually("the exec ends", () =>
      d.ok(["inspect", "-f", "{{json .ExecIDs}}", "execids"]) === "null" ? true : undefined,
    );
  });

  it("renames as moby does: its conflict message, and the new name in the network's DNS", async () => {
    d.ok(["network", "create", "renet"]);
    d.ok(["run", "-d", "--name", "rn-old", "--network", "renet", "bb", "sleep", "300"]);
    d.ok(["create", "--name", "rn-taken", "bb"]);
    const clash = d.docker(["rename", "rn-old", "rn-taken"]);
    assert.notEqual(clash.code, 0);
    assert.match(
      clash.err,
      /Error when allocating new name: Conflict\. The container name "\/rn-taken" is already in use/,
    );
    d.ok(["rename", "rn-old", "rn-new"]);
    const ip = d.ok(["inspect", "-f", "{{.NetworkSettings.Networks.renet.IPAddress}}", "rn-new"]);
    const look = (n: string) =>
      d.docker(["run", "--rm", "--network", "renet", "bb", "nslookup", "-type=a", n]).out;
    await eventually("the new name resolves", () => look("rn-new").includes(ip) || undefined, 60_000, 500);
    assert.ok(!look("rn-old").includes(ip), "the old name no longer does");
  });

  it("words an out-of-range --oom-score-adj as Docker", () => {
    const r = d.docker(["run", "--rm", "--oom-score-adj", "2000", "bb", "true"]);
    assert.equal(r.code, 125);
    assert.match(r.err, /Invalid value 2000, range for oom score adj is \[-1000, 1000\]/);
  });

  it("names the hostname a host- or container-network container really has in its config", () => {
    d.ok(["run", "-d", "--name", "hostnet", "--network", "host", "bb", "sleep", "300"]);
    assert.equal(d.ok(["inspect", "-f", "{{.Config.Hostname}}", "hostnet"]), hostname());
    assert.equal(
      d.ok(["inspect", "-f", "{{.NetworkSettings.Networks.host.NetworkID}}", "hostnet"]),
      d.ok(["network", "inspect", "-f", "{{.Id}}", "host"]),
    );
    d.ok([
      "run",
      "-d",
      "--name",
      "owner",
      "--hostname",
      "shared",
      "--domainname",
      "ex.org",
      "bb",
      "sleep",
      "300",
    ]);
    d.ok(["run", "-d", "--name", "joiner", "--network", "container:owner", "bb", "sleep", "300"]);
    assert.equal(
      d.ok(["inspect", "-f", "{{.Config.Hostname}} {{.Config.Domainname}}", "joiner"]),
      "shared ex.org",
    );
    assert.equal(d.ok(["exec", "joiner", "hostname"]), "shared");
  });

  it("refuses a fixed address on the default bridge, as moby", () => {
    const r = d.docker(["run", "--rm", "--ip", "10.254.254.254", "bb", "true"]);
    assert.equal(r.code, 125);
    assert.match(r.err, /user specified IP address is supported on user defined networks only/);
  });
});
