/**
 * docker contexts, as the docker CLI stores them: the current context is
 * --context, else DOCKER_CONTEXT, else config.json's "currentContext" in the
 * config dir (DOCKER_CONFIG or ~/.docker); -H and DOCKER_HOST select the
 * "default" context (docker cli/command/cli.go resolveContextName). A named
 * context's endpoint is contexts/meta/<sha256 hex of the name>/meta.json
 * ({"Name", "Endpoints": {"docker": {"Host", "SkipTLSVerify"}}}) and its TLS
 * files contexts/tls/<sha256>/docker/{ca,cert,key}.pem.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { CliError } from "./client.js";

/** What a context resolves to; `host` undefined means "the default socket". */
export interface ResolvedContext {
  name: string;
  host?: string;
  /** Directory holding ca.pem/cert.pem/key.pem for this context's endpoint, if it has one. */
  tlsDir?: string;
  skipTLSVerify?: boolean;
}

/** Where docker keeps a context's metadata and TLS files: <config>/contexts/{meta,tls}/<sha256 of the name>. */
export function contextPaths(name: string, env = process.env): { meta: string; tls: string } {
  const id = createHash("sha256").update(name).digest("hex");
  return {
    meta: join(configDir(env), "contexts", "meta", id),
    tls: join(configDir(env), "contexts", "tls", id),
  };
}

/** The client config dir: DOCKER_CONFIG, else ~/.docker. */
export function configDir(env = process.env): string {
  return env.DOCKER_CONFIG || join(homedir(), ".docker");
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CliError(`failed to read ${path}: ${(e as Error).message}`);
  }
}

/** The context name docker would use (before loading it). */
export function contextName(opts: { host?: string; context?: string }, env = process.env): string {
  if (opts.context) return opts.context;
  if (opts.host || env.BERTH_HOST || env.DOCKER_HOST) return "default";
  if (env.DOCKER_CONTEXT) return env.DOCKER_CONTEXT;
  const cfg = readJson(join(configDir(env), "config.json"));
  const cur = cfg?.currentContext;
  return typeof cur === "string" && cur ? cur : "default";
}

/**
 * Loads the named context's docker endpoint. Throws CliError as docker does
 * for a context that does not exist.
 */
export function loadContext(name: string, env = process.env): ResolvedContext {
  if (name === "default") return { name };
  const id = createHash("sha256").update(name).digest("hex");
  const metaPath = join(configDir(env), "contexts", "meta", id, "meta.json");
  const meta = readJson(metaPath);
  if (!meta)
    throw new CliError(
      `Failed to initialize: unable to resolve docker endpoint: context "${name}": context not found: open ${metaPath}: no such file or directory`,
    );
  const ep = (meta.Endpoints as Record<string, { Host?: string; SkipTLSVerify?: boolean }> | undefined)
    ?.docker;
  const tlsDir = join(configDir(env), "contexts", "tls", id, "docker");
  return {
    name,
    host: ep?.Host || undefined,
    tlsDir: existsSync(tlsDir) ? tlsDir : undefined,
    skipTLSVerify: ep?.SkipTLSVerify,
  };
}

/** Names of the stored contexts and "default", sorted (for completion). */
export async function contextNames(env = process.env): Promise<string[]> {
  const dir = join(configDir(env), "contexts", "meta");
  const names = ["default"];
  for (const id of await readdir(dir).catch(() => [] as string[])) {
    try {
      names.push(JSON.parse(await readFile(join(dir, id, "meta.json"), "utf8")).Name);
    } catch {
      // not a context
    }
  }
  return names.sort();
}
