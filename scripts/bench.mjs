#!/usr/bin/env node
// make bench: berth side by side with Docker (Debian's docker.io), BuildKit (that dockerd,
// build rows) and Podman (Debian's podman), every engine private to this run. Rounds are
// interleaved (the engines' order rotates each round) so a noisy neighbour hits every engine
// alike; each row reports the median, min and max of its rounds and the median of the paired
// same-round ratios peer/berth (below 1: the peer is faster). Results go to a JSON file.
//
//   scripts/bench.mjs [--runs N] [--only row,row] [--engines berth,docker,buildkit,podman]
//                     [--out bench-results.json] [--baseline /path/to/other/berth/tree]
// Rows: see scripts/bench/rows.mjs (run_none run_bridge exec run50 rm50 pull push
// build_cold build_nochange build_onefile commit10k save_load); memory per container, ps -a
// and load are sampled within run50 and save_load.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { allowInsecure, DOCKER_CLI, memKiB, sh, startEngines, unmountUnder } from "./bench/engines.mjs";
import { median, ROWS } from "./bench/rows.mjs";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const runs = Number(opt("runs", "3"));
const only = opt("only", "")
  .split(",")
  .filter(Boolean);
const want = new Set(opt("engines", "berth,docker,buildkit,podman").split(","));
want.baseline = opt("baseline", ""); // another berth tree (built): its berthd runs as "berth-base"

const outFile = opt("out", "bench-results.json");
const rows = ROWS.filter((r) => !r.derived && (only.length === 0 || only.includes(r.id)));
for (const r of rows) if (r.needs && !rows.some((x) => x.id === r.needs)) rows.unshift(ROWS.find((x) => x.id === r.needs));
const ordered = ROWS.filter((r) => rows.includes(r));

const work = mkdtempSync("/tmp/berth-bench.");
const samples = {}; // samples[row][engine] = [ms per round]
const record = (row, engine, value) => {
  samples[row] ??= {};
  (samples[row][engine] ??= []).push(value);
};
const failures = [];
const ctx = { work, extra: (e, row, v) => record(row, e.name, v) };
let stopEngines = async () => {};

async function main() {
  // busybox image, made here (no Docker Hub).
  const r = join(work, "rootfs");
  mkdirSync(join(r, "bin"), { recursive: true });
  mkdirSync(join(r, "etc"));
  sh(["cp", "/bin/busybox", join(r, "bin")]);
  for (const a of ["sh", "true", "sleep", "echo", "ls", "wc", "mkdir"]) sh(["ln", "-s", "busybox", join(r, "bin", a)]);
  writeFileSync(join(r, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  sh(["tar", "-C", r, "-cf", join(work, "bb.tar"), "."]);

  const started = await startEngines(work, want);
  stopEngines = started.stop;
  const engines = started.engines;
  const berth = engines.find((e) => e.name === "berth");
  const idleRss = {};
  for (const e of engines) {
    if (e.buildOnly) continue;
    const imp = sh(e.cli(["import", join(work, "bb.tar"), "bench-bb:latest"]), { env: e.env });
    if (imp.code !== 0) throw new Error(`${e.name}: import failed: ${imp.err}`);
  }
  await new Promise((res) => setTimeout(res, 2000));
  for (const e of engines) if (!e.buildOnly) idleRss[e.name] = memKiB(e.daemonPids());

  if (ordered.some((x) => x.fixture === "registry")) await registry(engines, berth);

  for (let round = 1; round <= runs; round++) {
    // Rotate the engines' order each round.
    const order = engines.map((_, i) => engines[(i + round - 1) % engines.length]);
    for (const e of order) {
      for (const row of ordered) {
        if (e.buildOnly && !row.build) continue; // BuildKit: build rows only
        try {
          record(row.id, e.name, await row.measure(e, ctx, round));
        } catch (err) {
          failures.push({ row: row.id, engine: e.name, round, error: String(err.message ?? err) });
          record(row.id, e.name, null);
        }
      }
      process.stderr.write(`round ${round}/${runs}: ${e.name} done\n`);
    }
  }
  await new Promise((res) => setTimeout(res, 2000));
  const idleAfter = {};
  for (const e of engines) if (!e.buildOnly) idleAfter[e.name] = memKiB(e.daemonPids());
  report(engines, idleRss, idleAfter);
}

const registries = new Map(); // address -> { pid, dir }

/** Starts a docker-registry on a random local port, storing under work; returns its address. */
async function startRegistry(name) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const addr = `127.0.0.1:${port}`;
  const dir = join(work, `reg-${name}`);
  writeFileSync(
    `${dir}.yml`,
    `version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: ${dir} } }\nhttp: { addr: ${addr} }\n`,
  );
  const reg = spawn("docker-registry", ["serve", `${dir}.yml`], { stdio: "ignore" });
  registries.set(addr, { pid: reg.pid, dir });
  for (let i = 0; i < 100 && sh(["curl", "-fsS", `http://${addr}/v2/`]).code !== 0; i++)
    await new Promise((res) => setTimeout(res, 100));
  return addr;
}

function stopRegistry(addr) {
  const r = registries.get(addr);
  if (!r) return;
  registries.delete(addr);
  try {
    process.kill(r.pid);
  } catch {
    // gone
  }
  rmSync(r.dir, { recursive: true, force: true });
}

ctx.freshRegistry = async (e) => {
  const addr = await startRegistry(`push-${Date.now()}`);
  allowInsecure(e, addr);
  return addr;
};
ctx.stopRegistry = stopRegistry;

/** A local docker-registry with a ~90 MB gzip Debian image (debootstrap), pushed once by berth. */
async function registry(engines, berth) {
  const deb = "/var/tmp/berth-deb/rootfs";
  if (!existsSync(join(deb, "usr/sbin/useradd"))) {
    const d = sh(["debootstrap", "--variant=minbase", "bookworm", deb, "http://deb.debian.org/debian"]);
    if (d.code !== 0) throw new Error(`debootstrap failed: ${d.err}`);
  }
  ctx.registry = await startRegistry("main");
  for (const e of engines) allowInsecure(e, ctx.registry);
  ctx.debian = `${ctx.registry}/bench/debian:12`;
  const tarFile = join(work, "debian.tar");
  sh(["tar", "--numeric-owner", "-C", deb, "-cf", tarFile, "."]);
  const pusher = berth ?? engines.find((e) => !e.buildOnly);
  for (const step of [["import", tarFile, ctx.debian], ["push", ctx.debian], ["rmi", ctx.debian]]) {
    const x = sh(pusher.cli(step), { env: pusher.env });
    if (x.code !== 0) throw new Error(`${step[0]} of the Debian image failed: ${x.err}`);
  }
  rmSync(tarFile);
  const m = sh([
    "curl",
    "-fsS",
    "-H",
    "Accept: application/vnd.docker.distribution.manifest.v2+json",
    `http://${ctx.registry}/v2/bench/debian/manifests/12`,
  ]);
  ctx.imageMB = Math.round(JSON.parse(m.out).layers.reduce((s, l) => s + l.size, 0) / 1e6);
}

function report(engines, idleRss, idleAfter) {
  const names = engines.map((e) => e.name);
  const others = names.filter((n) => n !== "berth");
  const peers = others.filter((n) => n !== "berth-base");
  const hasBase = names.includes("berth-base");
  const result = { date: new Date().toISOString(), runs, imageMB: ctx.imageMB, rows: {}, idleRssKiB: {}, failures };
  const fmt = (v, unit) => (v === undefined || Number.isNaN(v) ? "-" : unit === "KiB" ? (v / 1024).toFixed(2) : Math.round(v));
  const lines = [];
  const head = [
    "operation",
    ...names.map((n) => (n === "berth" ? "berth (min-max)" : n)),
    ...(hasBase ? ["base / berth"] : []),
    "best peer / berth",
  ];
  lines.push(`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`);
  for (const row of ROWS) {
    const s = samples[row.id];
    if (!s) continue;
    const stat = {};
    for (const n of names) {
      const xs = (s[n] ?? []).filter((x) => x !== null);
      if (!s[n]) continue;
      stat[n] = {
        median: xs.length === s[n].length ? median(xs) : NaN,
        min: Math.min(...xs),
        max: Math.max(...xs),
        samples: s[n],
      };
    }
    // Paired same-round ratios, peer/berth (rounds where both have a sample).
    let best;
    for (const p of others) {
      if (!stat[p] || !stat.berth) continue;
      const rs = [];
      for (let i = 0; i < Math.min(s[p].length, s.berth.length); i++)
        if (s[p][i] && s.berth[i]) rs.push(s[p][i] / s.berth[i]);
      if (!rs.length) continue;
      stat[p].ratio = median(rs);
      if (peers.includes(p) && (!best || stat[p].ratio < best.ratio)) best = { peer: p, ratio: stat[p].ratio };
    }
    result.rows[row.id] = { label: row.label, unit: row.unit, engines: stat, bestPeer: best };
    const cell = (n) => {
      const x = stat[n];
      if (!x) return "";
      if (Number.isNaN(x.median)) return "fail";
      const v = fmt(x.median, row.unit);
      return n === "berth" && runs > 1 ? `${v} (${fmt(x.min, row.unit)}-${fmt(x.max, row.unit)})` : `${v}`;
    };
    const bestCell = best ? `${best.ratio.toFixed(2)} (${best.peer})` : "";
    const baseCell = hasBase ? [stat["berth-base"]?.ratio?.toFixed(2) ?? ""] : [];
    lines.push(`| ${[row.label, ...names.map(cell), ...baseCell, bestCell].join(" | ")} |`);
  }
  for (const n of Object.keys(idleRss)) result.idleRssKiB[n] = { start: idleRss[n], end: idleAfter[n] };
  const rss = (n) => (idleRss[n] ? `${(idleRss[n] / 1024).toFixed(0)} MB (after: ${(idleAfter[n] / 1024).toFixed(0)})` : "none");
  const rssCells = names.map((n) => (idleRss[n] === undefined ? "" : rss(n)));
  lines.push(`| daemon idle RSS | ${[...rssCells, ...(hasBase ? [""] : []), ""].join(" | ")} |`);
  writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${lines.join("\n")}`);
  console.log(
    `\n(ms unless noted; memory rows in MiB; medians of ${runs} interleaved rounds; ratio: median of same-round peer/berth, below 1 = peer faster;` +
      `${ctx.imageMB ? ` Debian image ${ctx.imageMB} MB of gzip layers;` : ""} CLI ${DOCKER_CLI}; results in ${outFile})`,
  );
  for (const f of failures) console.log(`FAILED ${f.engine} ${f.row} round ${f.round}: ${f.error}`);
}

let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  await stopEngines();
  for (const addr of [...registries.keys()]) stopRegistry(addr);
  unmountUnder(work);
  rmSync(work, { recursive: true, force: true });
}
process.on("SIGINT", () => cleanup().then(() => process.exit(130)));
main()
  .catch((err) => {
    console.error(`bench: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
