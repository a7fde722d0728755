/** /networks routes: bridge networks (network/manager.ts) plus Docker's built-in host and none. */

import type { ContainerService } from "../engine/containers/index.js";
import type { BridgeNetworks } from "../engine/containers/network.js";
import type { EventBus } from "../engine/events.js";
import { checkFilterNames, matchLabels, parseFilters } from "../engine/filters.js";
import type { NetworkDef } from "../network/manager.js";
import { conflict, notFound } from "../util/errors.js";
import { checkedBody, type Router, sendJson, sendStatus } from "./router.js";
import { NetworkConnectSchema, NetworkCreateSchema, NetworkDisconnectSchema } from "./schema/resources.js";

const BUILTIN: Record<string, string> = { host: "host", none: "null" };

export function networkRoutes(
  r: Router,
  port: BridgeNetworks,
  containers: ContainerService,
  events: EventBus,
): void {
  const m = port.manager;
  const pseudoId = (name: string) =>
    `${name.padEnd(8, "0")}`
      .repeat(8)
      .slice(0, 64)
      .replace(/[^a-f0-9]/g, "0");
  const view = (n: NetworkDef | string) => {
    if (typeof n === "string") {
      return {
        Name: n,
        Id: pseudoId(n),
        Created: new Date(0).toISOString(),
        Scope: "local",
        Driver: BUILTIN[n],
        EnableIPv6: false,
        IPAM: { Driver: "default", Options: null, Config: [] },
        Internal: false,
        Attachable: false,
        Ingress: false,
        ConfigFrom: { Network: "" },
        ConfigOnly: false,
        Containers: {},
        Options: {},
        Labels: {},
      };
    }
    const ctrs: Record<string, object> = {};
    for (const [cid, eps] of m.endpoints) {
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
        Config: [{ Subnet: n.subnet, Gateway: n.gateway, ...(n.ipRange ? { IPRange: n.ipRange } : {}) }],
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
  };
  const lookup = (ref: string) => {
    if (BUILTIN[ref] || pseudoId("host") === ref || pseudoId("none") === ref) {
      return ref in BUILTIN ? ref : pseudoId("host") === ref ? "host" : "none";
    }
    return m.get(ref);
  };

  r.get("/networks", (ctx) => {
    const f = parseFilters(ctx.query.get("filters"));
    checkFilterNames(f, ["name", "id", "label", "driver", "type", "scope", "dangling"]);
    const all = [...m.list().map(view), view("host"), view("none")];
    sendJson(
      ctx,
      200,
      all.filter((n) => {
        const names = f.get("name");
        if (names && !names.some((x) => n.Name.includes(x))) return false;
        const ids = f.get("id");
        if (ids && !ids.some((x) => n.Id.startsWith(x))) return false;
        const labels = f.get("label");
        if (labels && !matchLabels(n.Labels as Record<string, string>, labels)) return false;
        const drivers = f.get("driver");
        if (drivers && !drivers.includes(n.Driver ?? "")) return false;
        const type = f.get("type");
        if (type && !type.some((t) => (t === "builtin") === ["bridge", "host", "none"].includes(n.Name)))
          return false;
        return true;
      }),
    );
  });

  r.get("/networks/{id}", (ctx) => sendJson(ctx, 200, view(lookup(ctx.params.id!))));

  r.post("/networks/create", async (ctx) => {
    const b = await checkedBody(ctx, NetworkCreateSchema, "network config");
    if (!b.Name) throw notFound("network name is required");
    if (b.Driver && b.Driver !== "bridge") throw notFound(`plugin "${b.Driver}" not found`);
    const cfg = b.IPAM?.Config?.[0] ?? {};
    const n = await m.create({
      Name: b.Name,
      Subnet: cfg.Subnet,
      Gateway: cfg.Gateway,
      IPRange: cfg.IPRange,
      Internal: b.Internal,
      Labels: b.Labels ?? undefined,
      Options: b.Options ?? undefined,
    });
    events.emit("network", "create", n.Id, { name: n.Name, type: "bridge" });
    sendJson(ctx, 201, { Id: n.Id, Warning: "" });
  });

  r.delete("/networks/{id}", async (ctx) => {
    const n = lookup(ctx.params.id!);
    if (typeof n === "string") throw conflict(`${n} is a pre-defined network and cannot be removed`);
    await m.remove(n.Id);
    events.emit("network", "destroy", n.Id, { name: n.Name, type: "bridge" });
    sendStatus(ctx, 204);
  });

  r.post("/networks/{id}/connect", async (ctx) => {
    const b = await checkedBody(ctx, NetworkConnectSchema, "network connect config");
    const n = m.get(ctx.params.id!);
    await containers.connectNetwork(b.Container, n.Name, {
      Aliases: b.EndpointConfig?.Aliases ?? undefined,
      IPAMConfig: b.EndpointConfig?.IPAMConfig
        ? { IPv4Address: b.EndpointConfig.IPAMConfig.IPv4Address }
        : undefined,
    });
    events.emit("network", "connect", n.Id, { name: n.Name, type: "bridge", container: b.Container });
    sendStatus(ctx, 200);
  });

  r.post("/networks/{id}/disconnect", async (ctx) => {
    const b = await checkedBody(ctx, NetworkDisconnectSchema, "network disconnect config");
    const n = m.get(ctx.params.id!);
    await containers.disconnectNetwork(b.Container, n.Name);
    events.emit("network", "disconnect", n.Id, { name: n.Name, type: "bridge", container: b.Container });
    sendStatus(ctx, 200);
  });

  r.post("/networks/prune", async (ctx) => {
    const deleted: string[] = [];
    for (const n of [...m.list()]) {
      if (n.Name === "bridge") continue;
      if ([...m.endpoints.values()].some((eps) => eps.some((e) => e.network === n.Id))) continue;
      if (
        containers.d.store.list().some((c) => c.hostConfig.NetworkMode === n.Name || n.Name in c.networking)
      )
        continue;
      await m.remove(n.Id);
      deleted.push(n.Name);
    }
    sendJson(ctx, 200, { NetworksDeleted: deleted.length ? deleted : null });
  });
}
