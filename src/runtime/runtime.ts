/**
 * Containers under conmon + runc (podman's arrangement):
 *   create: write the bundle, start conmon (which daemonizes, runs `runc
 *           create`, and reports the pid or runc's error on a sync pipe);
 *   start:  `runc start`; conmon relays output to the log file and to
 *           attached clients, and writes the exit code to <exitDir>/<id>.
 * conmon outlives berthd, so containers keep running when berthd stops or
 * dies; on start berthd asks runc for each container's state.
 */
import { spawn } from "node:child_process";
import { type FSWatcher, watch } from "node:fs";
import { mkdir, readFile, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type {
  AttachStreams,
  ExecOptions,
  ExecSession,
  ExitStatus,
  RuntimePort,
} from "../engine/containers/runtime-port.js";
import { writeJsonAtomic } from "../util/fs.js";
import { attachSocket } from "./attach.js";
import { runcExec } from "./exec.js";
import { Runc } from "./runc.js";

export interface RuntimeOptions {
  runtimePath: string;
  conmonPath: string;
  /** Runtime state (runc --root), exit files and attach socket links live here. */
  stateDir: string;
  log: Logger;
}

export class Runtime implements RuntimePort {
  readonly runc: Runc;
  readonly exitDir: string;
  readonly socketDir: string;
  private watcher?: FSWatcher;
  private readonly bundles = new Map<string, string>();

  constructor(private readonly o: RuntimeOptions) {
    this.runc = new Runc(o.runtimePath, join(o.stateDir, "runc"));
    this.exitDir = join(o.stateDir, "exits");
    this.socketDir = join(o.stateDir, "sock");
  }

  async init(): Promise<void> {
    await mkdir(this.runc.root, { recursive: true, mode: 0o700 });
    await mkdir(this.exitDir, { recursive: true });
    await mkdir(this.socketDir, { recursive: true });
  }

  /** conmon's -u: short, so the attach socket path stays under the 108-byte limit. */
  private uuid(id: string): string {
    return id.slice(0, 16);
  }

  bundleOf(id: string): string | undefined {
    return this.bundles.get(id);
  }

  async create(o: {
    id: string;
    bundleDir: string;
    spec: object;
    logPath: string;
    terminal: boolean;
    openStdin: boolean;
  }): Promise<{ pid: number }> {
    this.bundles.set(o.id, o.bundleDir);
    await rm(join(this.exitDir, o.id), { force: true });
    await rm(join(o.bundleDir, "persist"), { recursive: true, force: true });
    await mkdir(join(o.bundleDir, "persist"), { recursive: true });
    for (const f of ["attach", "ctl", "winsz", "pidfile", "conmon.pid"])
      await rm(join(o.bundleDir, f), { force: true });
    await writeJsonAtomic(join(o.bundleDir, "config.json"), o.spec);
    await rm(join(this.socketDir, this.uuid(o.id)), { force: true });
    const args = [
      "--api-version",
      "1",
      "-c",
      o.id,
      "-u",
      this.uuid(o.id),
      "-n",
      o.id.slice(0, 12),
      "-r",
      this.o.runtimePath,
      "-b",
      o.bundleDir,
      "-p",
      join(o.bundleDir, "pidfile"),
      "-P",
      join(o.bundleDir, "conmon.pid"),
      "-l",
      `k8s-file:${o.logPath}`,
      "--exit-dir",
      this.exitDir,
      "--persist-dir",
      join(o.bundleDir, "persist"),
      "--socket-dir-path",
      this.socketDir,
      "--runtime-arg",
      "--root",
      "--runtime-arg",
      this.runc.root,
      "--log-level",
      "error",
      "--no-pivot",
    ];
    if (o.terminal) args.push("-t");
    if (o.openStdin) args.push("-i");
    // --no-pivot is only needed on ramfs roots; drop it for overlay roots.
    args.splice(args.indexOf("--no-pivot"), 1);
    const msg = await this.spawnConmon(args);
    if (msg.data < 0) {
      await this.runc.run(["delete", "-f", o.id]).catch(() => {});
      throw new Error(
        `OCI runtime create failed: ${runcMessage(msg.message ?? "container create failed")}: unknown`,
      );
    }
    return { pid: msg.data };
  }

  /** Starts conmon detached; resolves with its sync-pipe message. */
  private spawnConmon(args: string[]): Promise<{ data: number; message?: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.o.conmonPath, args, {
        detached: true,
        stdio: ["ignore", "ignore", "pipe", "pipe"],
        env: { ...process.env, _OCI_SYNCPIPE: "3" },
      });
      let buf = "";
      let stderr = "";
      const sync = child.stdio[3] as NodeJS.ReadableStream;
      child.stderr?.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      let settled = false;
      const done = (fn: () => void) => {
        if (settled) return;
        settled = true;
        child.stderr?.destroy();
        (sync as unknown as { destroy(): void }).destroy();
        child.unref();
        fn();
      };
      sync.on("data", (d: Buffer) => {
        buf += d.toString();
        const nl = buf.indexOf("\n");
        if (nl >= 0) {
          try {
            const m = JSON.parse(buf.slice(0, nl)) as { data: number; message?: string };
            done(() => resolve(m));
          } catch (err) {
            done(() => reject(err));
          }
        }
      });
      sync.on("end", () =>
        done(() => reject(new Error(`conmon exited without reporting: ${stderr.trim() || "no output"}`))),
      );
      child.on("error", (err) => done(() => reject(err)));
    });
  }

  async start(id: string): Promise<void> {
    await this.runc.run(["start", id]);
  }

  state(id: string) {
    return this.runc.state(id);
  }

  async kill(id: string, signal: number, all = false): Promise<void> {
    await this.runc.run(["kill", ...(all ? ["--all"] : []), id, String(signal)]);
  }

  async pause(id: string): Promise<void> {
    await this.runc.run(["pause", id]);
  }

  async resume(id: string): Promise<void> {
    await this.runc.run(["resume", id]);
  }

  async delete(id: string): Promise<void> {
    await this.runc.run(["delete", "-f", id]).catch((err) => {
      if (!/does not exist/.test(String(err.stderr ?? err.message))) throw err;
    });
    await rm(join(this.socketDir, this.uuid(id)), { force: true });
  }

  async exitStatus(id: string): Promise<ExitStatus | undefined> {
    const path = join(this.exitDir, id);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      return undefined;
    }
    const st = await stat(path);
    const bundle = this.bundles.get(id);
    let oom = false;
    if (bundle)
      oom = await stat(join(bundle, "persist", "oom")).then(
        () => true,
        () => false,
      );
    const code = Number.parseInt(text.trim(), 10);
    return { exitCode: Number.isNaN(code) ? 255 : code, finishedAt: st.mtime, oomKilled: oom };
  }

  /** Remembers where a container's bundle is (after a daemon restart). */
  adopt(id: string, bundleDir: string): void {
    this.bundles.set(id, bundleDir);
  }

  watchExits(onExit: (id: string) => void): void {
    this.watcher = watch(this.exitDir, (_ev, name) => {
      if (name && /^[a-f0-9]{64}$/.test(name)) onExit(name);
    });
  }

  async attach(id: string, opts: { stdin: boolean; tty: boolean }): Promise<AttachStreams> {
    const bundle = this.bundles.get(id);
    return attachSocket(
      join(this.socketDir, this.uuid(id), "attach"),
      bundle ? join(bundle, "ctl") : undefined,
      opts,
    );
  }

  async exec(id: string, opts: ExecOptions): Promise<ExecSession> {
    const bundle = this.bundles.get(id) ?? this.o.stateDir;
    return runcExec(this.runc, id, join(bundle, "exec"), opts);
  }

  ps(id: string): Promise<number[]> {
    return this.runc.ps(id);
  }

  async update(id: string, resources: object): Promise<void> {
    const bundle = this.bundles.get(id) ?? this.o.stateDir;
    const file = join(bundle, `update-${Date.now()}.json`);
    await writeJsonAtomic(file, resources);
    try {
      await this.runc.run(["update", "--resources", file, id]);
    } finally {
      await unlink(file).catch(() => {});
    }
  }

  close(): void {
    this.watcher?.close();
  }
}

/** runc logs as `time=".." level=error msg="..."`: keep the message. */
export function runcMessage(raw: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(raw);
  return (m ? m[1]!.replace(/\\"/g, '"') : raw).trim();
}
