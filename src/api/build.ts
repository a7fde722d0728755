/**
 * POST /build (the classic builder's protocol) and POST /build/prune. Every
 * query parameter of moby's `newImageBuildOptions` is read: used, or refused
 * with a 400 naming it when berth cannot honour it; JSON parameters are
 * checked against their schema.
 */
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import type { BuildOptions } from "../builder/builder.js";
import { parseReference } from "../image/reference.js";
import { hostPlatform } from "../image/types.js";
import { invalid } from "../util/errors.js";
import { check, Nullable, StringMap, Strings } from "../util/schema.js";
import type { BuildBackend } from "./backend.js";
import { boolParam, type Ctx, clientSignal, JsonStream, type Router, sendJson } from "./router.js";

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
const Outputs = Nullable(Type.Array(Type.Unknown()));
const Ulimits = Nullable(
  Type.Array(Type.Object({ Name: Type.String(), Soft: Type.Integer(), Hard: Type.Integer() })),
);

/** An integer parameter, 0 when absent (400 naming it when it is not an integer). */
function intParam(q: URLSearchParams, name: string): number {
  const v = q.get(name);
  if (!v) return 0;
  if (!/^-?\d+$/.test(v)) throw invalid(`invalid ${name} parameter: ${v}: must be an integer`);
  return Number(v);
}

/** Secrets for RUN --mount=type=secret: `X-Berth-Build-Secrets`, base64 JSON {id: base64 data} (berth build --secret). */
function secretsOf(ctx: Ctx): Map<string, Buffer> {
  const h = ctx.req.headers["x-berth-build-secrets"];
  const m = new Map<string, Buffer>();
  if (!h || Array.isArray(h)) return m;
  try {
    const obj = JSON.parse(Buffer.from(h, "base64").toString("utf8")) as Record<string, string>;
    for (const [k, v] of Object.entries(obj)) m.set(k, Buffer.from(v, "base64"));
  } catch {
    throw invalid("invalid X-Berth-Build-Secrets header");
  }
  return m;
}

/** Decodes the query into BuildOptions; throws InvalidParameter for what berth cannot do. */
export function buildOptions(ctx: Ctx): BuildOptions & { remote?: string } {
  const q = ctx.query;
  const version = q.get("version") || "1";
  if (version !== "1")
    throw invalid(
      `builder version ${version} (BuildKit) is not supported by berth: use the classic builder (DOCKER_BUILDKIT=0)`,
    );
  if (boolParam(q, "squash")) throw invalid("squash is only supported with experimental mode");
  if (q.getAll("securityopt").length)
    throw invalid("The daemon on this platform does not support setting security options on build");
  // berth's containers all live under the daemon's cgroup (HostConfig.CgroupParent is not applied).
  if (q.get("cgroupparent")) throw invalid("--cgroup-parent is not supported by berth's builder");
  const isolation = q.get("isolation");
  if (isolation && isolation !== "default") throw invalid(`Unsupported isolation: "${isolation}"`);
  if (jsonParam(q, "outputs", Outputs)?.length)
    throw invalid("outputs are only supported by BuildKit, not by berth's classic builder");
  const cacheFrom = jsonParam(q, "cachefrom", CacheFrom) ?? [];
  const platform = q.get("platform") || undefined;
  if (platform) {
    const p = hostPlatform();
    const [os, arch] = platform.toLowerCase().split("/");
    if (os !== p.os || (arch && arch !== p.architecture))
      throw invalid(`platform ${platform} is not supported: berth builds for ${p.os}/${p.architecture}`);
  }
  const buildArgs = Object.fromEntries(
    Object.entries(jsonParam(q, "buildargs", BuildArgs) ?? {}).filter(
      (e): e is [string, string] => e[1] !== null,
    ),
  );
  const resources: Record<string, unknown> = {};
  const ints: [string, string][] = [
    ["memory", "Memory"],
    ["memswap", "MemorySwap"],
    ["cpushares", "CpuShares"],
    ["cpuperiod", "CpuPeriod"],
    ["cpuquota", "CpuQuota"],
    ["shmsize", "ShmSize"],
  ];
  for (const [p, k] of ints) {
    const v = intParam(q, p);
    if (v) resources[k] = v;
  }
  if (resources.ShmSize !== undefined && (resources.ShmSize as number) <= 0)
    throw invalid("SHM size can not be less than 0");
  for (const [p, k] of [
    ["cpusetcpus", "CpusetCpus"],
    ["cpusetmems", "CpusetMems"],
  ] as const) {
    const v = q.get(p);
    if (v) resources[k] = v;
  }
  const ulimits = jsonParam(q, "ulimits", Ulimits) ?? [];
  if (ulimits.length) resources.Ulimits = ulimits;
  // The docker CLI repeats extrahosts; berth's CLI may join them with commas.
  const extraHosts = q
    .getAll("extrahosts")
    .flatMap((h) => h.split(","))
    .filter(Boolean);
  for (const h of extraHosts)
    if (!/^[^:]+:.+$/.test(h) && !/^[^=]+=.+$/.test(h))
      throw invalid(`invalid add-host: ${h}: must be host:ip`);
  const rm = q.get("rm");
  return {
    dockerfile: q.get("dockerfile") || "Dockerfile",
    tags: q.getAll("t"),
    buildArgs,
    target: q.get("target") || undefined,
    noCache: boolParam(q, "nocache"),
    labels: jsonParam(q, "labels", StringMap) ?? {},
    quiet: boolParam(q, "q"),
    pull: boolParam(q, "pull"),
    platform,
    networkMode: q.get("networkmode") || "",
    extraHosts: extraHosts.map((h) => (h.includes("=") && !h.includes(":") ? h.replace("=", ":") : h)),
    resources,
    rm: rm === null || rm === "" || rm === "1" || rm === "true",
    forceRm: boolParam(q, "forcerm"),
    cacheFrom,
    secrets: secretsOf(ctx),
    remote: q.get("remote") || undefined,
  };
}

export function buildRoutes(r: Router, builder: BuildBackend): void {
  r.post("/build", async (ctx) => {
    const o = buildOptions(ctx);
    for (const t of o.tags) {
      // Bad tags fail before the context is read.
      try {
        parseReference(t);
      } catch (err) {
        throw invalid(`invalid tag ${JSON.stringify(t)}: ${(err as Error).message}`);
      }
    }
    const stream = new JsonStream(ctx);
    const signal = clientSignal(ctx);
    try {
      const id = await builder.build(ctx.req, { ...o, signal }, (msg) => {
        if (!o.quiet || "aux" in msg) stream.write(msg);
      });
      // With -q the client prints exactly what the stream carries: the image ID.
      if (o.quiet) stream.write({ stream: `${id}\n` });
    } catch (err) {
      stream.error(err as Error);
    }
    stream.end();
  });

  // Build cache (steps, cache mounts) and what interrupted operations left (engine/build.ts).
  r.post("/build/prune", async (ctx) => sendJson(ctx, 200, await builder.prune()));
}
