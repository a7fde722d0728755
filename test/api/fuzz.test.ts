/**
 * Property-based test of the API contract (fast-check): thousands of
 * generated create, update, commit, build, network, volume and exec bodies
 * and query strings, each a valid body with fields set to wrong types,
 * missing, huge or random values, or random JSON altogether. For every one:
 * never a 5xx; a refused request creates nothing (containers, images,
 * volumes, networks unchanged); after an accepted one the docker CLI still
 * lists that resource; /_ping answers throughout. The total is printed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { TSchema } from "@sinclair/typebox";
import fc from "fast-check";
import { ContainerConfigSchema, HostConfigSchema, UpdateSchema } from "../../src/api/schema/containers.js";
import { ExecCreateSchema, NetworkCreateSchema, VolumeCreateSchema } from "../../src/api/schema/resources.js";
import { type ApiAnswer, api } from "../helpers/api.js";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";

// A fixed seed keeps `make test` repeatable; FUZZ_SEED=random explores (and prints its seed).
const SEED =
  process.env.FUZZ_SEED === "random" ? Date.now() % 1_000_000 : Number(process.env.FUZZ_SEED ?? 1515);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

/** Values of every JSON type, including huge and odd ones. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(1e308, -1, 0, 2 ** 63, -(2 ** 53) - 10, 65536, 99999),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 12 }),
  fc.constantFrom("", "x".repeat(70_000), "ALL", "80/tcp", "abc:def", "-1", "1.5", "host", "none"),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 6 }), fc.constant(null)), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), {
    maxKeys: 3,
  }),
);

/**
 * Fields that reach the host when they hold well-typed strings (bind
 * sources, device paths, bridge names): they get only values that cannot
 * name a host path, so a generated body never touches this machine.
 */
const HOST_FIELDS = new Set([
  "Binds",
  "Mounts",
  "Devices",
  "VolumesFrom",
  "ContainerIDFile",
  "Options",
  "DriverOpts",
]);
const hostSafe: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  fc.constant(["fznamed:/data"]),
  fc.constant([5]),
  fc.constant({ a: 1 }),
  fc.constant("nope"),
);

/** A body from `base` with up to 4 fields (from the schema's own names, or made up) set to generated values. */
function mutated(base: Record<string, unknown>, schema: TSchema, nested?: { key: string; schema: TSchema }) {
  const names = Object.keys(schema.properties ?? {});
  const nestedNames = nested ? Object.keys(nested.schema.properties ?? {}) : [];
  const edit = fc.record({
    top: fc.boolean(),
    name: fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 6 })),
    nestedName: nestedNames.length ? fc.constantFrom(...nestedNames) : fc.constant(""),
    remove: fc.boolean(),
    value: anyValue,
    safe: hostSafe,
  });
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    const body: Record<string, unknown> = structuredClone(base);
    for (const e of edits) {
      const inNested = nested && !e.top && e.nestedName;
      const field = inNested ? e.nestedName : e.name;
      if (inNested && (typeof body[nested.key] !== "object" || body[nested.key] === null))
        body[nested.key] = {};
      const target = (inNested ? body[nested.key] : body) as Record<string, unknown>;
      if (e.remove) delete target[field];
      else target[field] = HOST_FIELDS.has(field) ? e.safe : e.value;
    }
    return body;
  });
}

/** Either a mutated valid body or random JSON (any type, maybe not an object). */
function bodies(base: Record<string, unknown>, schema: TSchema, nested?: { key: string; schema: TSchema }) {
  return fc.oneof(
    { weight: 8, arbitrary: mutated(base, schema, nested) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom("{", "[1,", "nul", '{"Image":') },
  );
}

interface Snapshot {
  containers: string[];
  images: string[];
  volumes: string[];
  networks: string[];
}

describe("API contract under generated bodies (fast-check)", () => {
  let d: TestDaemon;
  let work: string;
  let total = 0;
  let accepted = 0;
  const pings = { sent: 0, failed: 0, slowest: 0 };
  let pinger: NodeJS.Timeout | undefined;

  const snap = async (): Promise<Snapshot> => {
    const get = async (p: string) => {
      const a = await api(d.socket, "GET", p);
      assert.equal(a.status, 200, `${p}: ${a.text}`);
      return a.json;
    };
    const c = (await get("/containers/json?all=1")) as { Id: string }[];
    const i = (await get("/images/json?all=1")) as { Id: string; RepoTags: string[] | null }[];
    const v = (await get("/volumes")) as { Volumes: { Name: string }[] };
    const n = (await get("/networks")) as { Id: string }[];
    return {
      containers: c.map((x) => x.Id).sort(),
      images: i.flatMap((x) => [x.Id, ...(x.RepoTags ?? [])]).sort(),
      volumes: v.Volumes.map((x) => x.Name).sort(),
      networks: n.map((x) => x.Id).sort(),
    };
  };

  /** Removes what an accepted request made, so the next starts from the same state. */
  const restore = async (to: Snapshot) => {
    const now = await snap();
    for (const id of now.containers.filter((x) => !to.containers.includes(x)))
      await api(d.socket, "DELETE", `/containers/${id}?force=1&v=1`);
    for (const ref of now.images.filter((x) => !to.images.includes(x) && !x.startsWith("sha256:")))
      await api(d.socket, "DELETE", `/images/${encodeURIComponent(ref)}?force=1`);
    for (const ref of now.images.filter((x) => !to.images.includes(x) && x.startsWith("sha256:")))
      await api(d.socket, "DELETE", `/images/${ref}?force=1`);
    for (const name of (await snap()).volumes.filter((x) => !to.volumes.includes(x)))
      await api(d.socket, "DELETE", `/volumes/${encodeURIComponent(name)}?force=1`);
    for (const id of now.networks.filter((x) => !to.networks.includes(x)))
      await api(d.socket, "DELETE", `/networks/${id}`);
    assert.deepEqual(await snap(), to, "cleanup after an accepted request");
  };

  /** The property every generated request must keep. `list` is the docker CLI listing to try after an accepted one. */
  const holds = async (a: () => Promise<ApiAnswer>, what: string, list: string[][]) => {
    const before = await snap();
    // A request must be answered: a hang is a failure too, not a stuck run.
    let timer: NodeJS.Timeout | undefined;
    const answer = await Promise.race([
      a(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within 20 s`)), 20_000);
      }),
    ]).finally(() => clearTimeout(timer));
    total++;
    assert.ok(answer.status < 500, `${what} -> ${answer.status} ${answer.text.slice(0, 300)}`);
    // A build or pull refused after its stream began says so in-band: a refusal all the same.
    const inBand = answer.status === 200 && /"errorDetail"/.test(answer.text);
    if (answer.status >= 400 || inBand) {
      assert.deepEqual(
        await snap(),
        before,
        `${what} was refused (${answer.text.slice(0, 200)}) but left objects`,
      );
      return;
    }
    accepted++;
    for (const args of list) {
      const r = d.docker(args);
      assert.equal(r.code, 0, `docker ${args.join(" ")} after ${what}: ${r.err}`);
    }
    await restore(before);
  };

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-fuzz-");
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    d.ok(["create", "--name", "fzbase", "bb", "sleep", "600"]);
    d.ok(["run", "-d", "--name", "fzrun", "bb", "sleep", "600"]);
    pinger = setInterval(() => {
      const t0 = Date.now();
      pings.sent++;
      api(d.socket, "GET", "/_ping").then(
        (a) => {
          if (a.status !== 200) pings.failed++;
          pings.slowest = Math.max(pings.slowest, Date.now() - t0);
        },
        () => pings.failed++,
      );
    }, 100);
    console.log(`fast-check seed ${SEED} (FUZZ_SEED to replay, FUZZ_SCALE to scale the run counts)`);
  });
  after(async () => {
    if (pinger) clearInterval(pinger);
    console.log(
      `fuzz: ${total} generated requests, ${accepted} accepted, none answered 5xx; /_ping ${pings.sent} sent, ${pings.failed} failed, slowest ${pings.slowest} ms`,
    );
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  const opts = (n: number) => ({ numRuns: runs(n), seed: SEED, endOnFailure: true });

  it("container create", async () => {
    const base = { Image: "bb", Cmd: ["true"], HostConfig: { Memory: 64 * 1024 * 1024 } };
    const schema = {
      ...ContainerConfigSchema,
      properties: { ...ContainerConfigSchema.properties, HostConfig: {} },
    };
    await fc.assert(
      fc.asyncProperty(bodies(base, schema, { key: "HostConfig", schema: HostConfigSchema }), async (body) =>
        holds(
          () =>
            api(
              d.socket,
              "POST",
              "/containers/create",
              typeof body === "string" ? body : JSON.stringify(body),
            ),
          `create ${JSON.stringify(body).slice(0, 300)}`,
          [["ps", "-a"]],
        ),
      ),
      opts(1500),
    );
  });

  it("container update", async () => {
    await fc.assert(
      fc.asyncProperty(bodies({ Memory: 128 * 1024 * 1024 }, UpdateSchema), async (body) =>
        holds(
          () =>
            api(
              d.socket,
              "POST",
              "/containers/fzbase/update",
              typeof body === "string" ? body : JSON.stringify(body),
            ),
          `update ${JSON.stringify(body).slice(0, 300)}`,
          [
            ["ps", "-a"],
            ["inspect", "fzbase"],
          ],
        ),
      ),
      opts(400),
    );
  });

  it("commit", async () => {
    const query = fc.record({
      repo: fc.oneof(fc.constant("fzimg"), fc.string({ maxLength: 8 })),
      tag: fc.oneof(fc.constant("v1"), fc.string({ maxLength: 5 })),
      changes: fc.oneof(fc.constant(""), fc.constantFrom("CMD x", "ENV A=1", "BOGUS x", "EXPOSE abc")),
    });
    await fc.assert(
      fc.asyncProperty(query, bodies({ Cmd: ["sh"] }, ContainerConfigSchema), async (q, body) => {
        const qs = new URLSearchParams({ container: "fzbase", ...q, pause: "0" });
        await holds(
          () =>
            api(d.socket, "POST", `/commit?${qs}`, typeof body === "string" ? body : JSON.stringify(body)),
          `commit ?${qs} ${JSON.stringify(body).slice(0, 300)}`,
          [["images"], ["ps", "-a"]],
        );
      }),
      opts(250),
    );
  });

  it("volume create", async () => {
    await fc.assert(
      fc.asyncProperty(bodies({ Name: "fzvol", Labels: { a: "b" } }, VolumeCreateSchema), async (body) =>
        holds(
          () =>
            api(d.socket, "POST", "/volumes/create", typeof body === "string" ? body : JSON.stringify(body)),
          `volume create ${JSON.stringify(body).slice(0, 300)}`,
          [["volume", "ls"]],
        ),
      ),
      opts(400),
    );
  });

  it("network create", async () => {
    await fc.assert(
      fc.asyncProperty(bodies({ Name: "fznet", Labels: { a: "b" } }, NetworkCreateSchema), async (body) =>
        holds(
          () =>
            api(d.socket, "POST", "/networks/create", typeof body === "string" ? body : JSON.stringify(body)),
          `network create ${JSON.stringify(body).slice(0, 300)}`,
          [
            ["network", "ls"],
            ["network", "prune", "-f", "--filter", "label=fz-matches-nothing"],
          ],
        ),
      ),
      opts(300),
    );
  });

  it("exec create", async () => {
    await fc.assert(
      fc.asyncProperty(bodies({ Cmd: ["true"] }, ExecCreateSchema), async (body) =>
        holds(
          () =>
            api(
              d.socket,
              "POST",
              "/containers/fzrun/exec",
              typeof body === "string" ? body : JSON.stringify(body),
            ),
          `exec create ${JSON.stringify(body).slice(0, 300)}`,
          [["ps", "-a"]],
        ),
      ),
      opts(200),
    );
  });

  it("build query parameters", async () => {
    const ctx = join(work, "ctx");
    const { mkdirSync } = await import("node:fs");
    const { spawnSync } = await import("node:child_process");
    mkdirSync(ctx, { recursive: true });
    writeFileSync(join(ctx, "Dockerfile"), "FROM bb\nLABEL fz=1\n");
    const tar = spawnSync("tar", ["-C", ctx, "-cf", "-", "."]).stdout;
    const param = fc.record(
      {
        t: fc.oneof(fc.constant("fzbuild:1"), fc.string({ maxLength: 8 })),
        dockerfile: fc.oneof(fc.constant("Dockerfile"), fc.string({ maxLength: 6 })),
        buildargs: fc.oneof(fc.constant('{"A":"1"}'), fc.json({ maxDepth: 2 }), fc.string({ maxLength: 6 })),
        labels: fc.oneof(fc.constant('{"a":"b"}'), fc.json({ maxDepth: 2 }), fc.string({ maxLength: 6 })),
        memory: fc.oneof(fc.constant("0"), fc.string({ maxLength: 4 })),
        target: fc.string({ maxLength: 4 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(param, async (p) => {
        const qs = new URLSearchParams(p as Record<string, string>);
        await holds(
          () => api(d.socket, "POST", `/build?${qs}`, tar, { "Content-Type": "application/x-tar" }),
          `build ?${qs}`,
          [["images"]],
        );
      }),
      opts(150),
    );
  });

  it("query strings of list, logs, events and df", async () => {
    const path = fc.constantFrom(
      "/containers/json",
      "/images/json",
      "/volumes",
      "/networks",
      "/system/df",
      "/containers/fzbase/logs",
      "/events",
      "/containers/fzbase/top",
    );
    const value = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.json({ maxDepth: 2 }),
      fc.constantFrom("-5", "1.5", "abc", "1e400", "", "true", '{"label":["a"]}', '{"x":5}', "[1]"),
    );
    const name = fc.constantFrom(
      "all",
      "limit",
      "filters",
      "since",
      "until",
      "tail",
      "type",
      "size",
      "stdout",
      "digests",
      "shared-size",
      "x",
    );
    await fc.assert(
      fc.asyncProperty(path, fc.array(fc.tuple(name, value), { maxLength: 4 }), async (p, params) => {
        const qs = new URLSearchParams(params);
        // /events streams until `until`: always bound it.
        if (p === "/events") qs.set("until", String(Math.floor(Date.now() / 1000) - 1));
        if (p.endsWith("/logs") && !qs.has("stdout")) qs.set("stdout", "1");
        await holds(() => api(d.socket, "GET", `${p}?${qs}`), `GET ${p}?${qs}`, []);
      }),
      opts(500),
    );
  });

  it("query strings of container and image actions", async () => {
    // Actions that return at once whatever their parameters (no restart or wait: those may block by design).
    const action = fc.constantFrom(
      ["POST", "/containers/fzbase/kill", "signal"],
      ["POST", "/containers/fzbase/stop", "t"],
      ["POST", "/containers/fzrun/resize", "w"],
      ["GET", "/containers/fzrun/top", "ps_args"],
      ["POST", "/images/bb/tag", "repo"],
      ["POST", "/images/bb/tag", "tag"],
      ["GET", "/containers/fzbase/archive", "path"],
      ["HEAD", "/containers/fzbase/archive", "path"],
      ["POST", "/exec/nosuchexec/resize", "h"],
      ["GET", "/images/get", "names"],
      ["GET", "/containers/fzrun/stats", "one-shot"],
    );
    const value = fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.constantFrom("", "-1", "1.5", "99999999999999999999", "SIGFOO", "KILL", "0", "../../..", "/", "a:b"),
      fc.constant("x".repeat(300)),
    );
    await fc.assert(
      fc.asyncProperty(action, value, value, async ([method, path, name], v, v2) => {
        const qs = new URLSearchParams({
          [name!]: v,
          ...(name === "w" ? { h: v2 } : {}),
          ...(name === "repo" ? { tag: v2 } : {}),
        });
        // stream=1 streams until the client leaves, by design: one sample only.
        if (name === "one-shot") qs.set("stream", "0");
        await holds(() => api(d.socket, method!, `${path}?${qs}`), `${method} ${path}?${qs}`, [
          ["ps", "-a"],
          ["images"],
        ]);
      }),
      opts(400),
    );
  });

  it("kept /_ping answering and the listings working throughout", async () => {
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(pings.sent > 10, `only ${pings.sent} pings`);
    assert.equal(pings.failed, 0);
    for (const args of [["ps", "-a"], ["volume", "ls"], ["network", "ls"], ["images"]]) d.ok(args);
    assert.ok(total >= runs(3900), `only ${total} generated requests`);
  });
});
