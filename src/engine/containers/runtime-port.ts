/**
 * What the container service needs from the runtime module, in one narrow
 * interface (runtime/ implements it with conmon + runc).
 */
import type { Readable, Writable } from "node:stream";
import type { LogLimits } from "./logconfig.js";

export interface ExitStatus {
  exitCode: number;
  finishedAt: Date;
  oomKilled: boolean;
}

/** One attached client's view of a container's stdio (runtime/attach.ts). */
export interface AttachStreams {
  /** end() closes the container's stdin, for every client. */
  stdin: Writable;
  stdout: Readable;
  /** Absent with a TTY (one stream). */
  stderr?: Readable;
  resize(cols: number, rows: number): Promise<void> | void;
  /** Detaches this client only. */
  close(): void;
  /** Resolves when this client's output is over. */
  done: Promise<void>;
}

export interface ExecOptions {
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids: number[] };
  tty: boolean;
  stdin: boolean;
  privileged: boolean;
  /** The TTY's initial size, when known before the process starts. */
  consoleSize?: { cols: number; rows: number };
  /**
   * The caller found the container running and not paused in its own record
   * (as dockerd decides from its state): the runtime does not ask runc again
   * (a `runc state` process on the exec's critical path).
   */
  checked?: boolean;
}

export interface ExecSession {
  pid?: number;
  stdin?: Writable;
  stdout: Readable;
  stderr?: Readable;
  resize(cols: number, rows: number): Promise<void> | void;
  exited: Promise<number>;
  /** Kills the exec'd process (health check timeouts). */
  kill?(): void;
}

/** The runtime operations the lifecycle drives (runtime/ provides them). */
export interface RuntimePort {
  /** Starts conmon, which runs `runc create`; resolves when the container exists (not yet started). */
  create(opts: {
    id: string;
    bundleDir: string;
    spec: object;
    logPath: string;
    terminal: boolean;
    openStdin: boolean;
    stdinOnce: boolean;
    /** The log driver's limits (logconfig.ts). */
    log?: LogLimits;
  }): Promise<{ pid: number }>;
  start(id: string): Promise<void>;
  state(id: string): Promise<{ status: string; pid: number } | undefined>;
  kill(id: string, signal: number, all?: boolean): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** Removes the runtime's state of a stopped container. */
  delete(id: string): Promise<void>;
  exitStatus(id: string): Promise<ExitStatus | undefined>;
  /** Calls back with a container ID each time one of ours exits. */
  watchExits(onExit: (id: string) => void): void;
  /** Attaches one more client to the container's stdio; every client sees all output. */
  attach(id: string, opts: { tty: boolean }): Promise<AttachStreams>;
  /** Sets the container's TTY size (columns, rows). */
  resize(id: string, cols: number, rows: number): Promise<void>;
  exec(id: string, opts: ExecOptions): Promise<ExecSession>;
  ps(id: string): Promise<number[]>;
  update(id: string, resources: object): Promise<void>;
}
