/** /images routes: thin handlers over engine.images. */
import { sharedSizes } from "../engine/df.js";
import type { Engine } from "../engine/engine.js";
import { parseFilters } from "../engine/filters.js";
import { loadArchive, type SaveItem, saveArchive } from "../image/archive.js";
import { familiar, parseReference, withDefaultTag } from "../image/reference.js";
import { invalid } from "../util/errors.js";
import { pullRoute, pushRoute } from "./distribution.js";
import { boolParam, JsonStream, type Router, sendJson, sendStatus } from "./router.js";

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
      await pullRoute(ctx, engine);
      return;
    }
    if (fromSrc !== "-")
      throw invalid("import from a URL is not supported by this daemon; pipe the file with `-`");
    const repo = ctx.query.get("repo") || undefined;
    const stream = new JsonStream(ctx);
    try {
      const rec = await images.import(ctx.req, {
        repo,
        tag: ctx.query.get("tag") || undefined,
        changes: ctx.query.getAll("changes"),
        message: ctx.query.get("message") || undefined,
      });
      stream.write({ status: rec.id });
    } catch (err) {
      stream.error(err as Error);
    }
    stream.end();
  });

  r.post("/images/load", async (ctx) => {
    // `quiet` only hides progress bars (we send none); the "Loaded image" lines always go out, as in Docker.
    const stream = new JsonStream(ctx);
    try {
      const loaded = await loadArchive(
        {
          content: engine.content,
          layers: engine.layers,
          tmpDir: engine.tmpDir,
          createImage: (c) => images.create(c),
        },
        ctx.req,
      );
      for (const { rec, tags } of loaded) {
        engine.events.emit("image", "load", rec.id, {});
        for (const t of tags) {
          await engine.imageStore.addRef(t, rec.id);
          engine.events.emit("image", "tag", rec.id, { name: familiar(t) });
          stream.write({ stream: `Loaded image: ${familiar(t)}\n` });
        }
        if (tags.length === 0) stream.write({ stream: `Loaded image ID: ${rec.id}\n` });
      }
    } catch (err) {
      stream.error(err as Error);
    }
    stream.end();
  });

  const save = async (ctx: Parameters<Parameters<Router["get"]>[1]>[0], names: string[]) => {
    const items: SaveItem[] = [];
    for (const name of names) {
      const rec = engine.imageStore.resolve(name);
      const config = await engine.content.read(rec.id);
      let tags: ReturnType<typeof parseReference>[] = [];
      try {
        const ref = withDefaultTag(parseReference(name));
        if (!ref.digest && engine.imageStore.lookupRef(ref) === rec.id) tags = [ref];
      } catch {
        // an ID: saved without names
      }
      const same = items.find((i) => i.rec.id === rec.id);
      if (same) same.tags.push(...tags);
      else items.push({ rec, config, tags });
      engine.events.emit("image", "save", rec.id, {});
    }
    ctx.res.writeHead(200, { "Content-Type": "application/x-tar" });
    const tar = saveArchive(engine.content, engine.layers, items);
    tar.on("error", (err) => {
      engine.log.error({ err }, "save failed");
      ctx.res.destroy(err);
    });
    tar.pipe(ctx.res);
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

  r.post("/images/{name*}/push", (ctx) => pushRoute(ctx, engine));

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
