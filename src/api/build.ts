/** POST /build (the classic builder's protocol) and POST /build/prune. */
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { parseReference, withDefaultTag } from "../image/reference.js";
import { invalid } from "../util/errors.js";
import { check, Nullable, StringMap, Strings } from "../util/schema.js";
import type { BuildBackend } from "./backend.js";
import { boolParam, intParam, JsonStream, type Router, sendJson } from "./router.js";

/** A JSON-encoded query parameter checked against its schema (400 naming it when it does not fit). */
function jsonParam<T extends TSchema>(q: URLSearchParams, name: string, schema: T): Static<T> | undefined {
  const v = q.get(name);
  if (!v) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw invalid(`invalid ${name} parameter: ${v}`);
  }
  return check(schema, parsed, `${name} parameter`);
}

/** The JSON query parameters of POST /build (v1.41 paths./build.post.parameters). */
const BuildArgs = Nullable(Type.Record(Type.String(), Nullable(Type.String())));
const CacheFrom = Strings;

export function buildRoutes(r: Router, builder: BuildBackend): void {
  r.post("/build", async (ctx) => {
    const q = ctx.query;
    const tags = q.getAll("t").map((t) => withDefaultTag(parseReference(t)));
    const buildArgs = Object.fromEntries(
      Object.entries(jsonParam(q, "buildargs", BuildArgs) ?? {}).filter(
        (e): e is [string, string] => e[1] !== null,
      ),
    );
    const labels = jsonParam(q, "labels", StringMap) ?? {};
    jsonParam(q, "cachefrom", CacheFrom);
    for (const p of ["memory", "memswap", "cpushares", "cpuperiod", "cpuquota", "shmsize"]) intParam(q, p);
    const stream = new JsonStream(ctx);
    const quiet = boolParam(q, "q");
    try {
      const id = await builder.build(
        ctx.req,
        {
          dockerfile: q.get("dockerfile") || "Dockerfile",
          tags,
          buildArgs,
          target: q.get("target") || undefined,
          noCache: boolParam(q, "nocache"),
          labels,
          quiet,
        },
        (msg) => {
          if (!quiet || "aux" in msg) stream.write(msg);
        },
      );
      // With -q the client prints exactly what the stream carries: the image ID.
      if (quiet) stream.write({ stream: `${id}\n` });
    } catch (err) {
      stream.error(err as Error);
    }
    stream.end();
  });

  r.post("/build/prune", async (ctx) => sendJson(ctx, 200, await builder.prune()));
}
