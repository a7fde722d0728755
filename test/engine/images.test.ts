/**
 * Image commands end to end: the real docker CLI against a private berthd
 * (import, images, inspect, tag, rmi, history, save/load), and archives made
 * by skopeo loading into berth (and berth's save read by skopeo).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";

describe("images via the docker CLI", () => {
  let d: TestDaemon;
  let work: string;
  let tarPath: string;

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-img-");
    tarPath = busyboxTar(work);
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  it("docker version and info talk to berthd", () => {
    assert.match(d.ok(["version"]), /Server:/);
    assert.equal(d.ok(["version", "--format", "{{.Server.APIVersion}}"]), "1.41");
    assert.match(d.ok(["info", "--format", "{{.OSType}} {{.Driver}}"]), /^linux overlay2$/);
  });

  it("imports, lists, inspects, tags and removes an image", () => {
    const id = d.ok(["import", "--change", 'CMD ["sh"]', "-m", "first", tarPath, "bb:one"]);
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    assert.equal(
      d.ok(["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}", "bb"]),
      `bb:one ${id.slice(7, 19)}`,
    );
    assert.equal(
      d.ok(["image", "inspect", "-f", "{{json .Config.Cmd}} {{len .RootFS.Layers}}", "bb:one"]),
      '["sh"] 1',
    );
    assert.equal(d.ok(["history", "--format", "{{.Comment}}", "bb:one"]), "first");
    d.ok(["tag", "bb:one", "localhost:5000/x/bb:two"]);
    assert.match(d.ok(["images", "--format", "{{.Repository}}:{{.Tag}}"]), /localhost:5000\/x\/bb:two/);
    const untag = d.ok(["rmi", "localhost:5000/x/bb:two"]);
    assert.equal(untag, "Untagged: localhost:5000/x/bb:two");
    assert.equal(d.docker(["image", "inspect", "bb:one"]).code, 0, "the other tag keeps the image");
    const rm = d.ok(["rmi", "bb:one"]);
    assert.match(rm, /Untagged: bb:one\nDeleted: sha256:/);
    assert.notEqual(d.docker(["image", "inspect", id]).code, 0);
    // The layer's files are gone from disk too (GC).
    const left = spawnSync("sh", ["-c", `ls ${d.root}/layers | wc -l`])
      .stdout.toString()
      .trim();
    assert.equal(left, "0");
  });

  it("save -> rmi -> load keeps the image ID, and skopeo reads berth's archive", () => {
    const id = d.ok(["import", tarPath, "bb:save"]);
    const archive = join(work, "saved.tar");
    d.ok(["save", "-o", archive, "bb:save"]);
    const inspect = spawnSync("skopeo", ["inspect", `docker-archive:${archive}`], { encoding: "utf8" });
    assert.equal(inspect.status, 0, inspect.stderr);
    assert.equal(JSON.parse(inspect.stdout).Layers.length, 1);
    d.ok(["rmi", "bb:save"]);
    assert.match(d.ok(["load", "-i", archive]), /Loaded image: bb:save/);
    assert.equal(d.ok(["image", "inspect", "-f", "{{.Id}}", "bb:save"]), id);
  });

  it("loads archives written by skopeo (docker-archive and oci-archive)", () => {
    const archive = join(work, "src.tar");
    d.ok(["save", "-o", archive, "bb:save"]);
    const id = d.ok(["image", "inspect", "-f", "{{.Id}}", "bb:save"]);
    for (const kind of ["docker-archive", "oci-archive"]) {
      const out = join(work, `${kind}.tar`);
      const r = spawnSync(
        "skopeo",
        ["copy", `docker-archive:${archive}`, `${kind}:${out}:skopeo/${kind}:v1`],
        { encoding: "utf8" },
      );
      assert.equal(r.status, 0, r.stderr);
      const loaded = d.ok(["load", "-i", out]);
      assert.match(loaded, /Loaded image/);
      // Same layer content, so same diffIDs (the config may differ in format).
      const layers = d.ok(["image", "inspect", "-f", "{{json .RootFS.Layers}}", id]);
      const imgs = d.ok(["images", "-q", "--no-trunc"]).split("\n");
      assert.ok(imgs.some((i) => d.ok(["image", "inspect", "-f", "{{json .RootFS.Layers}}", i]) === layers));
    }
  });

  it("refuses bad input with Docker's status codes", () => {
    const r = d.docker(["image", "inspect", "nope:missing"]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /No such image/);
    const bad = d.docker(["tag", "bb:save", "UPPERCASE"]);
    assert.notEqual(bad.code, 0);
  });

  it("rmi of an image a container uses answers as Docker's ImageDelete", () => {
    const id = d.ok(["import", tarPath, "solo"]).slice(7, 19);
    const c = d.ok(["run", "-d", "solo", "sleep", "300"]).slice(0, 12);
    const err = (args: string[]) => {
      const r = d.docker(args);
      assert.notEqual(r.code, 0, args.join(" "));
      return r.err.trim();
    };
    assert.equal(
      err(["rmi", "solo"]),
      `Error response from daemon: conflict: unable to remove repository reference "solo:latest" (must force) - container ${c} is using its referenced image ${id}`,
    );
    assert.equal(
      err(["rmi", "-f", id]),
      `Error response from daemon: conflict: unable to delete ${id} (cannot be forced) - image is being used by running container ${c}`,
    );
    d.ok(["stop", "-t", "0", c]);
    assert.equal(
      err(["rmi", id]),
      `Error response from daemon: conflict: unable to delete ${id} (must be forced) - image is being used by stopped container ${c}`,
    );
    // -f by name: only the tag goes; the container keeps its image.
    assert.equal(d.ok(["rmi", "-f", "solo"]), "Untagged: solo:latest");
    assert.equal(d.ok(["inspect", "-f", "{{.Image}}", c]).slice(7, 19), id);
    d.ok(["rm", c]);
  });

  it("reads an image `until` filter as prune's: a duration before now, Unix seconds or a date", () => {
    const id = d.ok(["import", tarPath, "fresh:1"]);
    // moby's default import message, in the config and its history.
    assert.equal(d.ok(["image", "inspect", "-f", "{{.Comment}}", "fresh:1"]), "Imported from -");
    assert.equal(d.ok(["history", "--format", "{{.Comment}}", "fresh:1"]), "Imported from -");
    // Made a moment ago: not created before "1h" ago, so neither listed nor pruned.
    assert.equal(d.ok(["images", "-q", "--filter", "until=1h", "fresh"]), "");
    assert.doesNotMatch(d.ok(["image", "prune", "-a", "-f", "--filter", "until=1h"]), /fresh/);
    assert.equal(d.ok(["images", "-q", "fresh"]), id.slice(7, 19));
    const later = String(Math.floor(Date.now() / 1000) + 60);
    assert.equal(d.ok(["images", "-q", "--filter", `until=${later}`, "fresh"]), id.slice(7, 19));
    assert.match(d.ok(["image", "prune", "-a", "-f", "--filter", "until=2099-01-01T00:00:00Z"]), /fresh:1/);
    assert.equal(d.ok(["images", "-q", "fresh"]), "");
  });
});
