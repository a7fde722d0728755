/** /volumes routes over the volume store. */
import type { EventBus } from "../engine/events.js";
import { checkFilterNames, isTrue, matchLabels, parseFilters } from "../engine/filters.js";
import type { VolumeStore } from "../volume/store.js";
import { volumeJson } from "../volume/store.js";
import { boolParam, checkedBody, type Router, sendJson, sendStatus } from "./router.js";

import { VolumeCreateSchema } from "./schema/resources.js";

export function volumeRoutes(r: Router, volumes: VolumeStore, events: EventBus): void {
  const filtered = (raw: string | null) => {
    const f = parseFilters(raw);
    checkFilterNames(f, ["dangling", "name", "label", "driver", "label!"]);
    return volumes.list().filter((v) => {
      const d = f.get("dangling")?.[0];
      if (d !== undefined && (volumes.usage(v.Name).length === 0) !== isTrue(d)) return false;
      const names = f.get("name");
      if (names && !names.some((n) => v.Name.includes(n))) return false;
      const labels = f.get("label");
      if (labels && !matchLabels(v.Labels, labels)) return false;
      const drivers = f.get("driver");
      if (drivers && !drivers.includes(v.Driver)) return false;
      return true;
    });
  };

  r.get("/volumes", (ctx) =>
    sendJson(ctx, 200, { Volumes: filtered(ctx.query.get("filters")).map(volumeJson), Warnings: null }),
  );

  r.post("/volumes/create", async (ctx) => {
    const b = await checkedBody(ctx, VolumeCreateSchema, "volume config", true);
    const body = {
      Name: b.Name,
      Driver: b.Driver,
      DriverOpts: b.DriverOpts ?? undefined,
      Labels: b.Labels ?? undefined,
    };
    const existed = body.Name ? volumes.has(body.Name) : false;
    const v = await volumes.create(body);
    if (!existed) events.emit("volume", "create", v.Name, { driver: "local" });
    sendJson(ctx, 201, volumeJson(v));
  });

  r.get("/volumes/{name}", (ctx) => sendJson(ctx, 200, volumeJson(volumes.get(ctx.params.name!))));

  r.delete("/volumes/{name}", async (ctx) => {
    await volumes.remove(ctx.params.name!, boolParam(ctx.query, "force"));
    events.emit("volume", "destroy", ctx.params.name!, { driver: "local" });
    sendStatus(ctx, 204);
  });

  r.post("/volumes/prune", async (ctx) => {
    const deleted: string[] = [];
    let space = 0;
    for (const v of filtered(ctx.query.get("filters"))) {
      if (volumes.usage(v.Name).length) continue;
      space += await volumes.size(v.Name).catch(() => 0);
      await volumes.remove(v.Name);
      events.emit("volume", "destroy", v.Name, { driver: "local" });
      deleted.push(v.Name);
    }
    sendJson(ctx, 200, { VolumesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space });
  });
}
