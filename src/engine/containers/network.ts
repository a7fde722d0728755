/**
 * Containers on networks: none, host, container:<id>, the default bridge
 * and user-defined bridges (network/manager.ts). Addresses are reserved
 * before `runc create` (so /etc/hosts can name them) and wired into the
 * container's namespace right after it, before `runc start`.
 */
import { createServer } from "node:net";
import type { Endpoint, NetworkManager } from "../../network/manager.js";
import type { HostPortSpec, RootlessPorts } from "../../network/rootlessports.js";
import { conflict, invalid } from "../../util/errors.js";
import { pseudoId } from "../networks.js";
import { linkAliases } from "./links.js";
import type { NetworkPort, NetworkSetup } from "./prepare.js";
import type { ContainerStore } from "./store.js";
import type { ContainerRecord, EndpointSettings, PortBinding } from "./types.js";

/** A TCP/UDP port on the host that nothing (berth included) uses. */
function probePort(ip: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(port, ip === "0.0.0.0" || ip === "" ? undefined : ip, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export function networkNames(rec: ContainerRecord): string[] {
  const mode = rec.hostConfig.NetworkMode || "default";
  if (mode === "none" || mode === "host" || mode.startsWith("container:")) return [];
  const names = Object.keys(rec.networking);
  const primary = mode === "default" ? "bridge" : mode;
  return [primary, ...names.filter((n) => n !== primary)];
}

export class BridgeNetworks implements NetworkPort {
  private readonly usedPorts = new Map<string, string>();

  /**
   * `hostPorts`: rootless, the ports are opened on the host by rootlesskit, which
   * connects to 127.0.0.1:<host port> in berthd's namespace, DNATed from there.
   */
  constructor(
    readonly manager: NetworkManager,
    private readonly store: ContainerStore,
    private readonly hostPorts?: RootlessPorts,
    /** Told of each endpoint a start joins and a stop leaves (Docker's network connect/disconnect events). */
    private readonly onEndpoint?: (
      action: "connect" | "disconnect",
      ep: Endpoint,
      rec: ContainerRecord,
    ) => void,
  ) {}

  async setup(rec: ContainerRecord): Promise<NetworkSetup> {
    const h = rec.hostConfig;
    const mode = h.NetworkMode || "default";
    if (mode === "host") return { netns: { mode: "host" }, hostsEntries: [] };
    if (mode === "none") return { netns: { mode: "private" }, hostsEntries: [] };
    if (mode.startsWith("container:")) {
      const other = this.store.resolve(mode.slice("container:".length));
      if (other.state.Status !== "running")
        throw conflict(`cannot join network of a non running container: ${other.id}`);
      return { netns: { mode: "path", path: `/proc/${other.state.Pid}/ns/net` }, hostsEntries: [] };
    }
    const entries: NetworkSetup["hostsEntries"] = [];
    const hostGateway = this.manager.find("bridge")?.gateway;
    for (const name of networkNames(rec)) {
      const want = rec.networking[name] ?? {};
      const ep = await this.manager.reserve(rec.id, name, {
        name: rec.name,
        aliases: [...(want.Aliases ?? [])],
        ip: want.IPAMConfig?.IPv4Address || undefined,
        mac: want.MacAddress || undefined,
        links: name === "bridge" ? undefined : linkAliases(rec),
      });
      entries.push({ ip: ep.ip, names: [] });
    }
    const isUser = mode !== "default" && mode !== "bridge";
    const net = this.manager.get(mode === "default" ? "bridge" : mode);
    return {
      netns: { mode: "private" },
      hostsEntries: entries,
      hostGateway,
      // User networks resolve names through the embedded DNS server on their gateway.
      resolvConf: isUser ? `nameserver ${net.gateway}\noptions ndots:0\n` : undefined,
    };
  }

  async created(rec: ContainerRecord, pid: number): Promise<void> {
    const eps = this.manager.endpoints.get(rec.id) ?? [];
    for (const ep of eps) {
      await this.manager.wire(rec.id, pid, ep);
      this.onEndpoint?.("connect", ep, rec);
    }
    rec.networking = Object.fromEntries(
      eps.map((ep) => {
        const name = this.manager.get(ep.network).Name;
        return [name, withShortIdAlias(rec, name, settingsOf(ep, rec.networking[name]))];
      }),
    );
    await this.publish(rec, eps[0]);
  }

  private async publish(rec: ContainerRecord, ep: Endpoint | undefined): Promise<void> {
    const h = rec.hostConfig;
    const wanted: Record<string, PortBinding[]> = {};
    for (const [k, v] of Object.entries(h.PortBindings ?? {})) wanted[k] = v?.length ? v : [{}];
    if (h.PublishAllPorts) for (const k of Object.keys(rec.config.ExposedPorts ?? {})) wanted[k] ??= [{}];
    const ports: Record<string, PortBinding[] | null> = {};
    for (const k of Object.keys(rec.config.ExposedPorts ?? {})) ports[k] = null;
    const rules: Parameters<NetworkManager["publish"]>[1] = [];
    const forwarded: HostPortSpec[] = [];
    for (const [key, bindings] of Object.entries(wanted)) {
      const [portStr, proto = "tcp"] = key.split("/");
      if (proto !== "tcp" && proto !== "udp") throw invalid(`unsupported protocol ${proto}`);
      const out: PortBinding[] = [];
      for (const b of bindings) {
        const hostIp = b.HostIp || (ep ? this.manager.defaultHostIp(ep.network) : "0.0.0.0");
        // Rootless: the host's addresses are not in this namespace; its loopback stands for them.
        const nsIp = this.hostPorts ? "127.0.0.1" : hostIp;
        const hostPort = await this.pickHostPort(rec, proto, hostIp, nsIp, b.HostPort ?? "");
        this.usedPorts.set(`${proto}:${hostPort}`, rec.id);
        out.push({ HostIp: hostIp, HostPort: String(hostPort) });
        if (ep) rules.push({ hostIp: nsIp, hostPort, ip: ep.ip, port: Number(portStr), proto });
        if (ep && this.hostPorts) forwarded.push({ proto, hostIp, hostPort });
      }
      ports[key] = out;
    }
    await this.manager.publish(rec.id, rules);
    if (this.hostPorts && forwarded.length) await this.hostPorts.add(rec.id, forwarded);
    rec.ports = ports;
  }

  /**
   * The host port of one binding: the one asked for, the first free one of a
   * range ("8000-8010", as `-p 8000-8010:80`), or an ephemeral one when none
   * is given. Throws Conflict with Docker's words when it is taken.
   */
  private async pickHostPort(
    rec: ContainerRecord,
    proto: string,
    hostIp: string,
    nsIp: string,
    spec: string,
  ): Promise<number> {
    const taken = (p: number) => {
      const by = this.usedPorts.get(`${proto}:${p}`);
      return by !== undefined && by !== rec.id;
    };
    const fail = (port: string, how: string) =>
      conflict(
        `driver failed programming external connectivity on endpoint ${rec.name}: ${how.replace("%", port)}`,
      );
    const [lo = 0, hi = lo] = spec ? spec.split("-").map(Number) : [];
    if (!lo) {
      try {
        let p = await probePort(nsIp, 0);
        while (taken(p)) p = await probePort(nsIp, 0);
        return p;
      } catch {
        throw fail(
          "0",
          `Error starting userland proxy: listen ${proto} ${hostIp}:%: bind: address already in use`,
        );
      }
    }
    let busy = false;
    for (let p = lo; p <= hi; p++) {
      if (taken(p)) continue;
      try {
        return await probePort(nsIp, p);
      } catch {
        busy = true; // something else on the host listens there
      }
    }
    // A range with no port left is libnetwork's portallocator ErrAllPortsAllocated.
    if (lo !== hi) throw fail("", "all ports are allocated");
    throw busy
      ? fail(
          String(lo),
          `Error starting userland proxy: listen ${proto} ${hostIp}:%: bind: address already in use`,
        )
      : fail(String(lo), `Bind for ${hostIp}:% failed: port is already allocated`);
  }

  async teardown(rec: ContainerRecord): Promise<void> {
    await this.hostPorts?.remove(rec.id);
    const eps = [...(this.manager.endpoints.get(rec.id) ?? [])];
    await this.manager.detachAll(rec.id);
    for (const ep of eps) this.onEndpoint?.("disconnect", ep, rec);
    for (const [k, v] of this.usedPorts) if (v === rec.id) this.usedPorts.delete(k);
    for (const s of Object.values(rec.networking)) {
      s.IPAddress = "";
      s.Gateway = "";
      s.MacAddress = "";
      s.IPPrefixLen = 0;
      s.EndpointID = "";
    }
    rec.ports = {};
  }

  /** After a daemon restart: running containers keep their endpoints and ports. */
  adopt(rec: ContainerRecord): void {
    const eps: Endpoint[] = [];
    for (const [name, s] of Object.entries(rec.networking)) {
      const n = this.manager.find(name);
      if (!n || !s.IPAddress) continue;
      eps.push({
        network: n.Id,
        endpointId: s.EndpointID ?? "",
        ip: s.IPAddress,
        prefixLen: s.IPPrefixLen ?? 24,
        gateway: s.Gateway ?? "",
        mac: s.MacAddress ?? "",
        ifname: `eth${eps.length}`,
        aliases: s.Aliases ?? [],
        name: rec.name,
        links: name === "bridge" ? undefined : linkAliases(rec),
      });
    }
    this.manager.adopt(rec.id, eps);
    for (const [key, bs] of Object.entries(rec.ports)) {
      const proto = key.split("/")[1] ?? "tcp";
      for (const b of bs ?? []) this.usedPorts.set(`${proto}:${b.HostPort}`, rec.id);
    }
  }

  settings(rec: ContainerRecord): Record<string, unknown> {
    const mode = rec.hostConfig.NetworkMode || "default";
    const networks: Record<string, EndpointSettings> = {};
    if (mode === "host" || mode === "none")
      networks[mode] = settingsOf(undefined, {}, this.manager.find(mode)?.Id ?? pseudoId(mode));
    for (const name of networkNames(rec))
      networks[name] = { ...settingsOf(undefined, {}), ...(rec.networking[name] ?? {}) };
    const primary = networks[mode === "default" ? "bridge" : mode];
    return {
      Bridge: "",
      SandboxID: rec.state.Pid ? rec.id : "",
      HairpinMode: false,
      LinkLocalIPv6Address: "",
      LinkLocalIPv6PrefixLen: 0,
      Ports: rec.ports,
      SandboxKey: rec.state.Pid ? `/proc/${rec.state.Pid}/ns/net` : "",
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: mode === "default" || mode === "bridge" ? (primary?.EndpointID ?? "") : "",
      Gateway: mode === "default" || mode === "bridge" ? (primary?.Gateway ?? "") : "",
      GlobalIPv6Address: "",
      GlobalIPv6PrefixLen: 0,
      IPAddress: mode === "default" || mode === "bridge" ? (primary?.IPAddress ?? "") : "",
      IPPrefixLen: mode === "default" || mode === "bridge" ? (primary?.IPPrefixLen ?? 0) : 0,
      IPv6Gateway: "",
      MacAddress: mode === "default" || mode === "bridge" ? (primary?.MacAddress ?? "") : "",
      Networks: networks,
    };
  }
}

/**
 * API v1.41's Aliases on a user-defined network end with the container's
 * short ID (moby adds it when the endpoint joins; compose 1.x looks for it).
 */
export function withShortIdAlias(
  rec: ContainerRecord,
  network: string,
  s: EndpointSettings,
): EndpointSettings {
  if (network === "bridge" || network === "host" || network === "none") return s;
  const short = rec.id.slice(0, 12);
  const aliases = (s.Aliases ?? []).filter((a) => a !== short);
  return { ...s, Aliases: [...aliases, short] };
}

function settingsOf(ep: Endpoint | undefined, want: EndpointSettings = {}, networkId = ""): EndpointSettings {
  return {
    IPAMConfig: want.IPAMConfig ?? null,
    Links: null,
    Aliases: want.Aliases ?? null,
    NetworkID: ep?.network ?? networkId,
    EndpointID: ep?.endpointId ?? "",
    Gateway: ep?.gateway ?? "",
    IPAddress: ep?.ip ?? "",
    IPPrefixLen: ep?.prefixLen ?? 0,
    IPv6Gateway: "",
    GlobalIPv6Address: "",
    GlobalIPv6PrefixLen: 0,
    MacAddress: ep?.mac ?? "",
    DriverOpts: null,
  };
}
