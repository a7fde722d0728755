/**
 * POST /build (the classic builder's protocol) and POST /build/prune. Every
 * query parameter of moby's `newImageBuildOptions` is read: used, or refused
 * with a 400 naming it when berth cannot honour it.
 */
import type { Builder, BuildOptions } from "../builder/builder.js";
import { parseReference } from "../image/reference.js";
import { hostPlatform } from "../image/types.js";
import { invalid } from "../util/errors.js";
import { boolParam, type Ctx, JsonStream, type Router, sendJson } from "./router.js";

function jsonParam<T>(q: URLSearchParams, name: string, dflt: T): T {
  const v = q.get(name);
  if (!v) return dflt;
  try {
    return JSON.parse(v) as T;
  } catch {
    throw invalid(`invalid ${name} parameter: ${v}`);
  }
}

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
  if (q.get("outputs") && jsonParam<unknown[]>(q, "outputs", []).length)
    throw invalid("outputs are only supported by BuildKit, not by berth's classic builder");
  const cacheFrom = jsonParam<string[]>(q, "cachefrom", []);
  const platform = q.get("platform") || undefined;
  if (platform) {
    const p = hostPlatform();
    const [os, arch] = platform.toLowerCase().split("/");
    if (os !== p.os || (arch && arch !== p.architecture))
      throw invalid(`platform ${platform} is not supported: berth builds for ${p.os}/${p.architecture}`);
  }
  const buildArgs = Object.fromEntries(
    Object.entries(jsonParam<Record<string, string | null>>(q, "buildargs", {})).filter(
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
  const ulimits = jsonParam<{ Name: string; Soft: number; Hard: number }[]>(q, "ulimits", []);
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
    labels: jsonParam(q, "labels", {}),
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

/** `leftovers` removes what interrupted operations left (temp, ingest) and returns the bytes freed. */
export function buildRoutes(
  r: Router,
  builder: Builder,
  leftovers: () => Promise<number> = async () => 0,
): void {
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
    const ac = new AbortController();
    const onClose = () => {
      if (!ctx.res.writableFinished) ac.abort();
    };
    ctx.res.once("close", onClose);
    try {
      const id = await builder.build(ctx.req, { ...o, signal: ac.signal }, (msg) => {
        if (!o.quiet || "aux" in msg) stream.write(msg);
      });
      // With -q the client prints exactly what the stream carries: the image ID.
      if (o.quiet) stream.write({ stream: `${id}\n` });
    } catch (err) {
      stream.error(err as Error);
    }
    ctx.res.off("close", onClose);
    stream.end();
  });

  r.post("/build/prune", async (ctx) => {
    const pruned = await builder.prune();
    // The builder's cache is where `docker system prune` looks for temp data: leftovers count as it.
    const freed = await leftovers();
    sendJson(ctx, 200, { ...pruned, SpaceReclaimed: pruned.SpaceReclaimed + freed });
  });
}
