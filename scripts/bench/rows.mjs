// make bench: the rows of issue 17's table. Each row times one operation on one engine and
// checks its result (a failed or wrong result is recorded as a failure, never as a time).
// measure() returns milliseconds (or KiB for memory rows); ctx holds the shared fixtures.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { memKiB, pidsOf, sh } from "./engines.mjs";

const run = (e, args, o = {}) => sh(e.cli(args), { env: e.env, ...o });

function ok(r, what) {
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code}: ${r.err.trim().split("\n").pop()}`);
  return r;
}

/** Median of a list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

const memAvailableKiB = () => Number(/^MemAvailable:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))[1]);

/** Time of `times` runs of args, median (a row's sample is itself a median of a few quick runs). */
function quick(e, args, times, check) {
  const ms = [];
  for (let i = 0; i < times; i++) {
    const r = ok(run(e, args), args.join(" "));
    if (check) check(r);
    ms.push(r.ms);
  }
  return median(ms);
}

const N50 = 50;
const BUILD_STEPS = 10;

function buildContext(dir) {
  rmSync(dir, { recursive: true, force: true });
  const lines = ["FROM bench-bb", "COPY f /f"];
  for (let i = 3; i <= BUILD_STEPS; i++) lines.push(`RUN echo step${i} > /s${i}`);
  sh(["mkdir", "-p", dir]);
  writeFileSync(join(dir, "Dockerfile"), `${lines.join("\n")}\n`);
  writeFileSync(join(dir, "f"), `${Date.now()}\n`);
}

const build = (e, dir, extra = []) =>
  ok(
    sh(e.cli(["build", "-q", ...extra, "-t", "bench-build", dir]), {
      env: { DOCKER_BUILDKIT: "0", BUILDAH_LAYERS: "true", ...(e.env ?? {}) },
    }),
    "build",
  ).ms;

export const ROWS = [
  {
    id: "run_none",
    label: "run --rm --network none busybox true",
    unit: "ms",
    measure: (e) => quick(e, ["run", "--rm", "--network", "none", "bench-bb", "true"], 3),
  },
  {
    id: "run_bridge",
    label: "run --rm busybox true (default bridge)",
    unit: "ms",
    measure: (e) => quick(e, ["run", "--rm", "bench-bb", "true"], 3),
  },
  {
    id: "exec",
    label: "exec (running container, true)",
    unit: "ms",
    measure: (e) => {
      run(e, ["rm", "-f", "bench-exec"]);
      ok(run(e, ["run", "-d", "--name", "bench-exec", "--network", "none", "bench-bb", "sleep", "600"]), "run -d");
      try {
        quick(e, ["exec", "bench-exec", "true"], 1); // warm
        return quick(e, ["exec", "bench-exec", "echo", "ok"], 3, (r) => {
          if (r.out.trim() !== "ok") throw new Error(`exec printed ${JSON.stringify(r.out)}`);
        });
      } finally {
        run(e, ["rm", "-f", "bench-exec"]);
      }
    },
  },
  {
    id: "run50",
    label: `${N50} detached containers, one after another`,
    unit: "ms",
    // Also samples memory per container and ps -a, and leaves the 50 for rm50.
    measure: (e, ctx) => {
      run(e, ["rm", "-f", ...Array.from({ length: N50 }, (_, i) => `bench-d${i}`)]);
      const daemonBefore = memKiB(e.daemonPids());
      const availBefore = memAvailableKiB();
      const t0 = Date.now();
      for (let i = 0; i < N50; i++)
        ok(run(e, ["run", "-d", "--name", `bench-d${i}`, "--network", "none", "bench-bb", "sleep", "600"]), "run -d");
      const ms = Date.now() - t0;
      const avail = memAvailableKiB();
      const mon = pidsOf(e.monitor[0], e.monitor[1]);
      ctx.extra(e, "mem_avail", (availBefore - avail) / N50);
      ctx.extra(e, "mem_monitor_pss", memKiB(mon, true) / N50 + (memKiB(e.daemonPids()) - daemonBefore) / N50);
      const ps = ok(run(e, ["ps", "-a"]), "ps -a");
      if (ps.out.trim().split("\n").length < N50 + 1) throw new Error("ps -a misses containers");
      ctx.extra(e, "ps50", quick(e, ["ps", "-a"], 3));
      return ms;
    },
  },
  {
    id: "rm50",
    label: `rm -f of those ${N50}`,
    unit: "ms",
    needs: "run50",
    measure: (e) => {
      const names = Array.from({ length: N50 }, (_, i) => `bench-d${i}`);
      // podman's rm -f sends SIGTERM and waits 10 s; Docker's (and berth's) kill at once: -t 0 is that.
      const r = ok(run(e, ["rm", "-f", ...(e.name === "podman" ? ["-t", "0"] : []), ...names]), "rm -f");
      if (run(e, ["ps", "-aq", "--filter", "name=bench-d"]).out.trim()) throw new Error("containers left");
      return r.ms;
    },
  },
  { id: "mem_avail", label: "host memory per running container (MemAvailable drop, KiB)", unit: "KiB", derived: true },
  { id: "mem_monitor_pss", label: "per container: monitor PSS + daemon growth (KiB)", unit: "KiB", derived: true },
  { id: "ps50", label: `ps -a with ${N50}`, unit: "ms", derived: true },
  {
    id: "pull",
    label: "pull of the Debian image (gzip), local registry",
    unit: "ms",
    fixture: "registry",
    measure: (e, ctx) => {
      run(e, ["rmi", "-f", ctx.debian]);
      run(e, ["image", "prune", "-f"]);
      const r = ok(run(e, ["pull", ctx.debian]), "pull");
      ok(run(e, ["image", "inspect", ctx.debian]), "pulled image");
      return r.ms;
    },
  },
  {
    id: "push",
    label: "push of it to a fresh repository",
    unit: "ms",
    fixture: "registry",
    // A registry of its own per push (started untimed): no blob is there already to mount.
    measure: async (e, ctx, round) => {
      if (run(e, ["image", "inspect", ctx.debian]).code !== 0) ok(run(e, ["pull", ctx.debian]), "pull");
      const reg = await ctx.freshRegistry(e);
      try {
        const ref = `${reg}/bench/push-${e.name}-${round}:1`;
        ok(run(e, ["tag", ctx.debian, ref]), "tag");
        const r = ok(run(e, ["push", ref]), "push");
        run(e, ["rmi", ref]);
        return r.ms;
      } finally {
        ctx.stopRegistry(reg);
      }
    },
  },
  {
    id: "build_cold",
    label: `build, cold, ${BUILD_STEPS} steps`,
    unit: "ms",
    build: true,
    measure: (e, ctx) => {
      const dir = join(ctx.work, `ctx-${e.name}`);
      buildContext(dir);
      return build(e, dir, ["--no-cache"]);
    },
  },
  {
    id: "build_nochange",
    label: "build, no change",
    unit: "ms",
    build: true,
    needs: "build_cold",
    measure: (e, ctx) => build(e, join(ctx.work, `ctx-${e.name}`)),
  },
  {
    id: "build_onefile",
    label: "build, one context file changed",
    unit: "ms",
    build: true,
    needs: "build_cold",
    measure: (e, ctx) => {
      const dir = join(ctx.work, `ctx-${e.name}`);
      writeFileSync(join(dir, "f"), `${Date.now()} changed\n`);
      return build(e, dir);
    },
  },
  {
    id: "commit10k",
    label: "commit of 10,000 new files",
    unit: "ms",
    measure: (e) => {
      run(e, ["rm", "-f", "bench-c10k"]);
      const script = "mkdir /d && cd /d && i=0 && while [ $i -lt 10000 ]; do echo $i > f$i; i=$((i+1)); done";
      ok(run(e, ["run", "--name", "bench-c10k", "--network", "none", "bench-bb", "sh", "-c", script]), "make files");
      try {
        const r = ok(run(e, ["commit", "bench-c10k", "bench-c10k:img"]), "commit");
        const n = run(e, ["run", "--rm", "--network", "none", "bench-c10k:img", "sh", "-c", "ls /d | wc -l"]);
        if (n.out.trim() !== "10000") throw new Error(`committed image has ${n.out.trim()} files`);
        return r.ms;
      } finally {
        run(e, ["rm", "-f", "bench-c10k"]);
        run(e, ["rmi", "-f", "bench-c10k:img"]);
      }
    },
  },
  {
    id: "save_load",
    label: "save + load of the Debian image",
    unit: "ms",
    fixture: "registry",
    measure: (e, ctx) => {
      if (run(e, ["image", "inspect", ctx.debian]).code !== 0) ok(run(e, ["pull", ctx.debian]), "pull");
      const file = join(ctx.work, `save-${e.name}.tar`);
      rmSync(file, { force: true });
      const s = ok(run(e, ["save", "-o", file, ctx.debian]), "save");
      ok(run(e, ["rmi", "-f", ctx.debian]), "rmi");
      run(e, ["image", "prune", "-f"]);
      const l = ok(run(e, ["load", "-i", file]), "load");
      rmSync(file, { force: true });
      ok(run(e, ["image", "inspect", ctx.debian]), "loaded image");
      ctx.extra(e, "load", l.ms);
      return s.ms + l.ms;
    },
  },
  { id: "load", label: "  of which load", unit: "ms", derived: true },
];
