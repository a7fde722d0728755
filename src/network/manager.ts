/**
 * Networks for containers, with iproute2 and nftables (no CNI: fewer moving
 * parts, exact clean-up, and no plugin state to reconcile).
 *
 * A network is a Linux bridge with a subnet; a container joins it through
 * a veth pair whose inner end is moved into the container's network
 * namespace right after `runc create` (the namespace is the container's
 * own: it disappears, with the veth, when the container's last process
 * exits). Published ports and NAT are nftables rules in berth's own table.
 */
import { createHash, randomBytes } from "node:crypto";
import { access, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Type } from "@sinclair/typebox";
import { conflict, invalid, notFound } from "../util/errors.js";
import { readJson, writeJsonAtomic } from "../util/fs.js";
import { withHostLock } from "../util/lock.js";
import { matches, mismatch, StringMap } from "../util/schema.js";
import { setupBridge } from "./bridge.js";
import { NetworkDns } from "./dns.js";
import { ipInNetns, run } from "./exec.js";
import { Firewall } from "./firewall.js";
import { allocate, contains, intToIp, macFor, overlaps, parseCidr } from "./ipam.js";
import { bridgeOptions } from "./options.js";
import { findCollision, hostRoutes, IPAM_LOCK, pickSubnet } from "./subnets.js";

/** What a network record must hold before it is served (definitions/Network). */
const NetworkRecordSchema = Type.Object({
  Id: Type.String(),
  Name: Type.String(),
  Driver: Type.String(),
  Created: Type.String(),
  subnet: Type.String(),
  gateway: Type.String(),
  Internal: Type.Boolean(),
  Labels: StringMap,
  Options: StringMap,
});

export interface NetworkDef {
  Id: string;
  Name: string;
  Driver: string;
  Created: string;
  bridge: string;
  subnet: string;
  gateway: string;
  ipRange?: string;
  Internal: boolean;
  /** The subnet was picked from the pool (so it may move while nothing uses it). */
  autoSubnet?: boolean;
  Labels: Record<string, string>;
  Options: Record<string, string>;
}

export interface Endpoint {
  network: string;
  endpointId: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  ifname: string;
  aliases: string[];
  name: string;
  /** Legacy link aliases only this endpoint resolves: lower-case alias -> the linked container's name. */
  links?: Record<string, string>;
}

interface State {
  networks: NetworkDef[];
  /** network id -> ip -> container id */
  ipam: Record<string, Record<string, string>>;
}

export class NetworkManager {
  private state: State = { networks: [], ipam: {} };
  /** Records on disk that init() would not serve: kept as they are on save. */
  private unserved: unknown[] = [];
  private readonly path: string;
  private readonly fw: Firewall;
  private readonly dns = new Map<string, NetworkDns>();
  /** The tail of this daemon's queue of subnet claims (see claim()). */
  private claims: Promise<unknown> = Promise.resolve();
  /** Networks whose bridge and rules this daemon has set up. */
  private readonly ready = new Set<string>();
  /** container id -> endpoints (in memory; rebuilt from container records by the engine). */
  readonly endpoints = new Map<string, Endpoint[]>();

  constructor(
    root: string,
    private readonly prefix: string,
    private readonly defaultBridge: string,
    private readonly pool: string[],
    private readonly log?: { warn(o: object, msg: string): void; error(o: object, msg: string): void },
    /** The lock daemons sharing a network namespace take to pick subnets (rootless: its own). */
    private readonly ipamLock = IPAM_LOCK,
  ) {
    this.path = join(root, "network", "networks.json");
    this.fw = new Firewall(prefix);
  }

  /**
   * Loads the networks; one clients could not decode (a number for a name
   * breaks `docker network ls` and `system prune`) is reported and kept on
   * disk unserved.
   */
  async init(report: (msg: string) => void = () => {}): Promise<void> {
    this.state = (await readJson<State>(this.path)) ?? { networks: [], ipam: {} };
    const all: unknown[] = Array.isArray(this.state.networks) ? this.state.networks : [];
    this.state.networks = all.filter((n): n is NetworkDef => matches(NetworkRecordSchema, n));
    this.unserved = all.filter((n) => !matches(NetworkRecordSchema, n));
    for (const n of this.unserved) {
      const id = String((n as { Id?: unknown } | null)?.Id);
      report(
        `skipping network ${id}: its record does not fit what clients decode (${mismatch(NetworkRecordSchema, n)})`,
      );
    }
    await this.fw.init();
    if (!this.find("bridge")) {
      await this.create({ Name: "bridge", bridge: this.defaultBridge, builtin: true });
    }
    // Rechecked at each start: another daemon or interface may have taken a subnet meanwhile.
    for (const n of [...this.state.networks]) {
      await this.ensureBridge(n).catch(async (err) => {
        const inUse = Object.keys(this.state.ipam[n.Id] ?? {}).length > 0;
        if ((n.autoSubnet || n.Name === "bridge") && !inUse && !n.Options["com.docker.network.bridge.name"]) {
          this.log?.warn({ network: n.Name, err: String(err) }, "subnet taken on the host: picking another");
          await this.resubnet(n);
        } else this.log?.error({ network: n.Name, err: String(err) }, "network unusable");
      });
    }
  }

  /** Moves an unused, auto-picked network to a free subnet (claimed under the host lock). */
  private async resubnet(n: NetworkDef): Promise<void> {
    await this.claim(async () => {
      const used = this.state.networks.filter((x) => x.Id !== n.Id).map((x) => x.subnet);
      const routes = (await hostRoutes()).filter((r) => r.dev !== n.bridge).map((r) => r.dst);
      const subnet = pickSubnet(this.pool, [...used, ...routes]);
      n.subnet = subnet;
      n.gateway = intToIp(parseCidr(subnet).base + 1);
      n.autoSubnet = true;
      this.ready.delete(n.Id);
      await this.ensureBridge(n);
      await this.save();
    });
  }

  /**
   * Runs `fn` holding the host-wide IPAM lock. This daemon's own claims queue
   * here first (FIFO), so only one of them polls the lock at a time and none
   * starves behind the others.
   */
  private claim<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.claims.then(() => withHostLock(this.ipamLock, fn));
    this.claims = next.catch(() => {});
    return next;
  }

  private async save(): Promise<void> {
    await writeJsonAtomic(this.path, { ...this.state, networks: [...this.state.networks, ...this.unserved] });
  }

  find(ref: string): NetworkDef | undefined {
    return (
      this.state.networks.find((n) => n.Name === ref || n.Id === ref) ??
      (ref.length >= 3 ? this.state.networks.find((n) => n.Id.startsWith(ref)) : undefined)
    );
  }

  get(ref: string): NetworkDef {
    const n = this.find(ref);
    if (!n) throw notFound(`network ${ref} not found`);
    return n;
  }

  list(): NetworkDef[] {
    return this.state.networks;
  }

  async create(o: {
    Name: string;
    Subnet?: string;
    Gateway?: string;
    IPRange?: string;
    Internal?: boolean;
    Labels?: Record<string, string>;
    Options?: Record<string, string>;
    bridge?: string;
    builtin?: boolean;
  }): Promise<NetworkDef> {
    if (this.find(o.Name)?.Name === o.Name) throw conflict(`network with name ${o.Name} already exists`);
    if (!o.builtin && ["bridge", "host", "none"].includes(o.Name)) {
      throw forbidden(`${o.Name} is a pre-defined network and cannot be created`);
    }
    const opts = bridgeOptions(o.Options);
    const bridge = o.bridge ?? opts.name;
    if (bridge && this.state.networks.some((n) => n.bridge === bridge))
      throw conflict(`bridge name ${bridge} is already used by another network`);
    // Picking and claiming (the address on the bridge) happen under one host-wide lock.
    return this.claim(() => this.createLocked(o, bridge));
  }

  private async createLocked(
    o: Parameters<NetworkManager["create"]>[0],
    bridge: string | undefined,
    taken: string[] = [],
  ): Promise<NetworkDef> {
    if (this.find(o.Name)?.Name === o.Name) throw conflict(`network with name ${o.Name} already exists`);
    const used = [...this.state.networks.map((n) => n.subnet), ...taken];
    let subnet = o.Subnet;
    if (subnet) {
      parseCidr(subnet);
      if (used.some((u) => overlaps(u, subnet!)))
        throw forbidden(`Pool overlaps with other one on this address space`);
    } else {
      const routes = (await hostRoutes()).filter((r) => r.dev !== bridge).map((r) => r.dst);
      subnet = pickSubnet(this.pool, [...used, ...routes]);
    }
    const c = parseCidr(subnet);
    const gateway = o.Gateway ?? intToIp(c.base + 1);
    if (!contains(subnet, gateway)) throw invalid(`gateway ${gateway} is not in subnet ${subnet}`);
    const id = createHash("sha256")
      .update(`${o.Name}${randomBytes(16).toString("hex")}`)
      .digest("hex");
    const def: NetworkDef = {
      Id: id,
      Name: o.Name,
      Driver: "bridge",
      Created: new Date().toISOString(),
      bridge: bridge ?? `${this.prefix}${id.slice(0, 6)}`,
      subnet: `${intToIp(c.base)}/${c.prefix}`,
      gateway,
      ...(o.IPRange ? { ipRange: o.IPRange } : {}),
      Internal: o.Internal ?? false,
      ...(o.Subnet ? {} : { autoSubnet: true }),
      Labels: o.Labels ?? {},
      Options: o.Options ?? {},
    };
    // The subnet is claimed now (its address on the bridge), so other daemons see it.
    const existed = await run("ip", ["link", "show", def.bridge]).then(
      () => true,
      () => false,
    );
    try {
      await this.ensureBridge(def);
    } catch (err) {
      if (!existed) await this.teardownBridge(def);
      else await this.fw.removeNetwork(def.bridge);
      // Someone without our lock (an older daemon adding addresses lazily) took the subnet
      // between the pick and the claim: an auto-picked subnet tries the next one.
      if (!o.Subnet && taken.length < 8 && /overlaps/.test((err as Error).message))
        return this.createLocked(o, bridge, [...taken, def.subnet]);
      throw err;
    }
    this.state.networks.push(def);
    this.state.ipam[id] = {};
    await this.save();
    return def;
  }

  async remove(ref: string): Promise<void> {
    const n = this.get(ref);
    if (n.Name === "bridge") throw forbidden(`bridge is a pre-defined network and cannot be removed`);
    const users = [...this.endpoints].filter(([, eps]) => eps.some((e) => e.network === n.Id));
    if (users.length) {
      throw forbidden(`error while removing network: network ${n.Name} id ${n.Id} has active endpoints`);
    }
    await this.teardownBridge(n);
    this.state.networks = this.state.networks.filter((x) => x.Id !== n.Id);
    delete this.state.ipam[n.Id];
    await this.save();
  }

  private async ensureBridge(n: NetworkDef): Promise<void> {
    // Set up already and still there (sysfs, no `ip link show` process per container start).
    const present =
      this.ready.has(n.Id) &&
      (await access(`/sys/class/net/${n.bridge}/bridge`).then(
        () => true,
        () => false,
      ));
    const exists =
      present ||
      (await run("ip", ["link", "show", n.bridge]).then(
        () => true,
        () => false,
      ));
    if (!exists || !this.ready.has(n.Id)) {
      const hit = await findCollision(n.subnet, n.bridge);
      if (hit)
        throw conflict(
          `network ${n.Name}: its subnet ${n.subnet} overlaps ${hit.dst} on interface ${hit.dev} (another daemon's bridge or a host route); remove one of them or recreate the network with another --subnet`,
        );
      await setupBridge(n, exists, this.fw);
      this.ready.add(n.Id);
    }
    if (n.Name !== "bridge" && !this.dns.has(n.Id)) {
      const dns = new NetworkDns(n.gateway, (name, from) => this.resolve(n.Id, name, from));
      await dns.start().then(
        () => this.dns.set(n.Id, dns),
        () => {},
      );
    }
  }

  private async teardownBridge(n: NetworkDef): Promise<void> {
    this.dns.get(n.Id)?.stop();
    this.dns.delete(n.Id);
    await this.fw.removeNetwork(n.bridge);
    await run("ip", ["link", "del", n.bridge]).catch(() => {});
  }

  /**
   * The addresses a name resolves to on a network, as Docker's embedded DNS
   * (case-insensitive): a container's name, its 12-character short ID or one
   * of its aliases, each optionally followed by ".<network name>"; for the
   * container asking (`from`, its address), also the aliases of its legacy links.
   */
  private resolve(netId: string, name: string, from?: string): string[] {
    let q = name.toLowerCase();
    const netName = this.state.networks.find((n) => n.Id === netId)?.Name.toLowerCase();
    if (netName && q.endsWith(`.${netName}`)) q = q.slice(0, -netName.length - 1);
    const asker = from
      ? [...this.endpoints.values()].flat().find((e) => e.network === netId && e.ip === from)
      : undefined;
    const linked = asker?.links?.[q];
    if (linked !== undefined && linked.toLowerCase() !== q) return this.resolve(netId, linked);
    const out: string[] = [];
    for (const [cid, eps] of this.endpoints) {
      for (const e of eps) {
        if (e.network !== netId) continue;
        const names = [e.name, cid.slice(0, 12), ...e.aliases].map((x) => x.toLowerCase());
        if (names.includes(q)) out.push(e.ip);
      }
    }
    return out;
  }

  /** Reserves an address on a network for a container (before its namespace exists). */
  async reserve(
    cid: string,
    ref: string,
    o: { name: string; aliases?: string[]; ip?: string; mac?: string; links?: Record<string, string> },
  ): Promise<Endpoint> {
    const n = this.get(ref);
    const eps = this.endpoints.get(cid) ?? [];
    if (eps.some((e) => e.network === n.Id))
      throw forbidden(`endpoint with name ${o.name} already exists in network ${n.Name}`);
    this.state.ipam[n.Id] ??= {};
    const ipam = this.state.ipam[n.Id]!;
    if (o.ip && (!contains(n.subnet, o.ip) || (ipam[o.ip] && ipam[o.ip] !== cid))) {
      throw invalid(`Address already in use or not in the network's subnet: ${o.ip}`);
    }
    const ip = o.ip ?? allocate(n.subnet, new Set([n.gateway, ...Object.keys(ipam)]), n.ipRange);
    ipam[ip] = cid;
    await this.save();
    const ep: Endpoint = {
      network: n.Id,
      endpointId: createHash("sha256").update(`${cid}${n.Id}${ip}`).digest("hex"),
      ip,
      prefixLen: Number(n.subnet.split("/")[1]),
      gateway: n.gateway,
      mac: o.mac ?? macFor(ip),
      ifname: `eth${eps.length}`,
      aliases: o.aliases ?? [],
      links: o.links,
      name: o.name,
    };
    this.endpoints.set(cid, [...eps, ep]);
    return ep;
  }

  /** Plugs a reserved endpoint into the network namespace of `pid` (a veth pair on the bridge). */
  async wire(cid: string, pid: number, ep: Endpoint): Promise<void> {
    const n = this.get(ep.network);
    await this.ensureBridge(n);
    const host = `${this.prefix}${createHash("sha256")
      .update(cid + n.Id)
      .digest("hex")
      .slice(0, 6)}`;
    const opts = bridgeOptions(n.Options);
    const mtu = opts.mtu ? ` mtu ${opts.mtu}` : "";
    // The host side in one `ip -batch` (one process, not three); ip stops at the first error.
    const hostSide = [
      `link add ${host}${mtu} type veth peer name ${ep.ifname}${mtu} netns ${pid}`,
      `link set ${host} master ${n.bridge} up`,
      // enable_icc=false: isolated bridge ports reach the gateway, not each other.
      ...(opts.icc ? [] : [`link set ${host} type bridge_slave isolated on`]),
    ];
    const batch = () => run("ip", ["-batch", "-"], `${hostSide.join("\n")}\n`);
    await batch().catch(async () => {
      // A leftover of an earlier run of this container (a crash) holds the name: remove it, retry.
      await run("ip", ["link", "del", host]).catch(() => {});
      await batch();
    });
    const cmds = [
      "link set lo up",
      `link set ${ep.ifname} address ${ep.mac}`,
      `addr add ${ep.ip}/${ep.prefixLen} dev ${ep.ifname}`,
      `link set ${ep.ifname} up`,
    ];
    if (ep.ifname === "eth0" && !n.Internal) cmds.push(`route add default via ${n.gateway}`);
    await ipInNetns(pid, cmds);
  }

  /** Re-registers the endpoints of a container that kept running while berthd was down. */
  adopt(cid: string, eps: Endpoint[]): void {
    this.endpoints.set(cid, eps);
    for (const e of eps) {
      this.state.ipam[e.network] ??= {};
      const ipam = this.state.ipam[e.network]!;
      ipam[e.ip] = cid;
      const n = this.find(e.network);
      if (n) void this.ensureBridge(n).catch(() => {});
    }
  }

  async disconnect(cid: string, pid: number | undefined, ref: string): Promise<void> {
    const n = this.get(ref);
    const eps = this.endpoints.get(cid) ?? [];
    const ep = eps.find((e) => e.network === n.Id);
    if (!ep) throw forbidden(`container ${cid} is not connected to network ${n.Name}`);
    if (pid) await ipInNetns(pid, [`link del ${ep.ifname}`]).catch(() => {});
    this.release(cid, ep);
    this.endpoints.set(
      cid,
      eps.filter((e) => e !== ep),
    );
    await this.save();
  }

  private release(cid: string, ep: Endpoint): void {
    const ipam = this.state.ipam[ep.network];
    if (ipam && ipam[ep.ip] === cid) delete ipam[ep.ip];
  }

  /** A container is gone (or stopped): its addresses, port rules and endpoints go too. */
  async detachAll(cid: string): Promise<void> {
    const eps = this.endpoints.get(cid) ?? [];
    for (const ep of eps) this.release(cid, ep);
    this.endpoints.delete(cid);
    let held = false;
    for (const ipam of Object.values(this.state.ipam))
      for (const [ip, owner] of Object.entries(ipam))
        if (owner === cid) {
          delete ipam[ip];
          held = true;
        }
    await this.fw.unpublish(cid);
    // Nothing released, nothing to write (--network none, a second teardown): no fsync.
    if (eps.length || held) await this.save();
  }

  /**
   * Port rules for a container. A port reachable on the host's loopback
   * (published on 0.0.0.0 or 127.0.0.0/8) needs route_localnet on the
   * container's bridge (the host's connection leaves with a 127.x source);
   * only such bridges get it, and the firewall's input rule keeps containers
   * from using it to reach the host's loopback.
   */
  async publish(cid: string, rules: Parameters<Firewall["publish"]>[1]): Promise<void> {
    const loopback = rules.some(
      (r) => r.hostIp === "0.0.0.0" || r.hostIp === "" || r.hostIp.startsWith("127."),
    );
    if (loopback) {
      for (const ep of this.endpoints.get(cid) ?? []) {
        if (!rules.some((r) => r.ip === ep.ip)) continue;
        const n = this.get(ep.network);
        await writeFile(`/proc/sys/net/ipv4/conf/${n.bridge}/route_localnet`, "1");
      }
    }
    await this.fw.publish(cid, rules);
  }

  /** The default host address of a network's published ports (host_binding_ipv4). */
  defaultHostIp(netId: string): string {
    return bridgeOptions(this.find(netId)?.Options).hostIp ?? "0.0.0.0";
  }

  /** After a crash: rules and addresses of containers that no longer run. */
  async reconcile(running: Set<string>): Promise<void> {
    for (const cid of await this.fw.containersWithRules())
      if (!running.has(cid)) await this.fw.unpublish(cid);
    for (const ipam of Object.values(this.state.ipam)) {
      for (const [ip, cid] of Object.entries(ipam)) if (!running.has(cid)) delete ipam[ip];
    }
    await this.save();
  }

  /**
   * At shutdown: DNS servers stop; bridges and rules stay only for networks
   * that running containers still use (they keep working without berthd).
   */
  async shutdown(running: Set<string>): Promise<void> {
    for (const d of this.dns.values()) d.stop();
    this.dns.clear();
    const inUse = new Set<string>();
    for (const [cid, eps] of this.endpoints) if (running.has(cid)) for (const e of eps) inUse.add(e.network);
    for (const n of this.state.networks) {
      if (inUse.has(n.Id)) continue;
      await this.fw.removeNetwork(n.bridge);
      await run("ip", ["link", "del", n.bridge]).catch(() => {});
    }
    if (inUse.size === 0) await this.fw.destroy();
  }

  /** Removes berth's host state when nothing runs (tests, uninstall). */
  async destroyHostState(): Promise<void> {
    for (const n of this.state.networks) await run("ip", ["link", "del", n.bridge]).catch(() => {});
    await this.fw.destroy();
  }
}

function forbidden(msg: string) {
  return conflict(msg);
}
