/** Thin async wrappers over the OCI runtime's command line (runc, or crun by path). */
import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { join } from "node:path";

export class RuncError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = "RuncError";
  }

  get notExist(): boolean {
    return /does not exist|not exist|no such file or directory/i.test(this.stderr);
  }
}

/** Why `runc create`/`runc exec` failed, in the terms Docker maps to exit codes. */
export type RuntimeFailure = "not-found" | "permission-denied" | "other";

/**
 * A failed create or exec, carrying runc's own text. `exitCode` is what
 * Docker records for it: 127 (command not found), 126 (not executable),
 * else 128 for a container and 126 for an exec.
 */
export class OciRuntimeError extends Error {
  readonly reason: RuntimeFailure;
  readonly exitCode: number;

  constructor(
    readonly op: "create" | "exec" | "start",
    readonly runtimeMessage: string,
  ) {
    super(`OCI runtime ${op} failed: ${runtimeMessage}: unknown`);
    this.name = "OciRuntimeError";
    this.reason = classify(runtimeMessage);
    // Anything else: 128 for a container (moby's exitUnknown), 126 for an exec (moby's default).
    const other = op === "exec" ? 126 : 128;
    this.exitCode = this.reason === "not-found" ? 127 : this.reason === "permission-denied" ? 126 : other;
  }
}

export function classify(msg: string): RuntimeFailure {
  // A missing working directory is not a missing command (moby's translateContainerdStartErr
  // wants the command named in the message).
  if (/chdir to cwd/.test(msg)) return "other";
  if (/executable file not found|no such file or directory/i.test(msg)) return "not-found";
  if (/permission denied|is a directory|exec format error/i.test(msg)) return "permission-denied";
  return "other";
}

/**
 * runc logs as `time=".." level=error msg="..."` (crun prints plain text):
 * keep the last error's message.
 */
export function runcMessage(raw: string): string {
  let last: string | undefined;
  for (const m of raw.matchAll(/msg="((?:[^"\\]|\\.)*)"/g)) last = m[1];
  if (last === undefined) return raw.trim().split("\n").pop()?.trim() ?? "";
  return last.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c)).trim();
}

export interface RuncState {
  id: string;
  status: "created" | "running" | "paused" | "stopped" | string;
  pid: number;
  bundle: string;
  created?: string;
}

export class Runc {
  constructor(
    readonly path: string,
    readonly root: string,
  ) {}

  run(args: string[], timeoutMs = 60_000): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.path,
        ["--root", this.root, ...args],
        { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err) {
            const msg = runcMessage(stderr) || err.message;
            reject(new RuncError(`${args[0]}: ${msg}`, stderr || err.message));
          } else resolve(stdout);
        },
      );
    });
  }

  /**
   * Whether the runtime may know the container: runc and crun keep one
   * directory per container under --root, made before anything else. A stat,
   * where asking the runtime costs a process (~10 ms).
   */
  async known(id: string): Promise<boolean> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id)) return true; // let the runtime judge it
    return stat(join(this.root, id)).then(
      () => true,
      (err: NodeJS.ErrnoException) => err.code !== "ENOENT",
    );
  }

  /** runc's view of the container, or undefined when runc does not know it. */
  async state(id: string): Promise<RuncState | undefined> {
    if (!(await this.known(id))) return undefined;
    try {
      return JSON.parse(await this.run(["state", id])) as RuncState;
    } catch (err) {
      if (err instanceof RuncError && err.notExist) return undefined;
      throw err;
    }
  }

  async list(): Promise<RuncState[]> {
    return (JSON.parse((await this.run(["list", "--format", "json"])) || "null") as RuncState[] | null) ?? [];
  }

  async ps(id: string): Promise<number[]> {
    return (JSON.parse(await this.run(["ps", "--format", "json", id])) as number[] | null) ?? [];
  }
}
