/** The files berth generates for a container: /etc/hostname, /etc/hosts, /etc/resolv.conf. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileReplace } from "../../util/fs.js";
import type { ContainerRecord } from "./types.js";

export interface ContainerPaths {
  dir: string;
  hostname: string;
  hosts: string;
  resolvConf: string;
  log: string;
}

export function containerPaths(dir: string): ContainerPaths {
  return {
    dir,
    hostname: join(dir, "hostname"),
    hosts: join(dir, "hosts"),
    resolvConf: join(dir, "resolv.conf"),
    log: join(dir, "container.log"),
  };
}

/**
 * The names /etc/hosts gives the container's own address, as libnetwork's
 * updateHostsFile: the FQDN (hostname + "." + domainname) first, then the
 * bare hostname when the FQDN has a dot, so `hostname -f` gives the FQDN.
 */
export function selfHostNames(hostname: string, domainname?: string): string[] {
  const fqdn = domainname ? `${hostname}.${domainname}` : hostname;
  const dot = fqdn.indexOf(".");
  return dot > 0 ? [fqdn, fqdn.slice(0, dot)] : [fqdn];
}

/**
 * /etc/hosts: the loopback and IPv6 entries Docker writes, one line per
 * extra host ("name:ip", as HostConfig.ExtraHosts), then the container's own
 * addresses with their names.
 */
export function hostsFile(
  rec: ContainerRecord,
  own: { ip?: string; names: string[] }[],
  extraHosts: string[] = [],
): string {
  const lines = [
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "ff00::0\tip6-mcastprefix",
    "ff02::1\tip6-allnodes",
    "ff02::2\tip6-allrouters",
  ];
  for (const h of extraHosts) {
    // "name:ip": a name has no colon, an IPv6 address has several (and may be bracketed).
    const i = h.indexOf(":");
    if (i > 0) lines.push(`${h.slice(i + 1).replace(/^\[(.*)\]$/, "$1")}\t${h.slice(0, i)}`);
  }
  for (const o of own) if (o.ip) lines.push(`${o.ip}\t${o.names.join(" ")}`);
  void rec;
  return `${lines.join("\n")}\n`;
}

/** The host's resolv.conf without loopback nameservers (they mean nothing inside a netns). */
export async function hostResolvConf(opts: {
  dns?: string[];
  search?: string[];
  options?: string[];
}): Promise<string> {
  let host = "";
  try {
    host = await readFile("/etc/resolv.conf", "utf8");
  } catch {
    // no resolv.conf on the host: fall through to defaults
  }
  const ns = opts.dns?.length
    ? opts.dns
    : host
        .split("\n")
        .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
        .filter((x): x is string => !!x && !x.startsWith("127.") && x !== "::1");
  const search = opts.search?.length
    ? opts.search
    : (host
        .split("\n")
        .map((l) => /^\s*search\s+(.*)$/.exec(l)?.[1])
        .find(Boolean)
        ?.split(/\s+/) ?? []);
  const options = opts.options?.length
    ? opts.options
    : (host
        .split("\n")
        .map((l) => /^\s*options\s+(.*)$/.exec(l)?.[1])
        .find(Boolean)
        ?.split(/\s+/) ?? []);
  const out: string[] = [];
  for (const n of ns.length ? ns : ["8.8.8.8", "8.8.4.4"]) out.push(`nameserver ${n}`);
  if (search.length) out.push(`search ${search.join(" ")}`);
  if (options.length) out.push(`options ${options.join(" ")}`);
  return `${out.join("\n")}\n`;
}

export async function writeContainerFiles(
  p: ContainerPaths,
  files: { hostname: string; hosts: string; resolvConf: string },
): Promise<void> {
  // Rebuilt on every start: replaced atomically, no fsync (a power loss also stops the container).
  await Promise.all([
    writeFileReplace(p.hostname, `${files.hostname}\n`),
    writeFileReplace(p.hosts, files.hosts),
    writeFileReplace(p.resolvConf, files.resolvConf),
  ]);
}
