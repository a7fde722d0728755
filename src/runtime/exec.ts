/**
 * `docker exec` through `runc exec` with the process's stdio on pipes
 * (no TTY). runc stays in the foreground and exits with the process's code.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { ExecOptions, ExecSession } from "../engine/containers/runtime-port.js";
import { effectiveCaps } from "./capabilities.js";
import type { Runc } from "./runc.js";

export async function runcExec(runc: Runc, id: string, dir: string, o: ExecOptions): Promise<ExecSession> {
  await mkdir(dir, { recursive: true });
  const caps = effectiveCaps({ privileged: o.privileged });
  const process = {
    terminal: false,
    user: { uid: o.user.uid, gid: o.user.gid, additionalGids: o.user.additionalGids },
    args: o.args,
    env: o.env,
    cwd: o.cwd || "/",
    capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [] as string[] },
    noNewPrivileges: false,
  };
  const file = join(dir, `${randomBytes(8).toString("hex")}.json`);
  await writeFile(file, JSON.stringify(process));
  const child = spawn(runc.path, ["--root", runc.root, "exec", "--process", file, id], {
    stdio: [o.stdin ? "pipe" : "ignore", "pipe", "pipe"],
  });
  let errText = "";
  const stderr = new PassThrough();
  child.stderr!.pipe(stderr);
  child.stderr!.on("data", (d: Buffer) => {
    if (errText.length < 4096) errText += d.toString();
  });
  const exited = new Promise<number>((resolve) => {
    child.on("close", (code, signal) => {
      void import("node:fs/promises").then((fs) => fs.rm(file, { force: true }));
      if (signal) return resolve(128 + (require_signal(signal) ?? 9));
      if (code === 255 && /executable file not found|no such file or directory/.test(errText))
        return resolve(127);
      if (code === 255 && /permission denied/.test(errText)) return resolve(126);
      resolve(code ?? 255);
    });
    child.on("error", () => resolve(126));
  });
  return {
    pid: child.pid,
    stdin: child.stdin ?? undefined,
    stdout: child.stdout!,
    stderr,
    resize: () => {},
    exited,
    kill: () => child.kill("SIGKILL"),
  };
}

function require_signal(name: string): number | undefined {
  const os = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGKILL: 9,
    SIGTERM: 15,
    SIGQUIT: 3,
    SIGUSR1: 10,
    SIGUSR2: 12,
  } as Record<string, number>;
  return os[name];
}
