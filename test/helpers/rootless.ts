/**
 * Helpers of the rootless test: processes by uid and by parentage, waiting on
 * conditions and child exits, subordinate ranges, a host address slirp4netns reaches.
 */
import { type ChildProcess, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { networkInterfaces } from "node:os";

export function run(cmd: string, args: string[], opts: { input?: string } = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000, input: opts.input });
  return { code: r.status ?? -1, out: r.stdout ?? "", err: r.stderr ?? "" };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The child's exit code (or signal name), or "timeout" after `ms`; no timer is left behind. */
export function exitOf(child: ChildProcess, ms: number): Promise<number | string> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve(child.exitCode ?? String(child.signalCode));
  return new Promise((res) => {
    const t = setTimeout(() => res("timeout"), ms);
    child.once("exit", (code, signal) => {
      clearTimeout(t);
      res(code ?? String(signal));
    });
  });
}

/** Polls `check` until it returns a value (not undefined) or `ms` pass. */
export async function waitFor<T>(what: string, ms: number, check: () => T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** The user's subordinate uid range from /etc/subuid. */
export function subRange(file: string, user: string): { start: number; size: number } | undefined {
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const [who, start, size] = line.split(":");
    if (who === user && start && size) return { start: Number(start), size: Number(size) };
  }
  return undefined;
}

/** A host address other than loopback, reachable from slirp4netns (the one the default route uses). */
export function hostAddress(): string | undefined {
  const r = run("ip", ["-4", "route", "get", "1.1.1.1"]);
  const m = /\bsrc (\d+\.\d+\.\d+\.\d+)/.exec(r.out);
  if (m) return m[1];
  for (const [name, addrs] of Object.entries(networkInterfaces()))
    for (const a of addrs ?? [])
      if (a.family === "IPv4" && !a.internal && !/^(bt|berth|br-|veth)/.test(name)) return a.address;
  return undefined;
}

export function freePort(ip: string): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, ip, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

/** Pids of processes whose real uid is in [lo, hi). */
export function pidsOfUids(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, "utf8"));
      const uid = Number(m?.[1]);
      if (uid >= lo && uid < hi) out.push(Number(p));
    } catch {}
  }
  return out;
}

export function uidOf(pid: number): number | undefined {
  try {
    return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
  } catch {
    return undefined;
  }
}

/** `pid` and every process below it. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(p)]);
    } catch {}
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}
