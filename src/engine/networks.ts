/**
 * NetworkService: Docker's view of networks over network/manager.ts (the
 * bridges) plus the built-in `host` and `none`, with the events each change
 * emits and the container side of connect/disconnect. Implements
 * api/backend.ts's NetworkBackend; knows nothing of HTTP.
 */
import type { NetworkDef, NetworkManager } from "../network/manager.js";
import { conflict, notFound } from "../util/errors.js";
import type { ContainerService } from "./containers/index.js";
import type { EventBus } from "./events.js";
import { checkFilterNames, type Filters, matchLabels, matchPattern, pruneFilter } from "./filters.js";

const BUILTIN: Record<string, string> = { host: "host", none: "null" };

/** The IDs Docker-like clients see for the built-in networks (stable, hex). */
/** The fixed ID berth gives the built-in host and none networks (64 hex digits from the name). */
export function pseudoId(name: string): string {
  return `${name.padEnd(8, "0")}`
    .repeat(8)
    .slice(0, 64)
    .replace(/[^a-f0-9]/g, "0");
}

/** definitions/Network as GET /networks answers it. */
export type NetworkView = ReturnType<NetworkService["view"]>;

/** What POST /networks/create asks for (after the API checked its types). */
export interface NetworkCreateOptions {
  Name: string;
  Driver?: string;
  Internal?: boolean;
  Labels?: Record<string, string>;
  Options?: Record<string, string>;
  Subnet?: string;
  Gateway?: string;
  IPRange?: string;
}

export class NetworkService {
  constructor(
    private readonly m: NetworkManager,
    private readonly containers: ContainerService,
    private readonly events: EventBus,
  ) {}

  private lookup(ref: string): NetworkDef | string {
    if (BUILTIN[ref] || pseudoId("host") === ref || pseudoId("none") === ref) {
      return ref in BUILTIN ? ref : pseudoId("host") === ref ? "host" : "none";
    }
    return this.m.get(ref);
  }

  /** One network as Docker shows it (built-ins by name). */
  view(n: NetworkDef | string) {
    if (typeof n === "string") {
      return {
        Name: n,
        Id: pseudoId(n),
        Created: new Date(0).toISOString(),
        Scope: "local",
        Driver: BUILTIN[n],
        EnableIPv6: false,
        IPAM: { Driver: "default", Options: null, Config: [] as object[] },
        Internal: false,
        Attachable: false,
        Ingress: false,
        ConfigFrom: { Network: "" },
        ConfigOnly: false,
        Containers: {} as Record<string, object>,
        Options: {} as Record<string, string>,
        Labels: {} as Record<string, string>,
      };
    }
    const ctrs: Record<string, object> = {};
    for (const [cid, eps] of this.m.endpoints) {
      for (const ep of eps) {
        if (ep.network !== n.Id) continue;
        ctrs[cid] = {
          Name: ep.name,
          EndpointID: ep.endpointId,
          MacAddress: ep.mac,
          IPv4Address: `${ep.ip}/${ep.prefixLen}`,
          IPv6Address: "",
        };
      }
    }
    return {
      Name: n.Name,
      Id: n.Id,
      Created: n.Created,
      Scope: "local",
      Driver: n.Driver,
      EnableIPv6: false,
      IPAM: {
        Driver: "default",
        Options: null,
        Config: [
          { Subnet: n.subnet, Gateway: n.gateway, ...(n.ipRange ? { IPRange: n.ipRange } : {}) },
        ] as object[],
      },
      Internal: n.Internal,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: "" },
      ConfigOnly: false,
      Containers: ctrs,
      Options: n.Name === "bridge" ? { "com.docker.network.bridge.name": n.bridge } : n.Options,
      Labels: n.Labels,
    };
  }

  /** GET /networks with Docker's filters (name, id, label, driver, type). Throws InvalidParameter on an unknown filter. */
  list(f: Filters): NetworkView[] {
    checkFilterNames(f, ["name", "id", "label", "driver", "type", "scope", "dangling"]);
    const all = [...this.m.list().map((n) => this.view(n)), this.view("host"), this.view("none")];
    return all.filter((n) => {
      const names = f.get("name");
      if (names && !names.some((x) => matchPattern(x, n.Name))) return false;
      const ids = f.get("id");
      if (ids && !ids.some((x) => n.Id.startsWith(x))) return false;
      const labels = f.get("label");
      if (labels && !matchLabels(n.Labels as Record<string, string>, labels)) return false;
      const drivers = f.get("driver");
      if (drivers && !drivers.includes(n.Driver ?? "")) return false;
      const type = f.get("type");
      if (type && !type.some((t) => (t === "builtin") === ["bridge", "host", "none"].includes(n.Name)))
        return false;
      // Every berth network is local-scoped.
      const scope = f.get("scope");
      if (scope && !scope.includes("local")) return false;
      // dangling: no container attached; the predefined networks never dangle (as moby).
      const dangling = f.get("dangling")?.[0];
      if (dangling !== undefined) {
        const unused =
          !["bridge", "host", "none"].includes(n.Name) && Object.keys(n.Containers ?? {}).length === 0;
        if (unused !== ["true", "1"].includes(dangling)) return false;
      }
      return true;
    });
  }

  /** GET /networks/{id}. Throws NotFound. */
  inspect(ref: string): NetworkView {
    return this.view(this.lookup(ref));
  }

  /** POST /networks/create: a bridge network; emits `create`. Throws NotFound (driver), Conflict, InvalidParameter. */
  async create(o: NetworkCreateOptions): Promise<{ Id: string; Warning: string }> {
    if (!o.Name) throw notFound("network name is required");
    if (o.Driver && o.Driver !== "bridge") throw notFound(`plugin "${o.Driver}" not found`);
    const n = await this.m.create({
      Name: o.Name,
      Subnet: o.Subnet,
      Gateway: o.Gateway,
      IPRange: o.IPRange,
      Internal: o.Internal,
      Labels: o.Labels,
      Options: o.Options,
    });
    this.events.emit("network", "create", n.Id, { name: n.Name, type: "bridge" });
    return { Id: n.Id, Warning: "" };
  }

  /** DELETE /networks/{id}; emits `destroy`. Throws NotFound, Conflict (built-in or in use). */
  async remove(ref: string): Promise<void> {
    const n = this.lookup(ref);
    if (typeof n === "string") throw conflict(`${n} is a pre-defined network and cannot be removed`);
    await this.m.remove(n.Id);
    this.events.emit("network", "destroy", n.Id, { name: n.Name, type: "bridge" });
  }

  /** POST /networks/{id}/connect; emits `connect`. */
  async connect(
    ref: string,
    container: string,
    cfg: { Aliases?: string[]; IPAMConfig?: { IPv4Address?: string } },
  ): Promise<void> {
    const n = this.m.get(ref);
    await this.containers.connectNetwork(container, n.Name, cfg);
    const id = this.containers.d.store.resolve(container).id;
    this.events.emit("network", "connect", n.Id, { name: n.Name, type: "bridge", container: id });
  }

  /** POST /networks/{id}/disconnect; emits `disconnect`. */
  async disconnect(ref: string, container: string): Promise<void> {
    const n = this.m.get(ref);
    await this.containers.disconnectNetwork(container, n.Name);
    const id = this.containers.d.store.resolve(container).id;
    this.events.emit("network", "disconnect", n.Id, { name: n.Name, type: "bridge", container: id });
  }

  /** POST /networks/prune: user networks no container uses or names, matching `until`/`label`/`label!`. */
  async prune(f: Filters): Promise<{ NetworksDeleted: string[] | null }> {
    const wanted = pruneFilter(f);
    const deleted: string[] = [];
    for (const n of [...this.m.list()]) {
      if (n.Name === "bridge") continue;
      if (!wanted({ labels: n.Labels, created: n.Created })) continue;
      if ([...this.m.endpoints.values()].some((eps) => eps.some((e) => e.network === n.Id))) continue;
      if (
        this.containers.d.store
          .list()
          .some((c) => c.hostConfig.NetworkMode === n.Name || n.Name in c.networking)
      )
        continue;
      await this.m.remove(n.Id);
      deleted.push(n.Name);
    }
    return { NetworksDeleted: deleted.length ? deleted : null };
  }
}
