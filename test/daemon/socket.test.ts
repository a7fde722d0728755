/**
 * The API socket's group (--group) and berthd's logs (--log-format,
 * --log-file, request errors with their status). The group test makes two
 * throwaway users: a member of a throwaway group, who can `docker ps`
 * through the socket, and another user, who cannot; both users and the group
 * are removed afterwards.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { cleanupDaemon, DOCKER, startDaemon, type TestDaemon } from "../helpers/daemon.js";

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000, env });
  return { code: r.status ?? -1, out: r.stdout ?? "", err: r.stderr ?? "" };
}

describe("socket group", { timeout: 300_000 }, () => {
  const suffix = String(process.pid % 100000);
  const group = `btg${suffix}`;
  const member = `btm${suffix}`;
  const other = `bto${suffix}`;
  let d: TestDaemon | undefined;
  const home = mkdtempSync("/tmp/berth-group-home-");

  before(async () => {
    assert.equal(run("groupadd", ["--system", group]).code, 0);
    for (const [u, extra] of [
      [member, ["-G", group]],
      [other, []],
    ] as const)
      assert.equal(
        run("useradd", ["--system", "--no-create-home", "--shell", "/bin/sh", ...extra, u]).code,
        0,
      );
    // Users other than root must be able to walk to the socket (mkdtemp makes 0700 dirs).
    d = await startDaemon({ extraArgs: ["--group", group], dirMode: 0o755 });
    spawnSync("chmod", ["1777", home]);
  });

  after(async () => {
    await cleanupDaemon(d);
    for (const u of [member, other]) run("userdel", [u]);
    run("groupdel", [group]);
    rmSync(home, { recursive: true, force: true });
  });

  it("creates the socket with that group and mode 0660", () => {
    const st = statSync((d as TestDaemon).socket);
    const gid = Number(run("getent", ["group", group]).out.split(":")[2]);
    assert.equal(st.gid, gid);
    assert.equal(st.uid, 0);
    assert.equal(st.mode & 0o777, 0o660);
    // Its stderr is a file, not a terminal: JSON lines by default.
    assert.match((d as TestDaemon).log(), /^\{"level":30,.*"msg":"berthd ready"\}$/m);
  });

  it("lets a member of the group use it, and no one else", () => {
    const t = d as TestDaemon;
    const as = (user: string) =>
      run("runuser", ["-u", user, "--", DOCKER, "-H", t.host, "ps", "--format", "{{.ID}}"], {
        PATH: process.env.PATH,
        HOME: home,
        DOCKER_CONFIG: join(home, `.docker-${user}`),
      });
    const ok = as(member);
    assert.equal(ok.code, 0, ok.err);
    const denied = as(other);
    assert.notEqual(denied.code, 0);
    assert.match(denied.err, /permission denied/i);
  });

  it("keeps a socket-activated socket in the exec-root reachable for the group (as under berthd.socket)", async () => {
    const dir = mkdtempSync("/tmp/berth-fdgroup-");
    spawnSync("chmod", ["755", dir]);
    const exec = join(dir, "exec");
    const sock = join(exec, "berth.sock");
    // What systemd does for berthd.socket: the directory (0755), the socket (root:group 0660).
    mkdirSync(exec, { mode: 0o755 });
    const tag = dir
      .slice(-6)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "x");
    const act = spawn(
      "systemd-socket-activate",
      [
        "-l",
        sock,
        process.execPath,
        join(import.meta.dirname, "../../src/daemon/main.js"),
        "--root",
        join(dir, "root"),
        "--exec-root",
        exec,
        "-H",
        "fd://",
        "--group",
        group,
        "--bridge",
        `bf${tag}0`,
        "--network-prefix",
        `bf${tag}`,
      ],
      { stdio: "ignore" },
    );
    try {
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
      spawnSync("chgrp", [group, sock]);
      spawnSync("chmod", ["660", sock]);
      const as = (user: string) =>
        run("runuser", ["-u", user, "--", DOCKER, "-H", `unix://${sock}`, "ps", "-q"], {
          PATH: process.env.PATH,
          HOME: home,
          DOCKER_CONFIG: join(home, `.docker-fd-${user}`),
        });
      const first = as(member); // starts berthd, which then closes the exec-root to all but the group
      assert.equal(first.code, 0, first.err);
      const st = statSync(exec);
      assert.equal(st.mode & 0o777, 0o710);
      assert.equal(st.gid, Number(run("getent", ["group", group]).out.split(":")[2]));
      assert.equal(as(member).code, 0, "still reachable for members");
      const denied = as(other);
      assert.notEqual(denied.code, 0);
      assert.match(denied.err, /permission denied/i);
    } finally {
      if (act.exitCode === null) {
        act.kill("SIGTERM");
        await new Promise((r) => (act.exitCode !== null ? r(null) : act.once("exit", r)));
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses to start with a group that does not exist", () => {
    const dir = mkdtempSync("/tmp/berth-nogroup-");
    try {
      const r = run(process.execPath, [
        join(import.meta.dirname, "../../src/daemon/main.js"),
        "--root",
        join(dir, "root"),
        "--exec-root",
        join(dir, "exec"),
        "-H",
        `unix://${join(dir, "s.sock")}`,
        "--group",
        `nosuch${suffix}`,
        "--bridge",
        `bn${suffix}0`,
        "--network-prefix",
        `bn${suffix}`,
      ]);
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`group nosuch${suffix} not found`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("daemon logs", { timeout: 300_000 }, () => {
  for (const format of ["text", "json"] as const) {
    it(`--log-format ${format} --log-file records each request error with its status`, async () => {
      const dir = mkdtempSync("/tmp/berth-logs-");
      const file = join(dir, "sub", "berthd.log");
      let d: TestDaemon | undefined;
      try {
        d = await startDaemon({ extraArgs: ["--log-format", format, "--log-file", file] });
        const r = d.docker(["inspect", "--type", "container", "nosuchthing"]);
        assert.equal(r.code, 1);
        // Refused before any handler: no such route, a too new API version.
        const curl = (url: string) =>
          spawnSync("curl", ["-s", "--unix-socket", (d as TestDaemon).socket, url], { encoding: "utf8" });
        curl("http://x/v1.41/nosuchroute");
        curl("http://x/v9.99/version");
        await d.stop();
        const log = readFileSync(file, "utf8");
        assert.equal(d.log().includes("berthd ready"), false, "stderr carries no log lines");
        if (format === "json") {
          const lines = log
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l));
          const e = lines.find((l) => l.msg === "request error" && l.path === "/containers/nosuchthing/json");
          assert.ok(e, log);
          assert.equal(e.status, 404);
          assert.match(e.message, /No such container: nosuchthing/);
          const route = lines.find((l) => l.msg === "request error" && l.path === "/nosuchroute");
          assert.equal(route?.status, 404, log);
          const newer = lines.find((l) => l.msg === "request error" && l.path === "/version");
          assert.equal(newer?.status, 400, log);
          assert.ok(lines.some((l) => l.msg === "berthd ready"));
        } else {
          assert.doesNotMatch(log, /^\{/m, "text, not JSON");
          assert.match(log, /INFO.*berthd ready/);
          assert.match(log, /INFO.*request error[\s\S]*?status: 404[\s\S]*?No such container: nosuchthing/);
          assert.match(log, /path: "\/nosuchroute"\n\s+status: 404/);
        }
      } finally {
        await cleanupDaemon(d);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("logs text by default on a terminal (a pty), JSON otherwise", async () => {
    const dir = mkdtempSync("/tmp/berth-tty-");
    const tag = dir
      .slice(-6)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "x");
    const cmd = [
      process.execPath,
      join(import.meta.dirname, "../../src/daemon/main.js"),
      "--root",
      join(dir, "root"),
      "--exec-root",
      join(dir, "exec"),
      "-H",
      `unix://${join(dir, "s.sock")}`,
      "--bridge",
      `bp${tag}0`,
      "--network-prefix",
      `bp${tag}`,
      "--group",
      "",
    ].map((a) => `'${a}'`);
    // script(1) gives berthd a pseudo-terminal as stdin/stdout/stderr.
    const p = spawn("script", ["-qfec", cmd.join(" "), "/dev/null"], { stdio: ["pipe", "pipe", "inherit"] });
    let text = "";
    let raw = "";
    p.stdout.on("data", (c) => {
      raw += c;
      text += String(c).replace(/\x1b\[[0-9;]*m/g, "");
    });
    try {
      for (let i = 0; i < 300 && !/berthd ready/.test(text); i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.match(text, /INFO \((\d+)\): berthd ready/);
      assert.ok(raw.includes("\x1b[32mINFO"), "coloured on a terminal");
      assert.doesNotMatch(text, /"level":/);
      const pid = Number(/INFO \((\d+)\): berthd ready/.exec(text)?.[1]);
      process.kill(pid, "SIGTERM");
      await new Promise((r) => (p.exitCode !== null ? r(null) : p.once("exit", r)));
      assert.match(text, /INFO \(\d+\): stopped/);
    } finally {
      p.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects an unknown --log-format", () => {
    const r = run(process.execPath, [
      join(import.meta.dirname, "../../src/daemon/main.js"),
      "--log-format",
      "xml",
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /invalid log format "xml": use text or json/);
  });
});
