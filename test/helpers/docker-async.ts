/** The docker CLI run asynchronously, for tests whose own process serves HTTP meanwhile. */
import { spawn } from "node:child_process";
import { DOCKER, type TestDaemon } from "./daemon.js";

/** The docker CLI without blocking the event loop (this process serves HTTP meanwhile). */
export function dockerAsync(
  d: TestDaemon,
  args: string[],
  input?: string,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(DOCKER, args, { env: { ...process.env, DOCKER_HOST: d.host, DOCKER_BUILDKIT: "0" } });
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
