/**
 * A full disk fails the operation, not the daemon: with --root on a small
 * loop-mounted ext4, a pull, a load, a build and a commit that run out of
 * space each fail with an error naming the path; berthd keeps serving; no
 * fd keeps a deleted file open (df and du agree) and the space comes back.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";

const MB = 1024 * 1024;

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** Used bytes of the filesystem at `mnt` (df) and bytes of the files under it (du). */
function usage(mnt: string): { df: number; du: number } {
  const df = Number(execSync(`df -B1 --output=used ${mnt} | tail -1`).toString().trim());
  const du = Number(execSync(`du -s -B1 -x ${mnt} | cut -f1`).toString().trim());
  return { df, du };
}

/** berthd's fds that point at deleted files. */
function deletedFds(pid: number): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const target = (() => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return "";
      }
    })();
    if (target.endsWith("(deleted)")) out.push(target);
  }
  return out;
}

/** A docker-archive with one layer holding `size` random bytes in /big. */
function bigArchive(work: string, size: number, tag: string, name = "big.tar"): string {
  const dir = join(work, "arch");
  mkdirSync(join(dir, "fs"), { recursive: true });
  execSync(`head -c ${size} /dev/urandom > ${join(dir, "fs", "big")}`);
  execSync(`tar --numeric-owner -C ${join(dir, "fs")} -cf ${join(dir, "layer.tar")} big`);
  const diff = createHash("sha256")
    .update(readFileSync(join(dir, "layer.tar")))
    .digest("hex");
  const config = {
    architecture: "amd64",
    os: "linux",
    config: { Cmd: ["sh"] },
    rootfs: { type: "layers", diff_ids: [`sha256:${diff}`] },
  };
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  writeFileSync(
    join(dir, "manifest.json"),
    JSON.stringify([{ Config: "config.json", RepoTags: [tag], Layers: ["layer.tar"] }]),
  );
  const out = join(work, name);
  execSync(`tar -C ${dir} -cf ${out} manifest.json config.json layer.tar`);
  rmSync(dir, { recursive: true, force: true });
  return out;
}

describe("a full disk", () => {
  let d: TestDaemon;
  let work: string;
  let mnt: string;
  let registry: ChildProcess;
  let reg: string;
  let archive: string;
  let baseline: number;

  before(async () => {
    work = mkdtempSync("/tmp/berth-full-");
    mnt = join(work, "mnt");
    mkdirSync(mnt);
    execSync(`truncate -s 72M ${work}/fs.img && mkfs.ext4 -q -F ${work}/fs.img`);
    execSync(`mount -o loop ${work}/fs.img ${mnt}`);
    reg = `127.0.0.1:${await freePort()}`;
    mkdirSync(join(work, "registry"));
    writeFileSync(
      join(work, "reg.yml"),
      `version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: ${work}/registry } }\nhttp: { addr: ${reg} }\n`,
    );
    registry = spawn("docker-registry", ["serve", join(work, "reg.yml")], { stdio: "ignore" });
    // An image bigger than the filesystem (random bytes: gzip cannot shrink it).
    archive = bigArchive(work, 80 * MB, "big:1");
    for (let i = 0; i < 100 && spawnSync("curl", ["-fsS", `http://${reg}/v2/`]).status !== 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    execSync(`skopeo copy -q --dest-tls-verify=false docker-archive:${archive} docker://${reg}/big:1`);
    // One whose blob fits but not its blob and its extracted layer together.
    const mid = bigArchive(work, 36 * MB, "mid:1", "mid.tar");
    execSync(`skopeo copy -q --dest-tls-verify=false docker-archive:${mid} docker://${reg}/mid:1`);
    d = await startDaemon({ root: join(mnt, "root") });
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    baseline = usage(mnt).df;
  });
  after(async () => {
    await cleanupDaemon(d);
    registry?.kill();
    spawnSync("umount", [mnt]);
    rmSync(work, { recursive: true, force: true });
  });

  /** The daemon answers, holds no deleted file, and the filesystem is back near its baseline. */
  function assertHealthy(what: string): void {
    assert.equal(d.docker(["version", "--format", "{{.Server.Version}}"]).code, 0, `${what}: daemon down`);
    assert.deepEqual(deletedFds(d.proc.pid!), [], `${what}: berthd keeps deleted files open`);
    const u = usage(mnt);
    assert.ok(Math.abs(u.df - u.du) < 4 * MB, `${what}: df ${u.df} and du ${u.du} disagree`);
    assert.ok(u.df - baseline < 4 * MB, `${what}: ${(u.df - baseline) / MB} MB not given back`);
  }

  it("fails a pull with an error naming the path", () => {
    const r = d.docker(["pull", `${reg}/big:1`], { timeout: 120_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.err + r.out, new RegExp(`${mnt}/root/.*: no space left on device`, "i"));
    assertHealthy("pull");
  });

  it("fails a pull whose layer does not fit beside its blob, keeping no deleted blob open", () => {
    for (let i = 0; i < 2; i++) {
      const r = d.docker(["pull", `${reg}/mid:1`], { timeout: 120_000 });
      assert.notEqual(r.code, 0);
      assert.match(r.err + r.out, new RegExp(`${mnt}/root/.*: no space left on device`, "i"));
    }
    assertHealthy("pull (extraction)");
  });

  it("fails a load with an error naming the path", () => {
    const r = d.docker(["load", "-i", archive], { timeout: 120_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.err + r.out, new RegExp(`${mnt}/root/.*: no space left on device`, "i"));
    assertHealthy("load");
  });

  it("fails a build whose layer does not fit, naming the path", () => {
    const r = d.docker(["build", "-t", "x", "-"], {
      input: "FROM bb\nRUN head -c 31457280 /dev/urandom > /big\n",
      timeout: 120_000,
    });
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.err + r.out, new RegExp(`${mnt}/root/.*: no space left on device`, "i"));
    d.ok(["container", "prune", "-f"]);
    assertHealthy("build");
  });

  it("survives a RUN that fills the disk (saving the container's exit fails)", () => {
    const r = d.docker(["build", "-t", "z", "-"], {
      input: "FROM bb\nRUN head -c 400000000 /dev/zero > /big\n",
      timeout: 120_000,
    });
    assert.notEqual(r.code, 0, r.out);
    d.ok(["container", "prune", "-f"]);
    assertHealthy("build filling the disk");
  });

  it("fails a commit that does not fit, naming the path", () => {
    d.ok(["run", "--name", "filler", "bb", "sh", "-c", "head -c 31457280 /dev/urandom > /big"]);
    const r = d.docker(["commit", "filler", "y"], { timeout: 120_000 });
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.err + r.out, new RegExp(`${mnt}/root/.*: no space left on device`, "i"));
    assert.equal(d.ok(["inspect", "-f", "{{.State.Status}}", "filler"]), "exited");
    d.ok(["rm", "filler"]);
    assertHealthy("commit");
  });

  it("still runs containers afterwards", () => {
    assert.equal(d.ok(["run", "--rm", "bb", "echo", "alive"]), "alive");
  });
});
