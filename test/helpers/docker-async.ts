/** The docker CLI run asynchronously, for tests whose own process serves HTTP meanwhile. */
import { spawn } from "node:child_process";
import { DOCKER, type TestDaemon } from "./daemon.js";

/** Runs a program without blocking the event loop; resolves with its exit code and output. */
export function runAsync(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env });
    let out = "";
    let err = "";
    p.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    p.stderr.on("data", (b: Buffer) => {
      err += b.toString();
    });
    p.on("close", (code) => resolve({ code: code ?? -1, out, err }));
    p.stdin.end(input ?? "");
  });
}

/** The docker CLI without blocking the event loop (this process serves HTTP meanwhile). */
export function dockerAsync(
  d: TestDaemon,
  args: string[],
  input?: string,
): Promise<{ code: number; out: string; err: string }> {
  return runAsync(DOCKER, args, { ...process.env, DOCKER_HOST: d.host, DOCKER_BUILDKIT: "0" }, input);
}
