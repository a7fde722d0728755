/**
 * Interactive terminals the way a person uses them: the real docker CLI in
 * a tmux pseudo-terminal. `run -it` types a command and sees its output,
 * follows a window resize, detaches with ctrl-p ctrl-q, is reattached and
 * exits with the shell's code; `exec -it` starts at the client's size with
 * TERM=xterm; a TTY container's first size is the HostConfig.ConsoleSize the
 * CLI sends at create.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { api } from "../helpers/api.js";
import { busyboxTar, cleanupDaemon, DOCKER, startDaemon, type TestDaemon } from "../helpers/daemon.js";

describe("interactive terminals (docker CLI in tmux)", () => {
  let d: TestDaemon;
  let work: string;
  const sessions: string[] = [];
  const tmux = (...args: string[]) => execFileSync("tmux", ["-L", "berth-test", ...args]).toString();

  /** Starts `cmd` in a new tmux session of cols x rows; its last line prints EXIT=<code>. */
  const open = (name: string, cols: number, rows: number, cmd: string) => {
    sessions.push(name);
    tmux(
      "new-session",
      "-d",
      "-s",
      name,
      "-x",
      String(cols),
      "-y",
      String(rows),
      `DOCKER_HOST=${d.host} ${cmd}; echo EXIT=$?; sleep 600`,
    );
  };
  const screen = (name: string) => tmux("capture-pane", "-p", "-t", name);
  const waitFor = async (name: string, re: RegExp, ms = 15_000): Promise<string> => {
    const end = Date.now() + ms;
    for (;;) {
      const s = screen(name);
      if (re.test(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${re} in:\n${s}\n${d.log().slice(-2000)}`);
      await sleep(100);
    }
  };
  /** Types `keys` + Enter until `re` shows (a resize reaches the shell asynchronously). */
  const askUntil = async (name: string, keys: string, re: RegExp, ms = 20_000): Promise<string> => {
    const end = Date.now() + ms;
    for (;;) {
      tmux("send-keys", "-t", name, keys, "Enter");
      try {
        return await waitFor(name, re, 2000);
      } catch (err) {
        if (Date.now() > end) throw err;
      }
    }
  };

  before(async () => {
    if (spawnSync("tmux", ["-V"]).status !== 0) throw new Error("tmux is required (make deps installs it)");
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-tty-");
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
  });
  after(async () => {
    for (const s of sessions) spawnSync("tmux", ["-L", "berth-test", "kill-session", "-t", s]);
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  it("run -it: types, resizes, detaches, reattaches and exits with the shell's code", async () => {
    open("run", 120, 40, `${DOCKER} run -it --name term bb sh`);
    await waitFor("run", /^\/ #/m);
    tmux("send-keys", "-t", "run", "stty size; echo T=$TERM; echo $((6*7))", "Enter");
    const s1 = await waitFor("run", /^42$/m);
    assert.match(s1, /^40 120$/m);
    assert.match(s1, /^T=xterm$/m);

    tmux("resize-window", "-t", "run", "-x", "90", "-y", "25");
    await askUntil("run", "stty size", /^25 90$/m);

    tmux("send-keys", "-t", "run", "C-p", "C-q");
    await waitFor("run", /EXIT=0/);
    assert.equal(d.ok(["inspect", "-f", "{{.State.Running}}", "term"]), "true");

    open("again", 100, 30, `${DOCKER} attach term`);
    await sleep(1000);
    tmux("send-keys", "-t", "again", "echo back-$((40+2)); exit 3", "Enter");
    const s2 = await waitFor("again", /EXIT=\d+/);
    assert.match(s2, /^back-42$/m);
    assert.match(s2, /EXIT=3/);
    assert.equal(d.ok(["inspect", "-f", "{{.State.ExitCode}}", "term"]), "3");
  });

  it("exec -it: starts at the client's size with TERM=xterm, and follows resizes", async () => {
    d.ok(["run", "-d", "--name", "host", "bb", "sleep", "600"]);
    open("exec1", 77, 33, `${DOCKER} exec -it host sh -c 'stty size; echo T=$TERM'`);
    const s = await waitFor("exec1", /EXIT=\d+/);
    assert.match(s, /^33 77$/m);
    assert.match(s, /^T=xterm$/m);
    assert.match(s, /EXIT=0/);

    open("exec2", 100, 30, `${DOCKER} exec -it host sh`);
    await waitFor("exec2", /^\/ #/m);
    tmux("resize-window", "-t", "exec2", "-x", "64", "-y", "20");
    await askUntil("exec2", "stty size", /^20 64$/m);
    tmux("send-keys", "-t", "exec2", "exit 5", "Enter");
    const s2 = await waitFor("exec2", /EXIT=\d+/);
    assert.match(s2, /EXIT=5/);
  });

  it("starts a TTY container at HostConfig.ConsoleSize, with no resize sent", async () => {
    const created = await api(d.socket, "POST", "/v1.41/containers/create?name=sized", {
      Image: "bb",
      Cmd: ["stty", "size"],
      Tty: true,
      HostConfig: { ConsoleSize: [33, 77] },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal((await api(d.socket, "POST", "/v1.41/containers/sized/start")).status, 204);
    assert.equal((await api(d.socket, "POST", "/v1.41/containers/sized/wait")).status, 200);
    assert.equal(d.ok(["logs", "sized"]).trim(), "33 77");
  });
});
