/**
 * A container's effective config: the image's config overlaid with the
 * create request, by Docker's rules (Env merged by key, Labels merged,
 * an explicit Entrypoint drops the image's Cmd, ...).
 */
import { exposedPortKeys } from "../../image/changes.js";
import type { ContainerConfig, ImageConfig } from "../../image/types.js";
import { invalid } from "../../util/errors.js";
import type { CreateRequest } from "./types.js";

function mergeEnv(base: string[] | null | undefined, over: string[] | null | undefined): string[] {
  const out = [...(base ?? [])];
  for (const e of over ?? []) {
    const key = e.split("=")[0];
    const i = out.findIndex((x) => x.split("=")[0] === key);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

/** ExposedPorts with any "7000-7002/tcp" range key (an image from an older builder) split per port. */
function expandExposed(ports: Record<string, object>): Record<string, object> {
  const out: Record<string, object> = {};
  for (const k of Object.keys(ports)) {
    let keys = [k];
    try {
      if (k.includes("-")) keys = exposedPortKeys(k);
    } catch {
      // not a range we can read: kept as given
    }
    for (const key of keys) out[key] = {};
  }
  return out;
}

export function mergeConfig(image: ImageConfig, req: CreateRequest, id: string): ContainerConfig {
  const ic = image.config ?? {};
  const entrypointGiven = req.Entrypoint !== undefined && req.Entrypoint !== null;
  // `--entrypoint ""` arrives as [""] or []: it clears the image's entrypoint.
  const entrypoint = entrypointGiven
    ? (req.Entrypoint ?? []).filter((a) => a !== "")
    : (ic.Entrypoint ?? null);
  let cmd: string[] | null;
  if (req.Cmd && req.Cmd.length > 0) cmd = req.Cmd;
  else if (entrypointGiven) cmd = null;
  else cmd = ic.Cmd ?? null;

  const env = mergeEnv(ic.Env, req.Env);
  if (!env.some((e) => e.startsWith("PATH="))) {
    env.unshift("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  }
  return {
    Hostname: req.Hostname || id.slice(0, 12),
    Domainname: req.Domainname ?? "",
    User: req.User || ic.User || "",
    AttachStdin: req.AttachStdin ?? false,
    AttachStdout: req.AttachStdout ?? false,
    AttachStderr: req.AttachStderr ?? false,
    ExposedPorts: expandExposed({ ...(ic.ExposedPorts ?? {}), ...(req.ExposedPorts ?? {}) }),
    Tty: req.Tty ?? false,
    OpenStdin: req.OpenStdin ?? false,
    StdinOnce: req.StdinOnce ?? false,
    Env: env,
    Cmd: cmd,
    ...(req.Healthcheck || ic.Healthcheck
      ? { Healthcheck: mergeHealth(ic.Healthcheck, req.Healthcheck) }
      : {}),
    Image: req.Image,
    Volumes: { ...(ic.Volumes ?? {}), ...(req.Volumes ?? {}) },
    WorkingDir: req.WorkingDir || ic.WorkingDir || "",
    Entrypoint: entrypoint?.length ? entrypoint : null,
    OnBuild: null,
    Labels: { ...(ic.Labels ?? {}), ...(req.Labels ?? {}) },
    ...(req.StopSignal || ic.StopSignal ? { StopSignal: req.StopSignal || ic.StopSignal } : {}),
    ...(req.StopTimeout !== undefined && req.StopTimeout !== null ? { StopTimeout: req.StopTimeout } : {}),
  };
}

function mergeHealth(image: ContainerConfig["Healthcheck"], req: ContainerConfig["Healthcheck"]) {
  if (!req) return image;
  if (!image) return req;
  return {
    Test: req.Test?.length ? req.Test : image.Test,
    Interval: req.Interval || image.Interval,
    Timeout: req.Timeout || image.Timeout,
    StartPeriod: req.StartPeriod || image.StartPeriod,
    Retries: req.Retries || image.Retries,
  };
}

/** Entrypoint + Cmd -> path and args; Docker refuses an empty command. */
export function commandOf(cfg: ContainerConfig): { path: string; args: string[] } {
  const argv = [...(cfg.Entrypoint ?? []), ...(cfg.Cmd ?? [])];
  if (argv.length === 0) throw invalid("No command specified");
  return { path: argv[0]!, args: argv.slice(1) };
}

const SIGNALS: Record<string, number> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ILL: 4,
  TRAP: 5,
  ABRT: 6,
  IOT: 6,
  BUS: 7,
  FPE: 8,
  KILL: 9,
  USR1: 10,
  SEGV: 11,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
  STKFLT: 16,
  CHLD: 17,
  CONT: 18,
  STOP: 19,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
  URG: 23,
  XCPU: 24,
  XFSZ: 25,
  VTALRM: 26,
  PROF: 27,
  WINCH: 28,
  IO: 29,
  POLL: 29,
  PWR: 30,
  SYS: 31,
};

/** "SIGTERM", "TERM", "15" -> 15; throws InvalidParameter for unknown signals. */
export function parseSignal(sig: string | number | undefined, dflt = 15): number {
  if (sig === undefined || sig === "") return dflt;
  if (typeof sig === "number") return sig;
  if (/^\d+$/.test(sig)) {
    const n = Number(sig);
    if (n < 1 || n > 64) throw invalid(`Invalid signal: ${sig}`);
    return n;
  }
  const name = sig.toUpperCase().replace(/^SIG/, "");
  const rt = /^RTMIN(\+(\d+))?$/.exec(name);
  if (rt) return 34 + Number(rt[2] ?? 0);
  const n = SIGNALS[name];
  if (n === undefined) throw invalid(`Invalid signal: ${sig}`);
  return n;
}
