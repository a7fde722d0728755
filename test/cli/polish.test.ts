/**
 * The CLI against a real berthd, next to the real docker CLI where docker has
 * the same command: unknown commands, `run -dit` without a terminal,
 * `--format json`, docker contexts, `system df -v`, version details and bash
 * completion (compgen over the script `berth completion bash` prints).
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, DOCKER, startDaemon, type TestDaemon } from "../helpers/daemon.js";

const CLI = resolve(import.meta.dirname, "../../src/cli/main.js");
const REPO = resolve(import.meta.dirname, "../../..");

describe("CLI polish", { timeout: 300_000 }, () => {
  let d: TestDaemon;
  let work: string;
  // Neither CLI may pick up a host or context from the environment running the tests.
  const baseEnv = () => {
    const env = { ...process.env };
    for (const k of ["DOCKER_HOST", "BERTH_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG"]) delete env[k];
    return env;
  };
  const cli = (bin: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const e: NodeJS.ProcessEnv = { ...baseEnv(), DOCKER_HOST: d.host, ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
    const r = spawnSync(
      bin === "berth" ? process.execPath : DOCKER,
      bin === "berth" ? [CLI, ...args] : args,
      {
        env: e,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"], // no terminal anywhere
        timeout: 60_000,
      },
    );
    return { code: r.status ?? -1, out: r.stdout ?? "", err: r.stderr ?? "" };
  };
  const berth = (args: string[], env?: NodeJS.ProcessEnv) => cli("berth", args, env);
  const docker = (args: string[], env?: NodeJS.ProcessEnv) => cli("docker", args, env);

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-polish-");
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    d.ok(["run", "-d", "--name", "pol1", "bb", "sleep", "600"]);
    d.ok(["create", "--name", "pol2", "bb", "true"]);
    d.ok(["volume", "create", "polvol"]);
    d.ok(["network", "create", "polnet"]);
  });

  after(async () => {
    d.docker(["network", "rm", "polnet"]);
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  it("answers an unknown command as docker does, with a hint", () => {
    for (const args of [["imagse"], ["container", "lss"]]) {
      const b = berth(args);
      const k = docker(args);
      assert.equal(b.code, k.code);
      assert.match(b.err, /Did you mean this\?\n/);
      const withoutHint = b.err.replace(/\nDid you mean this\?\n(\t.*\n)+/, "");
      assert.equal(withoutHint.trimEnd(), k.err.replaceAll("docker", "berth").trimEnd());
    }
    assert.match(berth(["imagse"]).err, /\timages\n/);
  });

  it("runs -dit without a terminal, and refuses -it without one, like docker", () => {
    for (const bin of ["berth", "docker"]) {
      const r = cli(bin, ["run", "-dit", "bb", "sh"]);
      assert.equal(r.code, 0, `${bin}: ${r.err}`);
      const id = r.out.trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      assert.equal(
        d.ok(["inspect", "--format", "{{.State.Running}} {{.Config.Tty}} {{.Config.OpenStdin}}", id]),
        "true true true",
      );
      d.ok(["rm", "-f", id]);
      const it = cli(bin, ["run", "-it", "bb", "true"]);
      assert.notEqual(it.code, 0);
      assert.match(it.err, /the input device is not a TTY/);
    }
  });

  it("prints --format json as docker does for ps, images, volume ls, network ls and inspect", () => {
    // Relative times may tick between the two runs: compare everything else.
    const strip = (s: string) =>
      s
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => {
          const o = JSON.parse(l);
          for (const k of ["RunningFor", "Status", "CreatedSince"])
            if (Array.isArray(o) === false) delete o[k];
          return o;
        });
    for (const args of [
      ["ps", "-a"],
      ["images"],
      ["volume", "ls"],
      ["network", "ls"],
      ["inspect", "pol1", "bb"],
      ["image", "inspect", "bb"],
      ["network", "inspect", "polnet"],
    ]) {
      const b = berth([...args, "--format", "json"]);
      const k = docker([...args, "--format", "json"]);
      assert.equal(b.code, 0, b.err);
      assert.deepEqual(strip(b.out), strip(k.out), args.join(" "));
      assert.equal(b.out.trim().split("\n").length, k.out.trim().split("\n").length);
    }
    const missing = berth(["inspect", "--format", "json", "nosuch"]);
    assert.equal(missing.code, 1);
    assert.equal(missing.out, "[]\n");
  });

  it("honours docker contexts: current context, DOCKER_CONTEXT, --context", () => {
    const cfg = join(work, "config");
    const env = { DOCKER_HOST: undefined, DOCKER_CONFIG: undefined };
    assert.equal(
      docker(["--config", cfg, "context", "create", "polctx", "--docker", `host=${d.host}`], env).code,
      0,
    );
    // Made by the real docker CLI: contexts/meta/<sha256 of the name>/meta.json.
    const ids = (args: string[], e: NodeJS.ProcessEnv = env) => {
      const r = berth([...args, "ps", "-aq"], e);
      assert.equal(r.code, 0, r.err);
      return r.out.trim().split("\n").sort();
    };
    const expected = d.ok(["ps", "-aq"]).split("\n").sort();
    assert.deepEqual(ids(["--config", cfg, "--context", "polctx"]), expected);
    assert.deepEqual(ids(["--config", cfg], { ...env, DOCKER_CONTEXT: "polctx" }), expected);
    // No context selected: the default socket, which this test's daemon is not on.
    assert.notEqual(berth(["--config", cfg, "ps"], env).code, 0);
    assert.equal(docker(["--config", cfg, "context", "use", "polctx"], env).code, 0);
    assert.deepEqual(ids(["--config", cfg]), expected);
    assert.deepEqual(ids([], { ...env, DOCKER_CONFIG: cfg }), expected);
    const v = berth(["--config", cfg, "version", "--format", "{{.Client.Context}}"], env);
    assert.equal(v.out.split("\n")[0], "polctx");
    // A context that doesn't exist, and --context with -H: docker's errors.
    const bad = berth(["--config", cfg, "--context", "nope", "ps"], env);
    const badDocker = docker(["--config", cfg, "--context", "nope", "ps"], env);
    assert.equal(bad.code, badDocker.code);
    assert.equal(bad.err.trim(), badDocker.err.trim());
    const both = berth(["--context", "polctx", "-H", d.host, "ps"]);
    assert.equal(both.err.trim(), docker(["--context", "polctx", "-H", d.host, "ps"]).err.trim());
    // DOCKER_HOST wins over the config's current context, as in docker.
    assert.deepEqual(ids(["--config", cfg], { DOCKER_HOST: d.host }), expected);
  });

  it("manages contexts in docker's storage: each CLI sees what the other made", () => {
    const cfg = join(work, "config2");
    const env = { DOCKER_CONFIG: cfg };
    const made = berth(
      ["context", "create", "bctx", "--description", "from berth", "--docker", `host=${d.host}`],
      env,
    );
    assert.equal(made.code, 0, made.err);
    assert.equal(made.out, "bctx\n");
    assert.equal(made.err, 'Successfully created context "bctx"\n');
    assert.equal(docker(["context", "create", "dctx", "--docker", "host=unix:///nowhere.sock"], env).code, 0);
    for (const args of [
      ["context", "ls"],
      ["context", "ls", "--format", "json"],
      ["context", "ls", "-q"],
      ["context", "inspect", "bctx", "dctx"],
    ]) {
      const b = berth(args, env);
      const k = docker(args, env);
      assert.equal(b.code, 0, b.err);
      assert.equal(b.out, k.out, args.join(" "));
    }
    const use = berth(["context", "use", "bctx"], env);
    assert.equal(use.out, "bctx\n");
    assert.equal(docker(["context", "show"], { ...env, DOCKER_HOST: undefined }).out, "bctx\n");
    assert.equal(
      berth(["ps", "-q", "--filter", "name=pol1"], { ...env, DOCKER_HOST: undefined }).out.length,
      13,
    );
    const inUse = berth(["context", "rm", "bctx"], { ...env, DOCKER_HOST: undefined });
    assert.equal(inUse.code, 1);
    assert.match(inUse.err, /context "bctx" is in use, set -f flag to force remove/);
    assert.equal(berth(["context", "rm", "-f", "bctx"], { ...env, DOCKER_HOST: undefined }).code, 0);
    assert.equal(docker(["context", "show"], { ...env, DOCKER_HOST: undefined }).out, "default\n");
    assert.equal(berth(["context", "rm", "dctx"], env).code, 0);
    assert.equal(docker(["context", "ls", "-q"], env).out, "default\n");
    const missing = berth(["context", "inspect", "nope"], env);
    assert.equal(missing.err.trim(), docker(["context", "inspect", "nope"], env).err.trim());
  });

  it("shows system df -v as docker does", () => {
    const b = berth(["system", "df", "-v"]);
    const k = docker(["system", "df", "-v"]);
    assert.equal(b.code, 0, b.err);
    const heads = (s: string) => s.split("\n").filter((l) => /^[A-Z][A-Za-z ]+(:|ID|NAME)/.test(l));
    assert.deepEqual(heads(b.out), heads(k.out));
    assert.match(b.out, /^Images space usage:\n\nREPOSITORY +TAG +IMAGE ID/);
    const j = (s: string) => {
      const o = JSON.parse(s);
      for (const list of Object.values(o) as Record<string, unknown>[][])
        for (const row of list) for (const k of ["RunningFor", "Status", "CreatedSince"]) delete row[k];
      return o;
    };
    const bj = berth(["system", "df", "-v", "--format", "json"]);
    const kj = docker(["system", "df", "-v", "--format", "json"]);
    assert.deepEqual(j(bj.out), j(kj.out));
    assert.equal(bj.out, JSON.stringify(JSON.parse(bj.out)), "compact, as docker prints it");
  });

  it("reports the build's commit and time, Node and the runtime, conmon and init versions", () => {
    const v = JSON.parse(berth(["version", "--format", "{{json .Server}}"]).out);
    const head = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], {
      cwd: REPO,
      encoding: "utf8",
    }).trim();
    assert.ok(v.GitCommit.startsWith(head), `${v.GitCommit} vs ${head}`);
    assert.ok(Date.parse(v.BuildTime) > Date.parse("2026-01-01"), v.BuildTime);
    assert.equal(v.GoVersion, `node${process.versions.node}`);
    const comps = Object.fromEntries(
      v.Components.map((c: { Name: string; Version: string }) => [c.Name, c.Version]),
    );
    const first = (cmd: string) =>
      /version:?\s+v?(\S+)/i.exec(execFileSync(cmd, ["--version"], { encoding: "utf8" }))?.[1];
    assert.equal(comps.runc, first("/usr/sbin/runc"));
    assert.equal(comps.conmon, first("/usr/bin/conmon"));
    assert.equal(comps["docker-init"], first("/usr/bin/tini-static"));
    const text = docker(["version"]).out;
    assert.match(text, /^ runc:\n {2}Version: +\S+/m, "the docker CLI shows them");
  });

  it("completes subcommands and names in bash", () => {
    const bin = join(work, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "berth"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, {
      mode: 0o755,
    });
    const complete = (...words: string[]) => {
      // As bash calls it: the line and the cursor at its end.
      const line = words.join(" ");
      const script = `source <(berth completion bash)
COMP_LINE='${line}'; COMP_POINT=${line.length}
_berth; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = spawnSync("bash", ["-c", script], {
        env: { ...baseEnv(), PATH: `${bin}:${process.env.PATH}`, BERTH_HOST: d.host },
        encoding: "utf8",
      });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split("\n").filter(Boolean);
    };
    assert.deepEqual(complete("berth", "ru"), ["run"]);
    // After a ':' bash replaces only the tag: the reply is what follows it.
    assert.deepEqual(complete("berth", "run", "bb:"), ["latest"]);
    assert.deepEqual(complete("berth", "image", "inspect", "bb:la"), ["latest"]);
    assert.deepEqual(complete("berth", "rm", ""), ["pol1", "pol2"]);
    assert.deepEqual(complete("berth", "rm", "-f", "pol1", "pol"), ["pol1", "pol2"]);
    assert.deepEqual(complete("berth", "container", "ins"), ["inspect"]);
    assert.ok(complete("berth", "run", "--rm", "").includes("bb:latest"));
    assert.ok(complete("berth", "volume", "rm", "").includes("polvol"));
    assert.ok(complete("berth", "network", "inspect", "pol").includes("polnet"));
    assert.ok(complete("berth", "ps", "--a").includes("--all"));
    assert.deepEqual(complete("berth", "context", "use", ""), ["default"]);
    assert.deepEqual(complete("berth", "--context", "def"), ["default"]);
    // The image is given: run's next words are the command, not names.
    assert.deepEqual(complete("berth", "run", "bb", "po"), []);
  });

  /** Types into an interactive shell in a pty (script(1)) and returns the screen after each step. */
  async function ptyShell(shell: string[], steps: { keys: string; until?: RegExp }[]): Promise<string> {
    const bin = join(work, "bin");
    const p = spawn("script", ["-qfec", shell.join(" "), "/dev/null"], {
      env: {
        ...baseEnv(),
        PATH: `${bin}:${process.env.PATH}`,
        BERTH_HOST: d.host,
        TERM: "dumb",
        PS1: "PTY> ",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let screen = "";
    p.stdout.on("data", (c) => {
      screen += String(c)
        .replace(/\r/g, "")
        .replace(/\x1b\[[?0-9;]*[a-zA-Z]/g, "");
    });
    try {
      for (const step of steps) {
        p.stdin.write(step.keys);
        // A step without a pattern (^C) gets a second for the shell to settle.
        for (let i = 0; i < (step.until ? 100 : 10) && !step.until?.test(screen); i++)
          await new Promise((r) => setTimeout(r, 100));
        if (step.until) assert.match(screen, step.until, `after typing ${JSON.stringify(step.keys)}`);
      }
      return screen;
    } finally {
      p.kill("SIGKILL"); // the shell gets SIGHUP as its terminal goes away
    }
  }

  it("completes on TAB in an interactive bash (a pty)", async () => {
    await ptyShell(
      ["bash", "--norc", "--noprofile", "-i"],
      [
        { keys: "source <(berth completion bash); echo SOURCED$((1+1))\n", until: /SOURCED2/ },
        { keys: "berth ru\t", until: /berth run $/m },
        { keys: "bb:\t", until: /berth run bb:latest $/m },
        { keys: "\x03" }, // a fresh line
        { keys: "berth rm pol\t", until: /berth rm pol$/m },
        { keys: "\t", until: /pol1\s+pol2/ },
      ],
    );
  });

  it("completes on TAB in an interactive zsh (a pty)", {
    skip: !existsSync("/usr/bin/zsh") && "no zsh",
  }, async () => {
    await ptyShell(
      ["zsh", "-f", "-i"],
      [
        {
          keys: "autoload -Uz compinit; compinit -u; source <(berth completion zsh); echo SOURCED$((1+1))\n",
          until: /SOURCED2/,
        },
        { keys: "berth ru\t", until: /berth run $/m },
        { keys: "\x03" },
        { keys: "berth rm pol\t", until: /pol1\s+pol2/ },
      ],
    );
  });

  it("completes in fish", { skip: !existsSync("/usr/bin/fish") && "no fish" }, () => {
    const bin = join(work, "bin");
    const r = spawnSync(
      "fish",
      ["-c", 'berth completion fish | source; complete -C "berth ru"; echo ==; complete -C "berth rm pol"'],
      { env: { ...baseEnv(), PATH: `${bin}:${process.env.PATH}`, BERTH_HOST: d.host }, encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "run\n==\npol1\npol2\n");
  });

  it("prints the zsh and fish scripts, and refuses other shells", () => {
    assert.match(berth(["completion", "zsh"]).out, /^#compdef berth\n/);
    assert.match(berth(["completion", "fish"]).out, /complete -c berth -f -a '\(__berth_complete\)'/);
    const r = berth(["completion", "tcsh"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /unsupported shell "tcsh"/);
  });
});
