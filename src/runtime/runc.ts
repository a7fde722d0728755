/** Thin async wrappers over the OCI runtime's command line (runc or crun). */
import { execFile } from "node:child_process";

export class RuncError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
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
            const msg = stderr.trim().split("\n").pop() || err.message;
            reject(new RuncError(`${args[0]}: ${msg}`, stderr));
          } else resolve(stdout);
        },
      );
    });
  }

  async state(id: string): Promise<{ status: string; pid: number } | undefined> {
    try {
      const s = JSON.parse(await this.run(["state", id])) as { status: string; pid: number };
      return { status: s.status, pid: s.pid };
    } catch (err) {
      if (err instanceof RuncError && /does not exist|not exist/.test(err.stderr)) return undefined;
      throw err;
    }
  }

  async ps(id: string): Promise<number[]> {
    return JSON.parse(await this.run(["ps", "--format", "json", id])) ?? [];
  }
}
