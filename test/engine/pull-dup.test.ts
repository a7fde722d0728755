/**
 * A blob is written by one pull worker at a time: an image whose manifest
 * lists the same layer several times is pulled whole,
 * its layers fetched in parallel without interleaving into one ingest file.
 */
import assert from "node:assert/strict";
import { execSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

describe("pull of a repeated layer", () => {
  let d: TestDaemon;
  let work: string;
  let reg: TestRegistry;

  before(async () => {
    work = mkdtempSync("/tmp/berth-pulldup-");
    reg = await startRegistry(work);
    d = await startDaemon();
  });
  after(async () => {
    await cleanupDaemon(d);
    reg?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("pulls an image listing one layer three times whole", () => {
    // A docker-archive made here: busybox's root, then one layer (a 3 MiB file) three times.
    const dir = join(work, "archive");
    mkdirSync(dir);
    const files = join(work, "files");
    mkdirSync(files);
    execSync(`head -c 3145728 /dev/urandom > ${files}/f`);
    execSync(`tar --numeric-owner --mtime=@0 -C ${files} -cf ${dir}/layer.tar f`);
    copyFileSync(busyboxTar(work), join(dir, "base.tar"));
    const diff = (f: string) =>
      `sha256:${createHash("sha256")
        .update(readFileSync(join(dir, f)))
        .digest("hex")}`;
    const config = JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Cmd: ["sh"] },
      rootfs: { type: "layers", diff_ids: [diff("base.tar"), ...Array(3).fill(diff("layer.tar"))] },
    });
    writeFileSync(join(dir, "config.json"), config);
    const name = `${reg.addr}/dup:1`;
    writeFileSync(
      join(dir, "manifest.json"),
      JSON.stringify([
        {
          Config: "config.json",
          RepoTags: [name],
          Layers: ["base.tar", "layer.tar", "layer.tar", "layer.tar"],
        },
      ]),
    );
    execSync(`tar -C ${dir} -cf ${work}/dup.tar config.json manifest.json base.tar layer.tar`);
    d.ok(["load", "-i", `${work}/dup.tar`]);
    d.ok(["push", name]);
    d.ok(["rmi", name]);
    d.ok(["pull", name]);
    const sum = (s: string) => s.split(/\s/)[0];
    assert.equal(
      sum(d.ok(["run", "--rm", name, "md5sum", "/f"])),
      sum(execSync(`md5sum ${files}/f`).toString()),
    );
  });
});
