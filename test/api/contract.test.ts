/**
 * The API contract, against a real berthd: bodies refused with a 400 naming
 * the field and nothing created, create-time checks, a 413 for a huge body
 * with berthd's memory steady, the version range, typed query parameters,
 * records on disk clients could not decode skipped at load, and the answers
 * issue 15 found wrong (logs tail, add-host host-gateway, shared-size,
 * /version details, unreachable registry, --format json).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { api, message, rss } from "../helpers/api.js";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";

const CLI = resolve(import.meta.dirname, "../../src/cli/main.js");

/** Sends `size` bytes of body (declared, or chunked when `declared` is false) and returns the status. */
function hugeBody(socket: string, size: number, declared: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(socket);
    let answer = "";
    let done = false;
    const finish = () => {
      if (done) return;
      const m = /^HTTP\/1\.1 (\d+)/.exec(answer);
      if (!m) return;
      done = true;
      s.destroy();
      resolve(Number(m[1]));
    };
    s.on("data", (d: Buffer) => {
      answer += d.toString("latin1");
      finish();
    });
    s.on("error", () => (done ? undefined : answer ? finish() : reject(new Error("no answer"))));
    s.on("close", () => (done ? undefined : answer ? finish() : reject(new Error("closed without answer"))));
    s.write(
      `POST /v1.41/containers/create HTTP/1.1\r\nHost: berth\r\nContent-Type: application/json\r\n${
        declared ? `Content-Length: ${size}` : "Transfer-Encoding: chunked"
      }\r\n\r\n`,
    );
    // One chunk at a time, yielding between them, so the answer is read as soon as it comes
    // (the daemon closes after its 413; writing on would only meet EPIPE).
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    // Like curl, give the daemon a moment to refuse from the headers alone: a client that
    // writes on after the answer meets EPIPE (Go's client still reads the answer then; Node's
    // socket does not).
    const pump = () => {
      if (done) return;
      if (sent >= size) {
        if (!declared) s.write("0\r\n\r\n");
        return;
      }
      sent += chunk.length;
      const data = declared
        ? chunk
        : Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]);
      s.write(data, (err) => (err ? undefined : setImmediate(pump)));
    };
    setTimeout(pump, 300);
  });
}

describe("API contract", () => {
  let d: TestDaemon;
  let work: string;
  const berth = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, "-H", d.host, ...args]);
    return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
  };
  const ids = () => d.ok(["ps", "-aq", "--no-trunc"]).split("\n").filter(Boolean).sort();

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-contract-");
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  it("refuses malformed create bodies with a 400 naming the field, and creates nothing", async () => {
    const before = ids();
    const cases: [unknown, RegExp][] = [
      [{ Image: "bb", HostConfig: { Binds: [5] } }, /HostConfig\.Binds\[0\]: expected string, got integer/],
      [{ Image: "bb", Entrypoint: 5 }, /Entrypoint: expected array of string or string or null/],
      [{ Image: "bb", Cmd: {} }, /Cmd: expected .* got object/],
      [{ Image: "bb", Env: "A=1" }, /Env: expected array of string or null, got string/],
      [{ Image: "bb", HostConfig: { Memory: "64m" } }, /HostConfig\.Memory: expected integer, got string/],
      [{ Image: "bb", HostConfig: { CapAdd: "ALL" } }, /HostConfig\.CapAdd: expected array/],
      [{ Image: "bb", HostConfig: { PortBindings: { "80/tcp": [null] } } }, /PortBindings\.80\/tcp\[0\]/],
      [{ Image: "bb", Labels: { a: 5 } }, /Labels\.a: expected string, got integer/],
      [{ Image: "bb", HostConfig: { Memory: 1.5 } }, /HostConfig\.Memory: expected integer/],
      [5, /body: expected object, got integer/],
      ["{", /invalid JSON/],
      // Create-time checks Docker makes (not at start, with runc's or nft's words).
      [{ Image: "bb", HostConfig: { PortBindings: { abc: [] } } }, /invalid port specification: "abc"/],
      [
        { Image: "bb", HostConfig: { PortBindings: { "80/tcp": [{ HostPort: "99999" }] } } },
        /invalid port specification: "99999"/,
      ],
      [{ Image: "bb", HostConfig: { CapAdd: ["NOPE"] } }, /unknown capability: "NOPE"/],
      [{ Image: "bb", HostConfig: { ExtraHosts: ["h:not-an-ip"] } }, /invalid IP address in add-host/],
      [{ Image: "bb", HostConfig: { Binds: ["nocolon"] } }, /invalid volume specification/],
    ];
    for (const [body, want] of cases) {
      const a = await api(d.socket, "POST", "/v1.41/containers/create", body);
      assert.equal(a.status, 400, `${JSON.stringify(body)}: ${a.text}`);
      assert.match(message(a), want, JSON.stringify(body));
    }
    assert.deepEqual(ids(), before);
    // Docker's loose forms still work: a string Cmd, unknown fields ignored, a port range.
    const ok = await api(d.socket, "POST", "/containers/create?name=loose", {
      Image: "bb",
      Cmd: "true",
      NotAField: { x: 1 },
      HostConfig: { PortBindings: { "8080/tcp": [{ HostPort: "18080-18090" }] } },
    });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(d.ok(["inspect", "-f", "{{json .Config.Cmd}}", "loose"]), '["true"]');
    d.ok(["rm", "loose"]);
    d.ok(["ps", "-a"]);
  });

  it("checks update, commit, exec, volume, network and build bodies", async () => {
    d.ok(["create", "--name", "upd", "bb", "sleep", "60"]);
    const cases: [string, string, unknown, RegExp][] = [
      ["POST", "/containers/upd/update", { Memory: "x" }, /Memory: expected integer, got string/],
      ["POST", "/commit?container=upd&repo=bad", { Cmd: { a: 1 } }, /Cmd: expected/],
      ["POST", "/containers/upd/exec", { Cmd: "ls" }, /Cmd: expected array of string or null, got string/],
      ["POST", "/volumes/create", { Labels: ["a"] }, /Labels: expected object of string or null, got array/],
      ["POST", "/volumes/create", { Name: 5 }, /Name: expected string, got integer/],
      ["POST", "/networks/create", { Name: 5 }, /Name: expected string, got integer/],
      ["POST", "/networks/create", { Name: "n", Labels: { a: [] } }, /Labels\.a: expected string/],
      ["POST", "/networks/bridge/connect", { Container: 7 }, /Container: expected string/],
      ["POST", `/build?labels=${encodeURIComponent("[1]")}`, "", /labels parameter/],
      ["POST", `/build?buildargs=${encodeURIComponent('{"a":1}')}`, "", /buildargs parameter: a: expected/],
    ];
    for (const [method, path, body, want] of cases) {
      const a = await api(d.socket, method, path, body);
      assert.equal(a.status, 400, `${path} ${JSON.stringify(body)}: ${a.text}`);
      assert.match(message(a), want, path);
    }
    assert.equal(d.ok(["inspect", "-f", "{{.HostConfig.Memory}}", "upd"]), "0");
    // A body that is not a tar: the client's error, and the daemon keeps serving.
    const notTar = await api(
      d.socket,
      "PUT",
      "/containers/upd/archive?path=/tmp",
      "this is not a tar archive".repeat(40),
      {
        "Content-Type": "application/x-tar",
      },
    );
    assert.equal(notTar.status, 400, notTar.text);
    const long = await api(d.socket, "GET", `/containers/upd/archive?path=/${"x".repeat(300)}`);
    assert.equal(long.status, 400, long.text);
    assert.match(message(notTar), /not a readable tar archive/);
    assert.equal(d.ok(["images", "-q", "bad"]), "");
    // A commit without a body keeps the container's command (fields not sent stay unset).
    const ok = await api(d.socket, "POST", "/commit?container=upd&repo=kept");
    assert.equal(ok.status, 201, ok.text);
    assert.equal(d.ok(["image", "inspect", "-f", "{{json .Config.Cmd}}", "kept"]), '["sleep","60"]');
    d.ok(["rmi", "kept"]);
    assert.equal(d.ok(["volume", "ls", "-q"]), "");
    assert.equal(d.ok(["network", "ls", "-q", "--filter", "name=^n$"]), "");
    d.ok(["rm", "upd"]);
  });

  it("refuses a 100 MB body with 413 and keeps its memory", async () => {
    const pid = d.proc.pid!;
    // One of each first: what a first large request allocates once (socket and parser buffers) is not growth.
    assert.equal(await hugeBody(d.socket, 100 * 1024 * 1024, true), 413);
    assert.equal(await hugeBody(d.socket, 100 * 1024 * 1024, false), 413);
    await new Promise((r) => setTimeout(r, 500));
    const before = await rss(pid);
    for (let i = 0; i < 3; i++) {
      assert.equal(await hugeBody(d.socket, 100 * 1024 * 1024, true), 413);
      assert.equal(await hugeBody(d.socket, 100 * 1024 * 1024, false), 413);
    }
    await new Promise((r) => setTimeout(r, 500));
    const grown = (await rss(pid)) - before;
    // 600 MB sent: none of it may stay.
    assert.ok(grown < 16 * 1024 * 1024, `RSS grew by ${grown} bytes`);
    assert.equal((await api(d.socket, "GET", "/_ping")).status, 200);
    assert.deepEqual(ids(), []);
  });

  it("serves API versions 1.24 to 1.41 and refuses the others as Docker does", async () => {
    const old = await api(d.socket, "GET", "/v1.23/version");
    assert.equal(old.status, 400);
    assert.equal(
      message(old),
      "client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version",
    );
    const v15 = await api(d.socket, "GET", "/v1.5/containers/json");
    assert.equal(v15.status, 400);
    assert.match(message(v15), /client version 1\.5 is too old/);
    const v42 = await api(d.socket, "GET", "/v1.42/version");
    assert.equal(v42.status, 400);
    assert.match(message(v42), /client version 1\.42 is too new/);
    for (const v of ["1.24", "1.41", "1.30"])
      assert.equal((await api(d.socket, "GET", `/v${v}/containers/json`)).status, 200, v);
  });

  it("types query parameters", async () => {
    const bad: [string, RegExp][] = [
      ["/events?since=abc", /since/],
      ["/events?until=abc", /until/],
      ["/system/df?type=bogus", /type/],
      ["/containers/json?limit=abc", /limit/],
      ["/containers/json?limit=1.5", /limit/],
    ];
    for (const [path, want] of bad) {
      const a = await api(d.socket, "GET", path);
      assert.equal(a.status, 400, `${path}: ${a.text}`);
      assert.match(message(a), want);
    }
    const df = await api(d.socket, "GET", "/system/df?type=image");
    assert.equal(df.status, 200);
    const j = df.json as { Images: unknown[]; Volumes: unknown[] };
    assert.equal(j.Images.length, 1);
    const since = Math.floor(Date.now() / 1000) - 5;
    const ev = await api(d.socket, "GET", `/events?since=${since}&until=${since + 10}`);
    assert.equal(ev.status, 200);
  });

  it("answers logs tail=-5 with everything and since=abc with 400", async () => {
    d.ok(["run", "--name", "lg", "bb", "sh", "-c", "echo one; echo two"]);
    const all = await api(d.socket, "GET", "/containers/lg/logs?stdout=1&tail=-5");
    assert.equal(all.status, 200);
    assert.match(all.text, /one[\s\S]*two/);
    const two = await api(d.socket, "GET", "/containers/lg/logs?stdout=1&tail=1");
    assert.doesNotMatch(two.text, /one/);
    assert.match(two.text, /two/);
    const bad = await api(d.socket, "GET", "/containers/lg/logs?stdout=1&since=abc");
    assert.equal(bad.status, 400);
    assert.match(message(bad), /since/);
    d.ok(["rm", "lg"]);
  });

  it("writes the bridge gateway for --add-host name:host-gateway", () => {
    const gw = d.ok(["network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", "bridge"]);
    assert.match(gw, /^\d+\.\d+\.\d+\.\d+$/);
    const hosts = d.ok(["run", "--rm", "--add-host", "hg:host-gateway", "bb", "cat", "/etc/hosts"]);
    assert.match(hosts, new RegExp(`^${gw.replace(/\./g, "\\.")}\\thg$`, "m"));
    assert.doesNotMatch(hosts, /host-gateway/);
  });

  it("fills SharedSize with shared-size=1", async () => {
    const ctx = join(work, "ctx");
    mkdirSync(ctx, { recursive: true });
    writeFileSync(join(ctx, "Dockerfile"), "FROM bb\nRUN echo x > /x\n");
    d.ok(["build", "-q", "-t", "bb2", ctx]);
    const plain = (await api(d.socket, "GET", "/images/json")).json as { SharedSize: number }[];
    assert.ok(plain.every((i) => i.SharedSize === -1));
    const list = (await api(d.socket, "GET", "/images/json?shared-size=1")).json as {
      RepoTags: string[];
      SharedSize: number;
      Size: number;
    }[];
    const bb = list.find((i) => i.RepoTags.includes("bb:latest"))!;
    const bb2 = list.find((i) => i.RepoTags.includes("bb2:latest"))!;
    assert.ok(bb.SharedSize > 0, JSON.stringify(bb));
    assert.equal(bb.SharedSize, bb.Size);
    assert.equal(bb2.SharedSize, bb.Size);
    d.ok(["rmi", "bb2"]);
  });

  it("details the build in /version", async () => {
    const v = (await api(d.socket, "GET", "/version")).json as {
      BuildTime: string;
      GitCommit: string;
      Components: { Details: Record<string, string> }[];
    };
    const det = v.Components[0]!.Details;
    for (const k of ["GitCommit", "BuildTime", "GoVersion", "ApiVersion", "MinAPIVersion"])
      assert.ok(det[k], `Details.${k} missing`);
    assert.match(det.GoVersion!, /^node\d+\./);
    assert.ok(Date.parse(v.BuildTime) > Date.parse("2020-01-01"), v.BuildTime);
    assert.equal(det.GitCommit, v.GitCommit);
    assert.equal(d.ok(["version", "--format", "{{.Server.GitCommit}}"]), v.GitCommit);
  });

  it("names the host and the cause when a registry cannot be reached", async () => {
    // A port nothing listens on (free a moment ago).
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = d.docker(["pull", `127.0.0.1:${port}/nothing:latest`]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, new RegExp(`http://127\\.0\\.0\\.1:${port}/v2/`));
    assert.match(r.err, /ECONNREFUSED/);
    assert.doesNotMatch(r.err, /^Error response from daemon: fetch failed$/m);
  });

  it("prints --format json as docker 23+ does for ps, images and inspect", () => {
    d.ok(["create", "--name", "fj", "-l", "k=<v>", "bb"]);
    for (const args of [
      ["ps", "-a", "--format", "json"],
      ["images", "--format", "json"],
      ["inspect", "--format", "json", "fj"],
      ["image", "inspect", "--format", "json", "bb"],
    ]) {
      const want = d.ok(args);
      const got = berth(args);
      assert.equal(got.code, 0, got.err);
      // RunningFor/CreatedSince move with the clock: compare the rest.
      const strip = (s: string) => s.replace(/"(RunningFor|CreatedSince)":"[^"]*"/g, "");
      assert.equal(strip(got.out.trim()), strip(want), args.join(" "));
    }
    d.ok(["rm", "fj"]);
  });

  it("prunes containers, networks and volumes by until, label and label!", () => {
    d.ok(["create", "--name", "pa", "-l", "keep=no", "bb"]);
    d.ok(["create", "--name", "pb", "-l", "keep=yes", "bb"]);
    d.ok(["run", "--name", "pc", "bb", "sh", "-c", "head -c 100000 /dev/zero > /big"]);
    // Created a moment ago: not before "until=1h".
    assert.doesNotMatch(d.ok(["container", "prune", "-f", "--filter", "until=1h"]), /[0-9a-f]{64}/);
    const pa = d.ok(["inspect", "-f", "{{.Id}}", "pa"]);
    const notKept = d.ok([
      "container",
      "prune",
      "-f",
      "--filter",
      "label!=keep=yes",
      "--filter",
      "label=keep",
    ]);
    assert.equal(notKept.split("\n")[1], pa);
    assert.deepEqual(d.ok(["ps", "-a", "--format", "{{.Names}}"]).split("\n").sort(), ["pb", "pc"]);
    const all = d.ok(["container", "prune", "-f"]);
    assert.match(all, /Total reclaimed space: (9\d|1\d\d)(\.\d+)?kB/);
    assert.equal(d.ok(["ps", "-aq"]), "");
    const bad = d.docker(["container", "prune", "-f", "--filter", "until=soon"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /until=soon/);

    d.ok(["network", "create", "--label", "team=a", "na"]);
    d.ok(["network", "create", "--label", "team=b", "nb"]);
    d.ok(["network", "prune", "-f", "--filter", "label=team=a"]);
    assert.equal(d.ok(["network", "ls", "-q", "--filter", "name=^n[ab]$", "--format", "{{.Name}}"]), "nb");
    d.ok(["network", "prune", "-f", "--filter", "label!=team=b"]);
    assert.equal(d.ok(["network", "ls", "--filter", "name=^nb$", "--format", "{{.Name}}"]), "nb");
    d.ok(["network", "prune", "-f"]);
    assert.equal(d.ok(["network", "ls", "--filter", "name=^nb$", "--format", "{{.Name}}"]), "");

    d.ok(["volume", "create", "--label", "team=a", "va"]);
    d.ok(["volume", "create", "--label", "team=b", "vb"]);
    d.ok(["volume", "prune", "-f", "--filter", "label!=team=b"]);
    assert.equal(d.ok(["volume", "ls", "-q"]), "vb");
    d.ok(["volume", "rm", "vb"]);
  });

  it("skips records on disk that clients could not decode, and keeps serving", async () => {
    d.ok(["create", "--name", "good", "bb"]);
    d.ok(["volume", "create", "goodvol"]);
    d.ok(["network", "create", "goodnet"]);
    await d.stop();
    const cdir = join(d.root, "containers");
    const [one] = spawnSync("ls", [cdir]).stdout.toString().split("\n").filter(Boolean);
    const rec = JSON.parse(readFileSync(join(cdir, one!, "config.v2.json"), "utf8"));
    const badId = "f".repeat(64);
    mkdirSync(join(cdir, badId));
    writeFileSync(
      join(cdir, badId, "config.v2.json"),
      JSON.stringify({ ...rec, id: badId, name: "bad", config: { ...rec.config, Labels: { a: 5 } } }),
    );
    mkdirSync(join(d.root, "volumes", "badvol"), { recursive: true });
    writeFileSync(
      join(d.root, "volumes", "badvol", "volume.json"),
      JSON.stringify({ Name: "badvol", Driver: "local", Mountpoint: "/x", CreatedAt: "", Labels: ["a"] }),
    );
    const netFile = spawnSync("sh", [
      "-c",
      `grep -l '"networks"' $(find ${d.root} -maxdepth 2 -name '*.json')`,
    ])
      .stdout.toString()
      .trim();
    const nets = JSON.parse(readFileSync(netFile, "utf8"));
    nets.networks.push({ ...nets.networks.at(-1), Id: "b".repeat(64), Name: 5 });
    writeFileSync(netFile, JSON.stringify(nets));
    await d.start();
    assert.equal(d.ok(["ps", "-a", "--format", "{{.Names}}"]), "good");
    assert.equal(d.ok(["volume", "ls", "-q"]), "goodvol");
    assert.match(d.ok(["network", "ls", "--format", "{{.Name}}"]), /goodnet/);
    d.ok(["system", "prune", "-f"]);
    assert.match(d.log(), /skipping container f{64}: .*config\.Labels\.a: expected string, got integer/);
    assert.match(d.log(), /skipping volume badvol: .*Labels: expected object of string or null, got array/);
    assert.match(d.log(), /skipping network b{64}: .*Name: expected string, got integer/);
    // The skipped network record stays on disk as it was, for whoever repairs it.
    assert.match(readFileSync(netFile, "utf8"), /"Name":5/);
    rmSync(join(cdir, badId), { recursive: true, force: true });
  });
});
