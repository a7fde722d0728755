/**
 * Containers under conmon + runc (podman's arrangement):
 *   create:  write config.json into the bundle, start conmon, which
 *            daemonizes, runs `runc create` and reports the pid (or runc's
 *            error) on its sync pipe;
 *   start:   `runc start`; conmon relays output to the k8s-file log and to
 *            attached clients, and on exit writes the code (128+N for signal
 *            N) to <exitDir>/<id> and <persist>/exit, plus <persist>/oom;
 *   delete:  `runc delete` and every file this module keeps for the container.
 * conmon outlives berthd, and everything is in files under stateDir, so a
 * new Runtime (a restarted berthd) finds its containers again:
 *   <stateDir>/runc/        runc --root
 *   <stateDir>/exits/<id>   conmon's exit files (watched for exits)
 *   <stateDir>/sock/<uuid>  conmon's links to bundles (attach socket paths)
 *   <stateDir>/containers/<id>.json  where each container's files are
 *   <stateDir>/exec/<uuid>/ one dir per running exec
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import type { ExecOptions, ExitStatus, RuntimePort } from "../engine/containers/runtime-port.js";
import { conflict, notFound, notImplemented } from "../util/errors.js";
import { readJson, writeFileReplace, writeJsonAtomic } from "../util/fs.js";
import { type Attached, resizeVia, StdioHub } from "./attach.js";
import { oomKilled, removeCgroup } from "./cgroups.js";
import { conmonArgs, spawnConmon } from "./conmon.js";
import { type ExecDeps, type ExecSession, execProcess } from "./exec.js";
import { ExitWatcher } from "./exits.js";
import { LogRotator } from "./logrotate.js";
import { pidsInNamespaceOf } from "./pidns.js";
import { OciRuntimeError, Runc, RuncError, type RuncState, runcMessage } from "./runc.js";

export interface RuntimeOptions {
  /** runc (default) or crun. */
  runtimePath: string;
  conmonPath: string;
  /** Base directory of this runtime's state (under the daemon's exec-root). */
  stateDir: string;
  /** Defaults to <stateDir>/runc. */
  runcRoot?: string;
  /** Defaults to <stateDir>/exits. */
  exitDir?: string;
  log?: Logger;
  logger?: Logger;
  /** conmon's --log-level. */
  logLevel?: string;
}

export interface CreateOptions {
  id: string;
  bundleDir: string;
  spec: object;
  logPath: string;
  terminal: boolean;
  openStdin: boolean;
  /** Docker's StdinOnce: the container's stdin closes when the attached client goes. */
  stdinOnce?: boolean;
  /** The log driver's limits (engine/containers/logconfig.ts); default: one unbounded file. */
  log?: { file: boolean; maxSize?: number; maxFiles: number };
}

/** What this module remembers of a container, in <stateDir>/containers/<id>.json. */
interface ContainerFiles {
  id: string;
  uuid: string;
  bundleDir: string;
  logPath: string;
  terminal: boolean;
  openStdin: boolean;
  /** conmon runs without --leave-stdin-open: dropping the attach connection closes stdin. */
  stdinOnce?: boolean;
  cgroupsPath?: string;
  /** berthd rotates the log at logMaxSize bytes keeping logMaxFiles files (logrotate.ts); absent: conmon bounds it alone. */
  logMaxFiles?: number;
  logMaxSize?: number;
}

export class Runtime implements RuntimePort {
  readonly runc: Runc;
  readonly exitDir: string;
  readonly socketDir: string;
  private readonly filesDir: string;
  private readonly execDir: string;
  private readonly log?: Logger;
  private readonly watchers: ExitWatcher[] = [];
  private readonly files = new Map<string, ContainerFiles>();
  private readonly adopted = new Map<string, string>();
  private readonly lastExit = new Map<string, ExitStatus>();
  /** One attach connection per container, shared by its attached clients. */
  private readonly hubs = new Map<string, Promise<StdioHub>>();
  private readonly rotators = new Map<string, LogRotator>();

  constructor(private readonly o: RuntimeOptions) {
    this.runc = new Runc(o.runtimePath, o.runcRoot ?? join(o.stateDir, "runc"));
    this.exitDir = o.exitDir ?? join(o.stateDir, "exits");
    this.socketDir = join(o.stateDir, "sock");
    this.filesDir = join(o.stateDir, "containers");
    this.execDir = join(o.stateDir, "exec");
    this.log = o.logger ?? o.log;
  }

  async init(): Promise<void> {
    await mkdir(this.runc.root, { recursive: true, mode: 0o700 });
    for (const d of [this.exitDir, this.socketDir, this.filesDir, this.execDir])
      await mkdir(d, { recursive: true, mode: 0o700 });
    // Containers that kept running while berthd was down keep their log rotation.
    for (const name of await readdir(this.filesDir)) {
      if (!name.endsWith(".json")) continue;
      const f = await readJson<ContainerFiles>(join(this.filesDir, name)).catch(() => undefined);
      if (!f?.logMaxFiles || !f.logMaxSize) continue;
      if (await conmonAlive(join(f.bundleDir, "conmon.pid"), f.id)) this.rotate(f);
    }
  }

  private rotate(f: ContainerFiles): void {
    this.rotators.get(f.id)?.stop();
    const r = new LogRotator(f.logPath, join(f.bundleDir, "ctl"), f.logMaxSize!, f.logMaxFiles!, this.log);
    this.rotators.set(f.id, r);
    r.start();
  }

  private fileOf(id: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id)) throw notFound(`invalid container id: ${id}`);
    return join(this.filesDir, `${id}.json`);
  }

  private async filesFor(id: string): Promise<ContainerFiles | undefined> {
    const known = this.files.get(id);
    if (known) return known;
    const rec = await readJson<ContainerFiles>(this.fileOf(id));
    if (rec) {
      this.files.set(id, rec);
      return rec;
    }
    const bundleDir = this.adopted.get(id);
    if (!bundleDir) return undefined;
    // Created by an older berth: the attach link was named by the id's first 16 characters.
    const cfg = await readJson<{ process?: { terminal?: boolean } }>(join(bundleDir, "config.json")).catch(
      () => undefined,
    );
    const terminal = cfg?.process?.terminal ?? false;
    return { id, uuid: id.slice(0, 16), bundleDir, logPath: "", terminal, openStdin: false };
  }

  /** Where a container's bundle is, for containers created before state files existed. */
  adopt(id: string, bundleDir: string): void {
    this.adopted.set(id, bundleDir);
  }

  bundleOf(id: string): string | undefined {
    return this.files.get(id)?.bundleDir ?? this.adopted.get(id);
  }

  /** Runs `runc create` under a new conmon; resolves once the container exists (not started). */
  async create(o: CreateOptions): Promise<{ pid: number; conmonPid: number }> {
    const uuid = createHash("sha256").update(o.id).digest("hex").slice(0, 16);
    const spec = o.spec as { linux?: { cgroupsPath?: string } };
    const rec: ContainerFiles = {
      id: o.id,
      uuid,
      bundleDir: o.bundleDir,
      logPath: o.logPath,
      terminal: o.terminal,
      openStdin: o.openStdin,
      stdinOnce: o.openStdin && o.stdinOnce !== false,
      cgroupsPath: spec.linux?.cgroupsPath,
      ...(o.log?.file && o.log.maxSize && o.log.maxFiles > 1
        ? { logMaxFiles: o.log.maxFiles, logMaxSize: o.log.maxSize }
        : {}),
    };
    const existing = await this.runc.state(o.id);
    if (existing?.status === "stopped") await this.delete(o.id);
    else if (existing) throw conflict(`container ${o.id} already exists in the runtime (${existing.status})`);
    await mkdir(o.bundleDir, { recursive: true });
    const persist = join(o.bundleDir, "persist");
    await Promise.all([
      mkdir(dirname(o.logPath), { recursive: true }),
      rm(join(this.exitDir, o.id), { force: true }),
      rm(persist, { recursive: true, force: true }).then(() => mkdir(persist, { recursive: true })),
      ...["attach", "ctl", "winsz", "pidfile", "conmon.pid", "oom"].map((f) =>
        rm(join(o.bundleDir, f), { force: true }),
      ),
    ]);
    // Both live under the exec-root, which a reboot makes stale (the containers are gone with
    // it): replaced atomically, no fsync; a berthd crash loses nothing the kernel holds.
    await Promise.all([
      writeFileReplace(join(o.bundleDir, "config.json"), JSON.stringify(o.spec)),
      writeFileReplace(this.fileOf(o.id), JSON.stringify(rec)),
    ]);
    this.files.set(o.id, rec);
    this.lastExit.delete(o.id);
    const conmon = spawnConmon(
      this.o.conmonPath,
      conmonArgs({
        id: o.id,
        uuid,
        name: o.id,
        runtimePath: this.o.runtimePath,
        runtimeArgs: ["--root", this.runc.root],
        bundleDir: o.bundleDir,
        pidFile: join(o.bundleDir, "pidfile"),
        conmonPidFile: join(o.bundleDir, "conmon.pid"),
        logPath: o.log?.file === false ? undefined : o.logPath,
        // One file: conmon starts it afresh at the limit. More: berthd rotates (logrotate.ts).
        logSizeMax: o.log && o.log.maxFiles <= 1 ? o.log.maxSize : undefined,
        exitDir: this.exitDir,
        persistDir: persist,
        socketDir: this.socketDir,
        terminal: o.terminal,
        stdin: o.openStdin,
        leaveStdinOpen: o.openStdin && o.stdinOnce === false,
        logLevel: this.o.logLevel,
      }),
      // conmon writes an "oom" file into its working directory.
      { cwd: o.bundleDir },
    );
    let msg: Awaited<ReturnType<typeof conmon.sync.next>>;
    try {
      msg = await withTimeout(conmon.sync.next(), 120_000, "conmon did not report within 120s");
    } finally {
      conmon.release();
    }
    if (!msg || msg.data < 0) {
      await this.runc.run(["delete", "-f", o.id]).catch(() => {});
      if (msg?.message) throw new OciRuntimeError("create", runcMessage(msg.message));
      throw new Error(`conmon failed: ${conmon.stderr() || "exited without reporting"}`);
    }
    const conmonPid = await readPid(join(o.bundleDir, "conmon.pid"));
    if (rec.logMaxFiles) this.rotate(rec);
    this.log?.debug({ id: o.id, pid: msg.data, conmonPid }, "container created");
    return { pid: msg.data, conmonPid };
  }

  async start(id: string): Promise<void> {
    try {
      await this.runc.run(["start", id]);
    } catch (err) {
      if (err instanceof RuncError) throw new OciRuntimeError("start", err.message.replace(/^start: /, ""));
      throw err;
    }
  }

  /** runc's state (created/running/paused/stopped) and pid, or undefined if runc does not know it. */
  async state(id: string): Promise<RuncState | undefined> {
    return this.runc.state(id);
  }

  async kill(id: string, signal: number | string, all = false): Promise<void> {
    // `--all` walks the container's cgroup; one without (rootless) has its own pid
    // namespace instead, which the kernel empties when its init is killed.
    const f = this.files.get(id);
    if (all && f && !f.cgroupsPath) all = false;
    await this.runc.run(["kill", ...(all ? ["--all"] : []), id, String(signal)]);
  }

  /** Freezes the container's cgroup. Throws NotImplemented for a container without one (rootless). */
  async pause(id: string): Promise<void> {
    const f = this.files.get(id);
    if (f && !f.cgroupsPath)
      throw notImplemented(
        `cannot pause container ${id}: it has no cgroup to freeze (rootless without a delegated cgroup v2 subtree)`,
      );
    await this.runc.run(["pause", id]);
  }

  async resume(id: string): Promise<void> {
    await this.runc.run(["resume", id]);
  }

  /**
   * The container's processes. `runc ps` reads the cgroup; a container without
   * one (rootless) is the processes of its init's pid namespace instead.
   */
  async ps(id: string): Promise<number[]> {
    const f = this.files.get(id);
    if (!f || f.cgroupsPath) return this.runc.ps(id);
    const init = (await this.runc.state(id))?.pid;
    if (!init) return [];
    return pidsInNamespaceOf(init);
  }

  /** `runc update` with OCI linux.resources (memory, cpu, pids, blockIO). */
  async update(id: string, resources: object): Promise<void> {
    const file = join(this.execDir, `update-${id}-${Date.now()}.json`);
    await writeJsonAtomic(file, resources);
    try {
      await this.runc.run(["update", "--resources", file, id]);
    } finally {
      await unlink(file).catch(() => {});
    }
  }

  /** How the container ended, once conmon has written its exit file. */
  async exitStatus(id: string): Promise<ExitStatus | undefined> {
    const st = await this.readExit(id);
    if (st) {
      this.lastExit.delete(id);
      this.lastExit.set(id, st);
      if (this.lastExit.size > 1000) this.lastExit.delete(this.lastExit.keys().next().value!);
    }
    // After delete the files are gone: a late caller still gets the last exit.
    return st ?? this.lastExit.get(id);
  }

  private async readExit(id: string): Promise<ExitStatus | undefined> {
    const path = join(this.exitDir, id);
    let text: string;
    let finishedAt: Date;
    const files = await this.filesFor(id);
    try {
      text = await readFile(path, "utf8");
      finishedAt = (await stat(path)).mtime;
    } catch {
      // The persist dir has a copy when the exit dir was cleaned.
      if (!files) return undefined;
      const p = join(files.bundleDir, "persist", "exit");
      try {
        text = await readFile(p, "utf8");
        finishedAt = (await stat(p)).mtime;
      } catch {
        return undefined;
      }
    }
    const code = Number.parseInt(text.trim(), 10);
    let oom = false;
    if (files) {
      for (const f of [join(files.bundleDir, "persist", "oom"), join(files.bundleDir, "oom")])
        oom ||= await stat(f).then(
          () => true,
          () => false,
        );
      if (!oom && files.cgroupsPath) oom = await oomKilled(files.cgroupsPath).catch(() => false);
    }
    return { exitCode: Number.isNaN(code) || code < 0 ? 255 : code, finishedAt, oomKilled: oom };
  }

  /**
   * Calls back with a container id whenever conmon records an exit. fs.watch
   * on the exit dir, with a periodic scan in case an event is lost.
   */
  watchExits(onExit: (id: string) => void, pollMs = 2000): () => void {
    const w = new ExitWatcher(this.exitDir, onExit, pollMs);
    this.watchers.push(w);
    void w.start();
    return () => w.stop();
  }

  /**
   * Attaches a client to the container's stdio (conmon must be running).
   * Every client shares one connection to conmon (see attach.ts), opened
   * on first use and kept until the container's output ends.
   */
  async attach(id: string, opts?: { tty?: boolean }): Promise<Attached> {
    let hub = await this.hubs.get(id)?.catch(() => undefined);
    if (!hub || hub.closed) {
      const f = await this.filesFor(id);
      if (!f) throw notFound(`no runtime state for container ${id}`);
      const opening = StdioHub.open(join(this.socketDir, f.uuid, "attach"), {
        tty: opts?.tty ?? f.terminal,
        ctl: join(f.bundleDir, "ctl"),
        keepWhenIdle: f.openStdin && (f.stdinOnce ?? true),
      });
      this.hubs.set(id, opening);
      try {
        hub = await opening;
      } catch (err) {
        this.hubs.delete(id);
        throw err;
      }
      const opened = hub;
      void opened.done.then(() => {
        if (this.hubs.get(id) === opening) this.hubs.delete(id);
      });
    }
    return hub.subscribe();
  }

  /** Sets the container's terminal size through conmon's ctl fifo (no connection needed). */
  async resize(id: string, cols: number, rows: number): Promise<void> {
    const f = await this.filesFor(id);
    if (f) await resizeVia(join(f.bundleDir, "ctl"), cols, rows);
  }

  /** Runs a process in a running container (conmon --exec); see exec.ts. */
  async exec(id: string, opts: ExecOptions & { capAdd?: string[] }): Promise<ExecSession> {
    const files = await this.filesFor(id);
    if (opts.checked && files) return execProcess(this.execDeps(files.bundleDir), id, opts);
    // runc's view of the container is checked while conmon starts (it waits for us).
    const check = this.runc.state(id).then((st) => {
      if (!st) throw notFound(`No such container: ${id}`);
      if (st.status === "paused")
        throw conflict(`Container ${id} is paused, unpause the container before exec`);
      if (st.status !== "running") throw conflict(`Container ${id} is not running`);
      return st;
    });
    check.catch(() => {}); // awaited below or by execProcess
    const bundleDir = files?.bundleDir ?? (await check).bundle;
    return execProcess(this.execDeps(bundleDir), id, opts, check);
  }

  private execDeps(bundleDir: string): ExecDeps {
    return {
      conmonPath: this.o.conmonPath,
      runtimePath: this.o.runtimePath,
      runcRoot: this.runc.root,
      socketDir: this.socketDir,
      execDir: this.execDir,
      bundleDir,
      logLevel: this.o.logLevel,
    };
  }

  /**
   * Removes the container from runc (`force` kills it first) and every file
   * kept for it: exit file, persist dir, attach link, state file, leftover
   * cgroup dirs. A running container without `force` is refused by runc.
   */
  async delete(id: string, force = true): Promise<void> {
    const hub = this.hubs.get(id);
    this.hubs.delete(id);
    this.rotators.get(id)?.stop();
    this.rotators.delete(id);
    void hub?.then(
      (h) => h.close(),
      () => {},
    );
    try {
      // Already deleted (an exit handled, then --rm): no runc process to learn that.
      if (await this.runc.known(id)) await this.runc.run(["delete", ...(force ? ["-f"] : []), id]);
    } catch (err) {
      if (!(err instanceof RuncError && err.notExist)) throw err;
    }
    await this.cleanupFiles(id);
  }

  /** Everything of the container gone, whatever state it was in. */
  cleanup(id: string): Promise<void> {
    return this.delete(id, true);
  }

  private async cleanupFiles(id: string): Promise<void> {
    const f = await this.filesFor(id);
    if (f) {
      await waitConmonGone(join(f.bundleDir, "conmon.pid"), id);
      await Promise.all([
        rm(join(this.socketDir, f.uuid), { force: true }),
        ...["persist", "attach", "ctl", "winsz", "pidfile", "conmon.pid", "oom"].map((x) =>
          rm(join(f.bundleDir, x), { recursive: true, force: true }),
        ),
      ]);
      if (f.cgroupsPath) {
        const err = await removeCgroup(f.cgroupsPath).catch((e: Error) => e);
        if (err) this.log?.warn({ id, err }, "cgroup not removed");
      }
    }
    await Promise.all([rm(join(this.exitDir, id), { force: true }), rm(this.fileOf(id), { force: true })]);
    this.files.delete(id);
    this.adopted.delete(id);
  }

  close(): void {
    for (const w of this.watchers.splice(0)) w.stop();
    for (const r of this.rotators.values()) r.stop();
    this.rotators.clear();
  }
}

async function readPid(path: string): Promise<number> {
  const n = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
  return Number.isNaN(n) ? 0 : n;
}

/** True while the conmon recorded in `pidFile` runs for container `id`. */
async function conmonAlive(pidFile: string, id: string): Promise<boolean> {
  const pid = await readPid(pidFile);
  if (!pid) return false;
  const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return cmd.includes("conmon") && cmd.split("\0").includes(id);
}

/** Waits (briefly) for the container's conmon to write its exit file and go; kills it if it lingers. */
async function waitConmonGone(pidFile: string, id: string): Promise<void> {
  const pid = await readPid(pidFile);
  if (!pid) return;
  const isOurs = async () => {
    const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    return cmd.includes("conmon") && cmd.split("\0").includes(id);
  };
  // conmon exits a moment after writing the exit file: poll soon, then back off (5 s in all).
  const deadline = Date.now() + 5000;
  for (let wait = 2; Date.now() < deadline && (await isOurs()); wait = Math.min(wait * 2, 100))
    await new Promise((r) => setTimeout(r, wait));
  if (await isOurs()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
