/**
 * The environment of a process berth starts in a container (its init, an
 * exec, a health probe), by moby's rules (container/env.go
 * ReplaceOrAppendEnvValues, container.CreateDaemonEnvironment).
 */

/** Docker's default PATH (oci.DefaultPathEnv), for images that set none. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The key of a `KEY=value` entry (the whole entry when it has no `=`). */
function envKey(e: string): string {
  const i = e.indexOf("=");
  return i < 0 ? e : e.slice(0, i);
}

/**
 * Overlays `overrides` on `defaults` by key, as moby's ReplaceOrAppendEnvValues:
 * `K=v` replaces K in place or is appended; a bare `K` (a variable the client
 * named but had not set) removes K. The result holds only `K=v` entries, so
 * runc never sees an entry without `=` (which it refuses).
 */
export function replaceOrAppendEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const out = new Map<string, string>();
  for (const e of defaults) if (e.includes("=")) out.set(envKey(e), e);
  for (const e of overrides) {
    if (e.includes("=")) out.set(envKey(e), e);
    else out.delete(e);
  }
  return [...out.values()];
}

/**
 * The environment of a container process: PATH, HOSTNAME (and TERM=xterm on a TTY)
 * and the legacy links' variables (`linked`) as Docker's daemon environment,
 * the container's Env over it, then `extra`
 * (an exec's own Env) over that. HOME is left to the caller (runc's init sets
 * it from the user's passwd entry when absent; berth adds it explicitly).
 */
export function containerEnv(
  config: { Env?: string[] | null; Hostname?: string },
  opts: { hostname?: string; tty?: boolean; extra?: readonly string[]; linked?: readonly string[] } = {},
): string[] {
  const daemon = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${opts.hostname ?? config.Hostname ?? ""}`];
  if (opts.tty) daemon.push("TERM=xterm");
  daemon.push(...(opts.linked ?? []));
  return replaceOrAppendEnv(replaceOrAppendEnv(daemon, config.Env ?? []), opts.extra ?? []);
}
