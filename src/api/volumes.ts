/** /volumes routes: thin handlers over a VolumeBackend (engine/volumes.ts). */
import { parseFilters } from "../engine/filters.js";
import type { VolumeBackend } from "./backend.js";
import { boolParam, checkedBody, type Router, sendJson, sendStatus } from "./router.js";
import { VolumeCreateSchema } from "./schema/resources.js";

export function volumeRoutes(r: Router, volumes: VolumeBackend): void {
  r.get("/volumes", (ctx) =>
    sendJson(ctx, 200, { Volumes: volumes.list(parseFilters(ctx.query.get("filters"))), Warnings: null }),
  );

  r.post("/volumes/create", async (ctx) => {
    const b = await checkedBody(ctx, VolumeCreateSchema, "volume config", true);
    const v = await volumes.create({
      Name: b.Name,
      Driver: b.Driver,
      DriverOpts: b.DriverOpts ?? undefined,
      Labels: b.Labels ?? undefined,
    });
    sendJson(ctx, 201, v);
  });

  r.get("/volumes/{name}", (ctx) => sendJson(ctx, 200, volumes.inspect(ctx.params.name!)));

  r.delete("/volumes/{name}", async (ctx) => {
    await volumes.remove(ctx.params.name!, boolParam(ctx.query, "force"));
    sendStatus(ctx, 204);
  });

  r.post("/volumes/prune", async (ctx) =>
    sendJson(ctx, 200, await volumes.prune(parseFilters(ctx.query.get("filters")))),
  );
}
