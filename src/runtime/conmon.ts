/**
 * Starting conmon and talking to it over the pipes it reads from its
 * environment (conmon's src/parent_pipe_fd.c):
 *   _OCI_SYNCPIPE   conmon -> us: `{"data": <pid>}` once the runtime call
 *                   succeeded, `{"data": -N, "message": "<runtime stderr>"}`
 *                   when it failed; for --exec a second `{"data": <exit code>}`.
 *   _OCI_STARTPIPE  us -> conmon: conmon blocks on a first read before it
 *                   forks; with --exec-attach a second read holds `runc exec`
 *                   back until we are attached (no output is lost).
 *   _OCI_ATTACHPIPE conmon -> us: `{"data": 0}` when the attach socket exists.
 * conmon double-forks and calls setsid, so it outlives this process.
 */
import { spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";

export interface SyncMessage {
  data: number;
  message?: string;
}

/** Newline-delimited JSON messages from one of conmon's pipes. */
export class MessageReader {
  private buf = "";
  private readonly queue: SyncMessage[] = [];
  private waiter?: (m: SyncMessage | undefined) => void;
  private ended = false;

  constructor(private readonly stream: Readable) {
    stream.setEncoding("utf8");
    stream.on("data", (d: string) => {
      this.buf += d;
      for (let nl = this.buf.indexOf("\n"); nl >= 0; nl = this.buf.indexOf("\n")) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (!line) continue;
        try {
          this.push(JSON.parse(line) as SyncMessage);
        } catch {
          this.push({ data: -1, message: `malformed message from conmon: ${line}` });
        }
      }
    });
    const end = () => {
      this.ended = true;
      this.flush();
    };
    stream.on("end", end);
    stream.on("close", end);
    stream.on("error", end);
  }

  private push(m: SyncMessage): void {
    this.queue.push(m);
    this.flush();
  }

  private flush(): void {
    if (!this.waiter) return;
    if (this.queue.length) {
      const w = this.waiter;
      this.waiter = undefined;
      w(this.queue.shift());
    } else if (this.ended) {
      const w = this.waiter;
      this.waiter = undefined;
      w(undefined);
    }
  }

  /** The next message, or undefined once conmon closed the pipe. */
  next(): Promise<SyncMessage | undefined> {
    if (this.waiter) throw new Error("MessageReader.next: already waiting");
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.flush();
    });
  }

  close(): void {
    this.stream.destroy();
  }
}

export interface Conmon {
  sync: MessageReader;
  /** Only with `startPipe`. */
  start?: Writable;
  /** Only with `attachPipe`. */
  attach?: MessageReader;
  /** What conmon printed before it daemonized (argument errors and the like). */
  stderr(): string;
  /** Lets go of every pipe so this process can exit; conmon keeps running. */
  release(): void;
  /**
   * Kills conmon while it still waits on its start pipe (it forks nothing
   * before the first read): an EOF there would not stop it.
   */
  kill(): void;
}

export function spawnConmon(
  path: string,
  args: string[],
  o: { cwd: string; startPipe?: boolean; attachPipe?: boolean },
): Conmon {
  const env: NodeJS.ProcessEnv = { ...process.env, _OCI_SYNCPIPE: "3" };
  const stdio: ("ignore" | "pipe")[] = ["ignore", "ignore", "pipe", "pipe"];
  if (o.startPipe || o.attachPipe) {
    stdio.push("pipe");
    env._OCI_STARTPIPE = "4";
  }
  if (o.attachPipe) {
    stdio.push("pipe");
    env._OCI_ATTACHPIPE = "5";
  }
  // Our own pipes must not leak into conmon under other names.
  delete env.NOTIFY_SOCKET;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  const child = spawn(path, args, { cwd: o.cwd, detached: true, stdio, env });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (d: string) => {
    if (stderr.length < 8192) stderr += d;
  });
  let spawnError = "";
  child.on("error", (err) => {
    spawnError = err.message;
    for (const s of child.stdio) s?.destroy();
  });
  const fds = child.stdio as unknown as (Readable | Writable | null)[];
  const sync = new MessageReader(fds[3] as Readable);
  const start = o.startPipe || o.attachPipe ? (fds[4] as Writable) : undefined;
  start?.on("error", () => {});
  const attach = o.attachPipe ? new MessageReader(fds[5] as Readable) : undefined;
  return {
    sync,
    start,
    attach,
    stderr: () => (spawnError || stderr).trim(),
    release() {
      for (const s of fds) s?.destroy();
      child.unref();
    },
    kill() {
      child.kill("SIGKILL");
    },
  };
}

export interface ConmonArgs {
  id: string;
  /** Names the attach socket link <socketDir>/<uuid>: keep it short. */
  uuid: string;
  name?: string;
  runtimePath: string;
  runtimeArgs: string[];
  bundleDir: string;
  pidFile: string;
  conmonPidFile?: string;
  /** Absent: conmon keeps no log (the none driver). */
  logPath?: string;
  /** Bytes before conmon starts the log file afresh (see logrotate.ts). */
  logSizeMax?: number;
  exitDir?: string;
  persistDir?: string;
  socketDir: string;
  terminal: boolean;
  stdin: boolean;
  /** Keep the container's stdin open when an attached client goes away. */
  leaveStdinOpen?: boolean;
  exec?: { processSpec: string; attach: boolean };
  logLevel?: string;
}

export function conmonArgs(a: ConmonArgs): string[] {
  const args = ["--api-version", "1", "-c", a.id, "-u", a.uuid, "-n", a.name ?? a.id];
  args.push("-r", a.runtimePath, "-b", a.bundleDir, "-p", a.pidFile);
  if (a.conmonPidFile) args.push("-P", a.conmonPidFile);
  args.push("-l", a.logPath ? `k8s-file:${a.logPath}` : "none");
  if (a.logPath && a.logSizeMax) args.push("--log-size-max", String(a.logSizeMax));
  if (a.exitDir) args.push("--exit-dir", a.exitDir);
  if (a.persistDir) args.push("--persist-dir", a.persistDir);
  args.push("--socket-dir-path", a.socketDir);
  for (const r of a.runtimeArgs) args.push("--runtime-arg", r);
  args.push("--log-level", a.logLevel ?? "error");
  if (a.terminal) args.push("-t");
  if (a.stdin) args.push("-i");
  if (a.leaveStdinOpen) args.push("--leave-stdin-open");
  if (a.exec) {
    args.push("-e", "--exec-process-spec", a.exec.processSpec);
    if (a.exec.attach) args.push("--exec-attach");
  }
  return args;
}
