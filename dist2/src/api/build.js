/** POST /build (the classic builder's protocol) and POST /build/prune. */
import { rm } from "node:fs/promises";
import { parseReference, withDefaultTag } from "../image/reference.js";
import { invalid } from "../util/errors.js";
import { boolParam, JsonStream, sendJson } from "./router.js";
function jsonParam(q, name, dflt) {
    const v = q.get(name);
    if (!v)
        return dflt;
    try {
        return JSON.parse(v);
    }
    catch {
        throw invalid(`invalid ${name} parameter: ${v}`);
    }
}
/** `leftovers` removes what interrupted operations left (temp, ingest) and returns the bytes freed. */
export function buildRoutes(r, builder, images, cachePath, leftovers = async () => 0) {
    r.post("/build", async (ctx) => {
        const q = ctx.query;
        const tags = q.getAll("t").map((t) => withDefaultTag(parseReference(t)));
        const buildArgs = Object.fromEntries(Object.entries(jsonParam(q, "buildargs", {})).filter((e) => e[1] !== null));
        const stream = new JsonStream(ctx);
        const quiet = boolParam(q, "q");
        try {
            const id = await builder.build(ctx.req, {
                dockerfile: q.get("dockerfile") || "Dockerfile",
                tags,
                buildArgs,
                target: q.get("target") || undefined,
                noCache: boolParam(q, "nocache"),
                labels: jsonParam(q, "labels", {}),
                quiet,
            }, (msg) => {
                if (!quiet || "aux" in msg)
                    stream.write(msg);
            });
            // With -q the client prints exactly what the stream carries: the image ID.
            if (quiet)
                stream.write({ stream: `${id}\n` });
        }
        catch (err) {
            stream.error(err);
        }
        stream.end();
    });
    r.post("/build/prune", async (ctx) => {
        await rm(cachePath, { force: true });
        const pruned = await images.prune({ all: false });
        // The builder's cache is where `docker system prune` looks for temp data: leftovers count as it.
        const freed = await leftovers();
        sendJson(ctx, 200, { CachesDeleted: null, SpaceReclaimed: pruned.SpaceReclaimed + freed });
    });
}
//# sourceMappingURL=build.js.map