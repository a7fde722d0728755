/**
 * The `Components` of GET /version, as dockerd reports them: the Engine, then
 * the OCI runtime, the container monitor (conmon, where dockerd names
 * containerd) and the init binary (docker-init), each with its version and
 * commit read from the binary's `--version` once per daemon.
 */
import { execFile } from "node:child_process";
import { basename } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** One entry of /version's Components. */
export interface Component {
  Name: string;
  Version: string;
  Details: Record<string, string>;
}

/** Runs `bin --version` (5 s at most) and picks "<name> version X" and "commit: Y"; undefined when it can't run. */
export async function probeVersion(name: string, bin: string): Promise<Component | undefined> {
  try {
    const { stdout, stderr } = await run(bin, ["--version"], { timeout: 5000 });
    const text = `${stdout}\n${stderr}`;
    const version = /\bversion:?\s+v?(\S+)/i.exec(text)?.[1];
    if (!version) return undefined;
    const commit = /^commit:\s*(\S+)/m.exec(text)?.[1] ?? "";
    return { Name: name, Version: version, Details: { ...(commit && { GitCommit: commit }), Path: bin } };
  } catch {
    return undefined;
  }
}

let cached: Promise<Component[]> | undefined;

/**
 * Versions of the runtime, conmon and the init binary (probed concurrently,
 * once; binaries that don't answer are left out).
 */
export function componentVersions(runtime: string, conmon: string, init: string): Promise<Component[]> {
  cached ??= Promise.all([
    probeVersion(basename(runtime), runtime),
    probeVersion("conmon", conmon),
    probeVersion("docker-init", init),
  ]).then((list) => list.filter((c): c is Component => c !== undefined));
  return cached;
}
