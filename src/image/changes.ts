/**
 * `--change` for import and commit: the Dockerfile instructions that only
 * touch image metadata (CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, LABEL,
 * VOLUME, STOPSIGNAL, ONBUILD), applied to a container config.
 */
import { invalid } from "../util/errors.js";
import type { ContainerConfig } from "./types.js";

/** Splits `a=b "c d"=e` style words honouring quotes and backslashes. */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | null = null;
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === "\\" && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw invalid(`unmatched quote in: ${s}`);
  if (inWord) out.push(cur);
  return out;
}

function parseCommand(rest: string): string[] {
  const t = rest.trim();
  if (t.startsWith("[")) {
    try {
      const v = JSON.parse(t);
      if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
    } catch {
      // not JSON: shell form, as Docker does
    }
  }
  return ["/bin/sh", "-c", t];
}

function parsePairs(rest: string, what: string): [string, string][] {
  const words = splitWords(rest);
  if (words.length === 0) throw invalid(`${what} requires at least one argument`);
  if (!words[0]!.includes("=")) {
    // Legacy form: KEY value with spaces
    const m = /^\s*(\S+)\s+(.*)$/.exec(rest);
    if (!m) throw invalid(`${what} requires two arguments`);
    return [[m[1]!, splitWords(m[2]!).join(" ")]];
  }
  return words.map((w) => {
    const i = w.indexOf("=");
    if (i <= 0) throw invalid(`${what} names can not be blank`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

export function applyChange(cfg: ContainerConfig, change: string): void {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(change);
  if (!m) throw invalid(`invalid change: ${change}`);
  const cmd = m[1]!.toUpperCase();
  const rest = m[2]!;
  switch (cmd) {
    case "CMD":
      cfg.Cmd = parseCommand(rest);
      break;
    case "ENTRYPOINT":
      cfg.Entrypoint = parseCommand(rest);
      break;
    case "ENV": {
      const env = [...(cfg.Env ?? [])];
      for (const [k, v] of parsePairs(rest, "ENV")) {
        const i = env.findIndex((e) => e.split("=")[0] === k);
        if (i >= 0) env[i] = `${k}=${v}`;
        else env.push(`${k}=${v}`);
      }
      cfg.Env = env;
      break;
    }
    case "LABEL":
      cfg.Labels = { ...(cfg.Labels ?? {}), ...Object.fromEntries(parsePairs(rest, "LABEL")) };
      break;
    case "WORKDIR":
      cfg.WorkingDir = rest.trim();
      break;
    case "USER":
      cfg.User = rest.trim();
      break;
    case "STOPSIGNAL":
      cfg.StopSignal = rest.trim();
      break;
    case "EXPOSE": {
      const ports = { ...(cfg.ExposedPorts ?? {}) };
      for (const p of splitWords(rest)) for (const k of exposedPortKeys(p)) ports[k] = {};
      cfg.ExposedPorts = ports;
      break;
    }
    case "VOLUME": {
      const t = rest.trim();
      const list = t.startsWith("[") ? (JSON.parse(t) as string[]) : splitWords(t);
      cfg.Volumes = { ...(cfg.Volumes ?? {}), ...Object.fromEntries(list.map((v) => [v, {}])) };
      break;
    }
    case "ONBUILD":
      cfg.OnBuild = [...(cfg.OnBuild ?? []), rest.trim()];
      break;
    default:
      throw invalid(`${cmd} is not a valid change command`);
  }
}

/**
 * The ExposedPorts keys of one EXPOSE word, as moby's nat.ParsePortSpecs
 * reads it: "80" -> 80/tcp, "53/UDP" -> 53/udp, "7000-7002" -> one key per
 * port. Throws InvalidParameter on a word that is not a port or range.
 */
export function exposedPortKeys(word: string): string[] {
  const [port = "", proto = "tcp"] = word.split("/");
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(port);
  const lo = Number(m?.[1]);
  const hi = m?.[2] === undefined ? lo : Number(m[2]);
  if (!m || lo > 65535 || hi > 65535 || hi < lo) throw invalid(`invalid containerPort: ${port}`);
  const keys: string[] = [];
  for (let p = lo; p <= hi; p++) keys.push(`${p}/${proto.toLowerCase()}`);
  return keys;
}
