/** /networks routes: thin handlers over a NetworkBackend (engine/networks.ts). */
import { parseFilters } from "../engine/filters.js";
import type { NetworkBackend } from "./backend.js";
import { checkedBody, type Router, sendJson, sendStatus } from "./router.js";
import { NetworkConnectSchema, NetworkCreateSchema, NetworkDisconnectSchema } from "./schema/resources.js";

export function networkRoutes(r: Router, networks: NetworkBackend): void {
  r.get("/networks", (ctx) => sendJson(ctx, 200, networks.list(parseFilters(ctx.query.get("filters")))));

  r.get("/networks/{id}", (ctx) => sendJson(ctx, 200, networks.inspect(ctx.params.id!)));

  r.post("/networks/create", async (ctx) => {
    const b = await checkedBody(ctx, NetworkCreateSchema, "network config");
    const ipam = b.IPAM?.Config?.[0] ?? {};
    const created = await networks.create({
      Name: b.Name,
      Driver: b.Driver,
      Internal: b.Internal,
      Labels: b.Labels ?? undefined,
      Options: b.Options ?? undefined,
      Subnet: ipam.Subnet,
      Gateway: ipam.Gateway,
      IPRange: ipam.IPRange,
    });
    sendJson(ctx, 201, created);
  });

  r.delete("/networks/{id}", async (ctx) => {
    await networks.remove(ctx.params.id!);
    sendStatus(ctx, 204);
  });

  r.post("/networks/{id}/connect", async (ctx) => {
    const b = await checkedBody(ctx, NetworkConnectSchema, "network connect config");
    const ep = b.EndpointConfig;
    await networks.connect(ctx.params.id!, b.Container, {
      Aliases: ep?.Aliases ?? undefined,
      IPAMConfig: ep?.IPAMConfig ? { IPv4Address: ep.IPAMConfig.IPv4Address } : undefined,
    });
    sendStatus(ctx, 200);
  });

  r.post("/networks/{id}/disconnect", async (ctx) => {
    const b = await checkedBody(ctx, NetworkDisconnectSchema, "network disconnect config");
    await networks.disconnect(ctx.params.id!, b.Container);
    sendStatus(ctx, 200);
  });

  r.post("/networks/prune", async (ctx) =>
    sendJson(ctx, 200, await networks.prune(parseFilters(ctx.query.get("filters")))),
  );
}
