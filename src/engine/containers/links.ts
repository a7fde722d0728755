/**
 * Legacy container links (`docker run --link name:alias`), as moby keeps
 * them: HostConfig.Links holds "/<target>:/<container>/<alias>"; at start
 * the linked container's address gets an /etc/hosts line (alias, hostname
 * and name) and its ports and environment become ALIAS_* variables
 * (moby daemon/links and buildSandboxOptions).
 */
import { readFile, writeFile } from "node:fs/promises";
import { conflict, invalid, notFound } from "../../util/errors.js";
import { containerPaths } from "./files.js";
import type { ContainerStore } from "./store.js";
import type { ContainerRecord } from "./types.js";

/** One link: the linked container's name and the alias this container knows it by. */
export interface Link {
  target: string;
  alias: string;
}

/** Reads "name:alias", "name" or the stored "/name:/self/alias" form. */
export function parseLink(link: string): Link {
  const i = link.indexOf(":");
  const target = (i < 0 ? link : link.slice(0, i)).replace(/^\//, "");
  const aliasPath = i < 0 ? target : link.slice(i + 1);
  const alias = aliasPath.slice(aliasPath.lastIndexOf("/") + 1);
  if (!target || !alias) throw invalid(`invalid link format: ${link}`);
  return { target, alias };
}

/**
 * The create-time form of HostConfig.Links: each target must exist (moby's
 * "could not get container for X"), stored as "/<target name>:/<name>/<alias>".
 */
export function normalizeLinks(
  links: string[] | null | undefined,
  store: ContainerStore,
  name: string,
): string[] | null {
  if (!links?.length) return links ?? null;
  return links.map((l) => {
    const { target, alias } = parseLink(l);
    const rec = store.tryResolve(target);
    if (!rec) throw notFound(`could not get container for ${target}`);
    return `/${rec.name}:/${name}/${alias}`;
  });
}

/**
 * What the links of `rec` add at start: ExtraHosts-style "names:ip" entries
 * and the ALIAS_* environment (moby links.Link.ToEnv). Only a container on
 * the default bridge gets them (moby's setupLinkedContainers and
 * buildSandboxOptions; on a user-defined network a link is a DNS alias, see
 * linkAliases). Throws Conflict when a linked container is not running, as
 * moby's "Cannot link to a non running container", and an error when it is
 * not on the default bridge ("container <ID> not attached to default bridge network").
 */
export function linkEnvironment(
  rec: ContainerRecord,
  store: ContainerStore,
): { hosts: string[]; env: string[] } {
  const hosts: string[] = [];
  const env: string[] = [];
  if (!onDefaultBridge(rec)) return { hosts, env };
  for (const l of rec.hostConfig.Links ?? []) {
    const { target, alias } = parseLink(l);
    const child = store.tryResolve(target);
    if (!child) continue; // removed since (an --rm one too): its link went with it, as in moby's linkIndex
    if (child.state.Status !== "running")
      throw conflict(`Cannot link to a non running container: /${target} AS /${rec.name}/${alias}`);
    const ip = child.networking.bridge?.IPAddress;
    // A plain error, as moby's fmt.Errorf (a 500).
    if (!ip) throw new Error(`container ${child.id} not attached to default bridge network`);
    const names = [alias, child.config.Hostname ?? child.id.slice(0, 12)];
    if (alias !== child.name) names.push(child.name);
    hosts.push(`${names.join(" ")}:${ip}`);
    env.push(...toEnv(alias, rec.name, ip, child));
  }
  return { hosts, env };
}

function onDefaultBridge(rec: ContainerRecord): boolean {
  const mode = rec.hostConfig.NetworkMode || "default";
  return mode === "default" || mode === "bridge" || "bridge" in rec.networking;
}

/**
 * The DNS aliases the links of a container on a user-defined network give it
 * (lower-case alias -> the linked container's name), as libnetwork's
 * CreateOptionAlias: only this container resolves them, on that network's
 * embedded DNS; the target need not be running.
 */
export function linkAliases(rec: ContainerRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of rec.hostConfig.Links ?? []) {
    const { target, alias } = parseLink(l);
    out[alias.toLowerCase()] = target;
  }
  return out;
}

function toEnv(alias: string, parent: string, ip: string, child: ContainerRecord): string[] {
  const prefix = alias.toUpperCase().replace(/-/g, "_");
  const env: string[] = [];
  const ports = Object.keys(child.config.ExposedPorts ?? {})
    .map((k) => {
      const [port = "", proto = "tcp"] = k.split("/");
      return { port: Number(port), proto };
    })
    .filter((p) => p.port > 0)
    .sort((a, b) => a.port - b.port || a.proto.localeCompare(b.proto));
  if (ports[0]) env.push(`${prefix}_PORT=${ports[0].proto}://${ip}:${ports[0].port}`);
  for (const { port, proto } of ports) {
    const p = `${prefix}_PORT_${port}_${proto.toUpperCase()}`;
    env.push(`${p}=${proto}://${ip}:${port}`, `${p}_ADDR=${ip}`, `${p}_PORT=${port}`, `${p}_PROTO=${proto}`);
  }
  env.push(`${prefix}_NAME=/${parent}/${alias}`);
  for (const e of child.config.Env ?? []) {
    const i = e.indexOf("=");
    if (i < 0) continue;
    const k = e.slice(0, i);
    if (k === "HOME" || k === "PATH") continue;
    env.push(`${prefix}_ENV_${k}=${e.slice(i + 1)}`);
  }
  return env;
}

/**
 * After `docker rename old new`: the links naming `old` (as target or as the
 * linking container) name `new`, as moby's linkIndex follows the container,
 * not its name. Returns the records changed (to be saved).
 */
export function renameInLinks(store: ContainerStore, oldName: string, newName: string): ContainerRecord[] {
  const changed: ContainerRecord[] = [];
  for (const rec of store.list()) {
    const links = rec.hostConfig.Links;
    if (!links?.length) continue;
    const next = links.map((l) => {
      const i = l.indexOf(":");
      if (i < 0) return l;
      const target = l.slice(0, i) === `/${oldName}` ? `/${newName}` : l.slice(0, i);
      const own = l.slice(i + 1);
      const self = own.startsWith(`/${oldName}/`) ? `/${newName}/${own.slice(oldName.length + 2)}` : own;
      return `${target}:${self}`;
    });
    if (next.some((l, k) => l !== links[k])) {
      rec.hostConfig.Links = next;
      changed.push(rec);
    }
  }
  return changed;
}

/**
 * After the removal of container `name`: the links to it are gone, as moby's
 * linkIndex.delete (a parent starts without them). Returns the records changed.
 */
export function dropLinksTo(store: ContainerStore, name: string): ContainerRecord[] {
  const changed: ContainerRecord[] = [];
  for (const rec of store.list()) {
    const links = rec.hostConfig.Links;
    if (!links?.length) continue;
    const next = links.filter((l) => !l.startsWith(`/${name}:`));
    if (next.length !== links.length) {
      rec.hostConfig.Links = next.length ? next : null;
      changed.push(rec);
    }
  }
  return changed;
}

/**
 * After `child` started (its default-bridge address may be new): the running
 * containers linking to it get their /etc/hosts line for it rewritten in
 * place (the file is bind-mounted: a rename would not reach them), as
 * Docker documents for legacy links. Best effort: a file that cannot be
 * read or written is left as it was.
 */
export async function refreshLinkers(store: ContainerStore, child: ContainerRecord): Promise<void> {
  const ip = child.networking.bridge?.IPAddress;
  if (!ip) return;
  for (const rec of store.list()) {
    if (rec.state.Status !== "running" || rec.id === child.id || !onDefaultBridge(rec)) continue;
    for (const l of rec.hostConfig.Links ?? []) {
      const { target, alias } = parseLink(l);
      if (target !== child.name) continue;
      const names = [alias, child.config.Hostname ?? child.id.slice(0, 12)];
      if (alias !== child.name) names.push(child.name);
      const file = containerPaths(store.containerDir(rec.id)).hosts;
      try {
        const lines = (await readFile(file, "utf8")).split("\n");
        const want = `${ip}\t${names.join(" ")}`;
        const next = lines.map((line) =>
          line.slice(line.indexOf("\t") + 1) === names.join(" ") ? want : line,
        );
        if (next.some((line, i) => line !== lines[i])) await writeFile(file, next.join("\n"));
      } catch {
        // the linker is going away or its files are: nothing to update
      }
    }
  }
}
