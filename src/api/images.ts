/** /images routes: thin handlers over engine.images. */
import { sharedSizes } from "../engine/df.js";
import type { Engine } from "../engine/engine.js";
import { parseFilters } from "../engine/filters.js";
import { invalid } from "../util/errors.js";
import { pullRoute, pushRoute, streamed } from "./distribution.js";
import { boolParam, type Ctx, clientSignal, type Router, sendJson, sendStatus, sendTar } from "./router.js";

export function imageRoutes(r: Router, engine: Engine): void {
  const images = engine.images;

  r.get("/images/json", async (ctx) => {
    const list = await images.list({
      all: boolParam(ctx.query, "all"),
      filters: parseFilters(ctx.query.get("filters")),
      digests: boolParam(ctx.query, "digests"),
    });
    if (boolParam(ctx.query, "shared-size")) {
      const shared = await sharedSizes(engine);
      for (const img of list) img.SharedSize = shared.get(img.Id) ?? 0;
    }
    sendJson(ctx, 200, list);
  });

  r.post("/images/create", async (ctx) => {
    const fromSrc = ctx.query.get("fromSrc");
    if (fromSrc === null) {
      await pullRoute(ctx, engine.distribution);
      return;
    }
    if (fromSrc !== "-")
      throw invalid("import from a URL is not supported by this daemon; pipe the file with `-`");
    const repo = ctx.query.get("repo") || undefined;
    await streamed(ctx, async (out, signal) => {
      const rec = await images.import(ctx.req, {
        repo,
        tag: ctx.query.get("tag") || undefined,
        changes: ctx.query.getAll("changes"),
        message: ctx.query.get("message") || undefined,
        signal,
      });
      out({ status: rec.id });
    });
  });

  r.post("/images/load", (ctx) =>
    // `quiet` only hides progress bars (we send none); the "Loaded image" lines always go out, as in Docker.
    streamed(ctx, (out, signal) => engine.distribution.load(ctx.req, out, signal)),
  );

  const save = async (ctx: Ctx, names: string[]) => {
    const signal = clientSignal(ctx);
    const tar = await engine.distribution.save(names, signal);
    ctx.res.writeHead(200, { "Content-Type": "application/x-tar" });
    await sendTar(ctx, tar);
  };
  r.get("/images/get", (ctx) => save(ctx, ctx.query.getAll("names")));
  r.get("/images/{name*}/get", (ctx) => save(ctx, [ctx.params.name!]));

  r.get("/images/{name*}/json", async (ctx) => sendJson(ctx, 200, await images.inspect(ctx.params.name!)));
  r.get("/images/{name*}/history", async (ctx) => sendJson(ctx, 200, await images.history(ctx.params.name!)));

  r.post("/images/{name*}/tag", async (ctx) => {
    const repo = ctx.query.get("repo");
    if (!repo) throw invalid("repository name is required");
    await images.tag(ctx.params.name!, images.parseTagTarget(repo, ctx.query.get("tag") || undefined));
    sendStatus(ctx, 201);
  });

  r.post("/images/{name*}/push", (ctx) => pushRoute(ctx, engine.distribution));

  r.delete("/images/{name*}", async (ctx) => {
    const out = await images.remove(ctx.params.name!, {
      force: boolParam(ctx.query, "force"),
      noprune: boolParam(ctx.query, "noprune"),
    });
    sendJson(ctx, 200, out);
  });

  r.post("/images/prune", async (ctx) => {
    const filters = parseFilters(ctx.query.get("filters"));
    const dangling = filters.get("dangling")?.[0];
    const all = dangling === "false" || dangling === "0";
    sendJson(ctx, 200, await images.prune({ all, filters }));
  });
}
