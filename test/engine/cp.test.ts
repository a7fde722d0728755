/**
 * `docker cp` with the real docker CLI and `berth cp` (issue 13): every row
 * of the table in Docker's `docker cp` reference, both directions, against a running
 * container; `DIR/.` into a new and an existing directory; an existing
 * destination's mode and owner kept; -L; and the container's own view: a
 * named volume, a bind, a tmpfs and /etc/{hosts,hostname,resolv.conf}, for a
 * running and a stopped container, with a read-only bind refused.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, DOCKER, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { eventually } from "../helpers/wait.js";

/** A tree as sorted "path/" and "path:content" lines (paths relative to `dir`). */
function hostTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    for (const n of readdirSync(p).sort()) {
      const abs = join(p, n);
      const rel = relative(dir, abs);
      if (lstatSync(abs).isDirectory()) {
        out.push(`${rel}/`);
        walk(abs);
      } else out.push(`${rel}:${readFileSync(abs, "utf8").trim()}`);
    }
  };
  walk(dir);
  return out.sort();
}

const BASE = ["existdir/", "existdir/pre.txt:P", "existing.txt:OLD"];
const DIR = (at: string) => [`${at}/`, `${at}/a.txt:A`, `${at}/sub/`, `${at}/sub/b.txt:B`];

/** Docker's cp reference table: source, destination (in a base dir), and the base dir after. */
const TABLE: { src: string; dst: string; want: string[] | RegExp }[] = [
  { src: "f.txt", dst: "new", want: [...BASE, "new:F"] },
  { src: "f.txt", dst: "new/", want: /no such directory|not exist/i },
  { src: "f.txt", dst: "existing.txt", want: ["existdir/", "existdir/pre.txt:P", "existing.txt:F"] },
  { src: "f.txt", dst: "existdir", want: [...BASE, "existdir/f.txt:F"] },
  { src: "f.txt", dst: "existdir/", want: [...BASE, "existdir/f.txt:F"] },
  { src: "d", dst: "new", want: [...BASE, ...DIR("new")] },
  { src: "d", dst: "new/", want: [...BASE, ...DIR("new")] },
  { src: "d", dst: "existing.txt", want: /cannot copy directory/i },
  { src: "d", dst: "existdir", want: [...BASE, ...DIR("existdir/d")] },
  { src: "d/", dst: "existdir", want: [...BASE, ...DIR("existdir/d")] },
  {
    src: "d/.",
    dst: "existdir",
    want: [...BASE, "existdir/a.txt:A", "existdir/sub/", "existdir/sub/b.txt:B"],
  },
  { src: "d/.", dst: "new", want: [...BASE, ...DIR("new")] },
];

describe("docker cp", () => {
  let d: TestDaemon;
  let work: string;
  let bind: string;
  let roBind: string;

  const sh = (c: string, script: string) => d.ok(["exec", c, "sh", "-c", script]);
  /** The container's tree below `dir` in hostTree's format. */
  const ctrTree = (c: string, dir: string) =>
    sh(
      c,
      `cd ${dir} && find . -mindepth 1 | sort | while read p; do p=\${p#./}; if [ -d "$p" ]; then echo "$p/"; else echo "$p:$(cat "$p")"; fi; done`,
    )
      .split("\n")
      .filter(Boolean)
      .sort();

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-cp-");
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    bind = join(work, "bind");
    roBind = join(work, "robind");
    mkdirSync(bind);
    mkdirSync(roBind);
    writeFileSync(join(bind, "from-host.txt"), "bind file\n");
    writeFileSync(join(roBind, "ro.txt"), "ro file\n");
    for (const name of ["live", "stopped"]) {
      d.ok([
        "run",
        "-d",
        "--name",
        name,
        "--hostname",
        `${name}-host`,
        "-v",
        `vol-${name}:/data`,
        "-v",
        `${bind}:/bind`,
        "-v",
        `${roBind}:/robind:ro`,
        "--tmpfs",
        "/scratch",
        "bb",
        "sleep",
        "1000",
      ]);
    }
  });
  after(async () => {
    await cleanupDaemon(d);
    d?.docker(["volume", "rm", "vol-live", "vol-stopped"]);
    rmSync(work, { recursive: true, force: true });
  });

  /** The berth CLI (dist/src/cli/main.js) against the same daemon. */
  const berth = (args: string[]) => {
    const r = spawnSync(process.execPath, [resolve(import.meta.dirname, "../../src/cli/main.js"), ...args], {
      env: { ...process.env, DOCKER_HOST: d.host },
      encoding: "utf8",
    });
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
  };

  for (const cli of ["docker", "berth"] as const)
    TABLE.forEach((row, j) => {
      const i = cli === "docker" ? j : j + 100;
      const run = (args: string[]) => (cli === "docker" ? d.docker(args) : berth(args));
      it(`${cli} cp out: ${row.src} -> ${row.dst}`, () => {
        sh(
          "live",
          `rm -rf /o${i} && mkdir -p /o${i}/d/sub && cd /o${i} && echo F > f.txt && echo A > d/a.txt && echo B > d/sub/b.txt`,
        );
        const base = join(work, `out${i}`);
        mkdirSync(join(base, "existdir"), { recursive: true });
        writeFileSync(join(base, "existdir", "pre.txt"), "P\n");
        writeFileSync(join(base, "existing.txt"), "OLD\n");
        const r = run(["cp", `live:/o${i}/${row.src}`, `${base}/${row.dst}`]);
        if (row.want instanceof RegExp) {
          assert.notEqual(r.code, 0, r.out);
          assert.match(r.err, row.want);
          assert.deepEqual(hostTree(base), BASE);
        } else {
          assert.equal(r.code, 0, r.err);
          assert.deepEqual(hostTree(base), [...row.want].sort());
        }
      });

      it(`${cli} cp in: ${row.src} -> ${row.dst}`, () => {
        const src = join(work, `src${i}`);
        mkdirSync(join(src, "d", "sub"), { recursive: true });
        writeFileSync(join(src, "f.txt"), "F\n");
        writeFileSync(join(src, "d", "a.txt"), "A\n");
        writeFileSync(join(src, "d", "sub", "b.txt"), "B\n");
        sh(
          "live",
          `rm -rf /i${i} && mkdir -p /i${i}/existdir && echo P > /i${i}/existdir/pre.txt && echo OLD > /i${i}/existing.txt`,
        );
        const r = run(["cp", `${src}/${row.src}`, `live:/i${i}/${row.dst}`]);
        if (row.want instanceof RegExp) {
          assert.notEqual(r.code, 0, r.out);
          assert.match(r.err, row.want);
          assert.deepEqual(ctrTree("live", `/i${i}`), BASE);
        } else {
          assert.equal(r.code, 0, r.err);
          assert.deepEqual(ctrTree("live", `/i${i}`), [...row.want].sort());
        }
      });
    });

  it("DIR/. keeps an existing destination's mode and owner (/tmp 1777, /home/app 1000:1000)", () => {
    const src = join(work, "meta");
    mkdirSync(join(src, "inner"), { recursive: true });
    writeFileSync(join(src, "m.txt"), "m\n");
    for (const c of ["live", "stopped"]) {
      const before = sh(c, "stat -c '%a %u:%g' /tmp /home/app");
      assert.equal(before, "1777 0:0\n755 1000:1000");
      if (c === "stopped") d.ok(["stop", "-t", "0", c]);
      assert.equal(d.docker(["cp", `${src}/.`, `${c}:/tmp`]).code, 0);
      assert.equal(d.docker(["cp", `${src}/.`, `${c}:/home/app`]).code, 0);
      if (c === "stopped") d.ok(["start", c]);
      assert.equal(sh(c, "stat -c '%a %u:%g' /tmp /home/app"), before);
      assert.equal(sh(c, "cat /tmp/m.txt /home/app/m.txt"), "m\nm");
    }
  });

  it("-a gives what goes in to the container's user (Docker's tarCopyOptions)", () => {
    d.ok(["run", "-d", "--name", "asuser", "--user", "app", "bb", "sleep", "1000"]);
    const f = join(work, "owned.txt");
    writeFileSync(f, "owned\n");
    d.ok(["cp", "-a", f, "asuser:/tmp/"]);
    assert.equal(sh("asuser", "stat -c '%u:%g' /tmp/owned.txt"), "1000:1000");
    d.ok(["rm", "-f", "asuser"]);
  });

  it("a --read-only rootfs refuses cp in with Docker's error, its volumes take it", () => {
    d.ok(["create", "--name", "rofs", "--read-only", "-v", "/vol", "bb", "true"]);
    const f = join(work, "rofs.txt");
    writeFileSync(f, "x\n");
    const r = d.docker(["cp", f, "rofs:/tmp/"]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /container rootfs is marked read-only/);
    d.ok(["cp", f, "rofs:/vol/"]);
    d.ok(["rm", "-f", "-v", "rofs"]);
  });

  it("a client hanging up mid-copy leaves the daemon serving and no fd behind", async () => {
    sh(
      "live",
      "mkdir -p /big && for i in $(seq 1 100); do dd if=/dev/zero of=/big/f$i bs=64k count=4 2>/dev/null; done",
    );
    const file = join(work, "not-a-dir");
    writeFileSync(file, "x");
    const fds = () => readdirSync(`/proc/${d.proc.pid}/fd`).length;
    // The CLI reads the stat header, finds it cannot copy a directory onto a file and hangs up.
    assert.match(d.docker(["cp", "live:/big", file]).err, /cannot copy directory/);
    await new Promise((r) => setTimeout(r, 500));
    const before = fds();
    for (let i = 0; i < 5; i++)
      assert.match(d.docker(["cp", "live:/big", file]).err, /cannot copy directory/);
    // Closing a hung-up stream's fds can take a moment on a loaded machine.
    await eventually(`berthd to hold no more fds than ${before}`, () => fds() <= before, 15_000).catch(() =>
      assert.fail(`berthd holds ${fds() - before} more fds`),
    );
    assert.equal(d.docker(["version"]).code, 0);
  });

  it("entries whose path holds a link follow it inside the container's root (/lnk -> /real, /esc -> /)", () => {
    for (const c of ["live", "stopped"]) {
      sh(c, "mkdir -p /real && ln -sfn /real /lnk && ln -sfn / /esc");
      const hostTarget = join(work, `esc-target-${c}`);
      mkdirSync(hostTarget);
      const src = join(work, `through-links-${c}`);
      mkdirSync(join(src, "lnk"), { recursive: true });
      mkdirSync(join(src, "esc", hostTarget), { recursive: true });
      writeFileSync(join(src, "lnk", "in-real.txt"), "real\n");
      writeFileSync(join(src, "esc", hostTarget, "x.txt"), "escaped?\n");
      if (c === "stopped") d.ok(["stop", "-t", "0", c]);
      // A directory entry over the link is refused, as Docker's NoOverwriteDirNonDir does...
      assert.match(d.docker(["cp", `${src}/.`, `${c}:/`]).err, /cannot overwrite non-directory/);
      // ...and entries below it follow it, inside the container's root.
      const tarball = spawnSync("tar", ["-C", src, "-cf", "-", "lnk/in-real.txt", `esc${hostTarget}/x.txt`]);
      assert.equal(tarball.status, 0);
      const put = d.docker(["cp", "-", `${c}:/`], { input: tarball.stdout });
      assert.equal(put.code, 0, put.err);
      if (c === "stopped") d.ok(["start", c]);
      assert.equal(sh(c, `cat /real/in-real.txt ${hostTarget}/x.txt`), "real\nescaped?");
      assert.deepEqual(readdirSync(hostTarget), [], "written on the host");
    }
  });

  it("-L copies a link's target, without it the link", () => {
    sh("live", "mkdir -p /lk && echo target > /lk/t.txt && ln -sf t.txt /lk/link");
    const out = join(work, "links");
    mkdirSync(out);
    d.ok(["cp", "live:/lk/link", join(out, "plain")]);
    assert.ok(lstatSync(join(out, "plain")).isSymbolicLink());
    d.ok(["cp", "-L", "live:/lk/link", join(out, "followed")]);
    assert.equal(readFileSync(join(out, "followed"), "utf8"), "target\n");
  });

  /** Reads one file out of a container through `docker cp c:path -` (a tar on stdout). */
  const readOut = (c: string, path: string): string => {
    const r = spawnSync("sh", ["-c", `${DOCKER} cp ${c}:${path} - | tar -xOf -`], {
      env: { ...process.env, DOCKER_HOST: d.host },
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };

  for (const state of ["running", "stopped"] as const) {
    it(`sees the container's mounts and /etc files when ${state}`, () => {
      const c = state === "running" ? "live" : "stopped";
      const volDir = d.ok(["volume", "inspect", "-f", "{{.Mountpoint}}", `vol-${c}`]);
      writeFileSync(join(volDir, `in-volume-${state}.txt`), "volume file\n");
      if (state === "stopped") d.ok(["stop", "-t", "0", c]);
      else sh(c, "echo tmpfs file > /scratch/t.txt");
      // Out of the container: what it sees at those paths.
      assert.equal(readOut(c, `/data/in-volume-${state}.txt`), "volume file\n");
      assert.equal(readOut(c, "/bind/from-host.txt"), "bind file\n");
      assert.equal(readOut(c, "/robind/ro.txt"), "ro file\n");
      assert.equal(readOut(c, "/etc/hostname"), `${c}-host\n`);
      assert.match(readOut(c, "/etc/hosts"), new RegExp(`${c}-host`));
      assert.match(readOut(c, "/etc/resolv.conf"), /nameserver/);
      if (state === "running") assert.equal(readOut(c, "/scratch/t.txt"), "tmpfs file\n");
      // Into the container: lands where the container sees it.
      const f = join(work, `put-${state}.txt`);
      writeFileSync(f, `put ${state}\n`);
      d.ok(["cp", f, `${c}:/data/`]);
      assert.equal(readFileSync(join(volDir, `put-${state}.txt`), "utf8"), `put ${state}\n`);
      d.ok(["cp", f, `${c}:/bind/`]);
      assert.equal(readFileSync(join(bind, `put-${state}.txt`), "utf8"), `put ${state}\n`);
      const hosts = join(work, "hosts");
      writeFileSync(hosts, `10.9.9.9\tcp-${state}\n`);
      d.ok(["cp", hosts, `${c}:/etc/hosts`]);
      assert.match(readOut(c, "/etc/hosts"), new RegExp(`cp-${state}`));
      if (state === "running") {
        d.ok(["cp", f, `${c}:/scratch/`]);
        assert.equal(sh(c, `cat /scratch/put-${state}.txt`), `put ${state}`);
        assert.equal(
          sh(c, `cat /data/put-${state}.txt /bind/put-${state}.txt`),
          `put ${state}\nput ${state}`,
        );
        assert.match(sh(c, "cat /etc/hosts"), new RegExp(`cp-${state}`));
      }
      // A read-only bind is refused with Docker's error, and nothing lands there.
      const ro = d.docker(["cp", f, `${c}:/robind/`]);
      assert.notEqual(ro.code, 0);
      assert.match(ro.err, /mounted volume is marked read-only/);
      assert.deepEqual(readdirSync(roBind), ["ro.txt"]);
      if (state === "stopped") {
        d.ok(["start", c]);
        assert.equal(
          sh(c, `cat /data/put-${state}.txt /bind/put-${state}.txt`),
          `put ${state}\nput ${state}`,
        );
      }
    });
  }
});
