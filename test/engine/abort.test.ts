/**
 * Work a client abandons is cancelled, as moby cancels a request's context:
 * a `docker pull` or `docker push` whose CLI is killed mid-way stops its
 * transfers (the registry side sees the connection closed), records nothing
 * and lets go of its fds; a `docker save` whose reader stops early ends its
 * walk; a `docker load` whose upload is cut or truncated leaves no image and
 * no temp data. A slow registry is a throttling proxy in this process in
 * front of Debian's docker-registry.
 */
import assert from "node:assert/strict";
import { execSync, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import type { Server } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, DOCKER, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { dockerAsync } from "../helpers/docker-async.js";
import { slowProxy, type Traffic } from "../helpers/proxy.js";
import { buildRandomLayerImage, freePort, startRegistry, type TestRegistry } from "../helpers/registry.js";
import { eventually } from "../helpers/wait.js";

/** berthd's open fds: their count, their targets, and the ones under `under`. */
function fds(d: TestDaemon, under = "\0"): { n: number; all: string[]; inside: string[] } {
  const dir = `/proc/${d.proc.pid}/fd`;
  const all: string[] = [];
  for (const f of readdirSync(dir)) {
    try {
      all.push(readlinkSync(join(dir, f)));
    } catch {
      // closed while we looked
    }
  }
  // The root's lock is held for the daemon's life.
  const inside = all.filter((t) => t.startsWith(under) && !t.endsWith("/berthd.lock"));
  return { n: all.length, all, inside };
}

/** Waits until berthd has at most `base` fds and none under its root (returns the count); the failure lists them. */
async function fdsBackTo(d: TestDaemon, base: number): Promise<number> {
  let last = fds(d, d.root);
  try {
    await eventually(
      `berthd's fds back to ${base}`,
      () => {
        last = fds(d, d.root);
        return last.n <= base && last.inside.length === 0;
      },
      60_000,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${last.n} open: ${last.all.join(" ")}`);
  }
  return last.n;
}

/** berthd's child processes (gzip, zstd, tar... none should outlive its request). */
function children(d: TestDaemon): string[] {
  const f = `/proc/${d.proc.pid}/task/${d.proc.pid}/children`;
  return existsSync(f) ? readFileSync(f, "utf8").trim().split(/\s+/).filter(Boolean) : [];
}

/** Requests to `path` berthd has finished (its handler returned): the "request" lines of its log. */
function finished(d: TestDaemon, path: RegExp): number {
  return d
    .log()
    .split("\n")
    .filter((l) => l.includes('"msg":"request"') && path.test(l)).length;
}

/** Entries of the root's temp places: tmp/, content/ingest/, overlay/tmp-*. */
function leftovers(d: TestDaemon): string[] {
  const ls = (p: string) => (existsSync(p) ? readdirSync(p).map((n) => join(p, n)) : []);
  return [
    ...ls(join(d.root, "tmp")),
    ...ls(join(d.root, "content", "ingest")),
    ...ls(join(d.root, "overlay")).filter((p) => p.includes("/tmp-")),
  ];
}

/**
 * POSTs half of `file` to `path` with the whole size declared, waits until a
 * temp entry berthd made for it shows (`seen`), closes the connection, and
 * waits for berthd to end the request and leave no temp data.
 */
async function cutUpload(d: TestDaemon, path: string, file: string, seen: (p: string) => boolean) {
  const route = new RegExp(path.replace(/\?.*/, "").replace(/\//g, "\\/"));
  const done = finished(d, route);
  const data = readFileSync(file);
  const sock = connect(d.socket);
  await new Promise<void>((r) => sock.once("connect", () => r()));
  sock.on("error", () => {});
  sock.write(
    `POST /v1.41${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\nContent-Length: ${data.length}\r\n\r\n`,
  );
  sock.write(data.subarray(0, Math.floor(data.length / 2)));
  await eventually(`the upload to ${path} arriving`, () => leftovers(d).some(seen) || undefined, 60_000);
  sock.destroy();
  await eventually(`berthd ending ${path}`, () => finished(d, route) > done, 60_000);
  await eventually(
    `no temp data after the cut ${path}`,
    () => leftovers(d).length === 0 || undefined,
    60_000,
  );
}

describe("client-abandoned work is cancelled", () => {
  let d: TestDaemon;
  let work: string;
  let reg: TestRegistry;
  let proxy: { server: Server; t: Traffic };
  let via: string;

  before(async () => {
    work = mkdtempSync("/tmp/berth-abort-");
    reg = await startRegistry(work);
    d = await startDaemon();
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    // An incompressible 8 MiB layer: 8 s through a 1 MiB/s proxy.
    buildRandomLayerImage(d, join(work, "ctx"), `${reg.addr}/big:1`);
    d.ok(["push", `${reg.addr}/big:1`]);
    d.ok(["rmi", `${reg.addr}/big:1`]);
    const port = await freePort();
    proxy = slowProxy(Number(reg.addr.split(":")[1]), 1024 * 1024);
    await new Promise<void>((r) => proxy.server.listen(port, "127.0.0.1", r));
    via = `127.0.0.1:${port}`;
  });
  after(async () => {
    proxy?.server.closeAllConnections();
    proxy?.server.close();
    await cleanupDaemon(d);
    reg?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("stops a pull whose client was killed: connection closed, no image, fds back; a later pull resumes", async (t) => {
    const base = fds(d).n;
    const done = finished(d, /images\/create/);
    const puller = spawn(DOCKER, ["pull", `${via}/big:1`], {
      env: { ...process.env, DOCKER_HOST: d.host },
      stdio: "ignore",
    });
    await eventually("512 KiB of the layer downloaded", () => proxy.t.bytes > 512 * 1024, 60_000);
    puller.kill("SIGKILL");
    const killed = Date.now();
    await eventually("berthd ending the pull's request", () => finished(d, /images\/create/) > done, 60_000);
    await eventually("berthd closing the blob download", () => proxy.t.active === 0, 60_000);
    const stopMs = Date.now() - killed; // reported, not asserted: the machine may be loaded
    assert.ok(proxy.t.cut >= 1, "the download was cut by berthd, not completed");
    assert.ok(proxy.t.bytes < 8 * 1024 * 1024, `${proxy.t.bytes} bytes sent: the download stopped`);
    assert.notEqual(
      d.docker(["image", "inspect", `${via}/big:1`]).code,
      0,
      "no image from the cancelled pull",
    );
    t.diagnostic(
      `pull: ${proxy.t.bytes} of 8388608 layer bytes sent, stopped ${stopMs} ms after the kill, fds ${base} -> ${await fdsBackTo(d, base)}`,
    );
    // Pulled again: it resumes from the bytes the cancelled one kept, and the image is whole.
    const again = await dockerAsync(d, ["pull", `${via}/big:1`]);
    assert.equal(again.code, 0, again.err);
    assert.ok(
      proxy.t.ranges.some((r) => /^bytes=[1-9]\d*-$/.test(r)),
      `ranges: ${proxy.t.ranges.join(", ")}`,
    );
    const sum = (s: string) => s.split(/\s/)[0];
    const inImage = await dockerAsync(d, ["run", "--rm", `${via}/big:1`, "md5sum", "/blob"]);
    assert.equal(sum(inImage.out), sum(execSync(`md5sum ${work}/ctx/blob`).toString()));
  });

  it("two pulls of one image at once: a SIGINT to one leaves the other whole; uncancelled, both succeed", async () => {
    const sum = (s: string) => s.split(/\s/)[0];
    const want = sum(execSync(`md5sum ${work}/ctx/blob`).toString());
    d.ok(["rmi", `${via}/big:1`]); // the layer's blob goes with it: both pulls download it
    const before = proxy.t.bytes;
    const first = spawn(DOCKER, ["pull", `${via}/big:1`], {
      env: { ...process.env, DOCKER_HOST: d.host },
      stdio: "ignore",
    });
    const firstDone = new Promise((r) => first.on("close", r));
    await eventually("256 KiB of the layer downloaded", () => proxy.t.bytes - before > 256 * 1024, 60_000);
    const second = dockerAsync(d, ["pull", `${via}/big:1`]);
    await eventually("512 KiB of the layer downloaded", () => proxy.t.bytes - before > 512 * 1024, 60_000);
    first.kill("SIGINT"); // Ctrl-C
    await firstDone;
    const r = await second;
    assert.equal(r.code, 0, r.err);
    const inImage = await dockerAsync(d, ["run", "--rm", `${via}/big:1`, "md5sum", "/blob"]);
    assert.equal(sum(inImage.out), want, inImage.err);

    // Neither cancelled: two writers of one blob must not interleave their bytes under its digest.
    d.ok(["rmi", `${via}/big:1`]);
    const both = await Promise.all([
      dockerAsync(d, ["pull", `${reg.addr}/big:1`]),
      dockerAsync(d, ["pull", `${reg.addr}/big:1`]),
    ]);
    for (const b of both) assert.equal(b.code, 0, b.err);
    const again = await dockerAsync(d, ["run", "--rm", `${reg.addr}/big:1`, "md5sum", "/blob"]);
    assert.equal(sum(again.out), want, again.err);
    d.ok(["tag", `${reg.addr}/big:1`, `${via}/big:1`]); // for the tests below
    d.ok(["rmi", `${reg.addr}/big:1`]);
    assert.deepEqual(leftovers(d), []);
  });

  it("stops a push whose client was killed: upload cut, no manifest, fds back; a later push succeeds", async (t) => {
    // A layer made here (gzipped at push) that no repository of the proxy's host has: uploaded, not mounted.
    const name = `${via}/pushed/big:1`;
    buildRandomLayerImage(d, join(work, "ctx2"), name, "/blob2");
    const base = fds(d).n;
    const done = finished(d, /\/push/);
    const before = proxy.t.bytes;
    const cutBefore = proxy.t.cut;
    const pusher = spawn(DOCKER, ["push", name], {
      env: { ...process.env, DOCKER_HOST: d.host },
      stdio: "ignore",
    });
    await eventually("512 KiB of the layer uploaded", () => proxy.t.bytes - before > 512 * 1024, 60_000);
    pusher.kill("SIGKILL");
    const killed = Date.now();
    await eventually("berthd ending the push's request", () => finished(d, /\/push/) > done, 60_000);
    await eventually("berthd closing the blob upload", () => proxy.t.active === 0, 60_000);
    const stopMs = Date.now() - killed;
    assert.ok(
      proxy.t.cut > cutBefore,
      `the upload was cut by berthd, not completed:\n${proxy.t.requests.join("\n")}`,
    );
    const manifest = await fetch(`http://${reg.addr}/v2/pushed/big/manifests/1`);
    assert.equal(manifest.status, 404, "no manifest pushed");
    t.diagnostic(
      `push: ${proxy.t.bytes - before} blob bytes uploaded, stopped ${stopMs} ms after the kill, fds ${base} -> ${await fdsBackTo(d, base)}`,
    );
    assert.deepEqual(leftovers(d), []);
    // Pushed again (straight to the registry), it goes through.
    d.ok(["tag", name, `${reg.addr}/pushed/big:1`]);
    const again = await dockerAsync(d, ["push", `${reg.addr}/pushed/big:1`]);
    assert.equal(again.code, 0, again.err);
    assert.equal(
      (await fetch(`http://${reg.addr}/v2/pushed/big/manifests/1`, { method: "HEAD" })).status,
      200,
    );
  });

  it("stops a save whose reader went away after a few KB: fds and child processes back, daemon serves", async (t) => {
    proxy.server.closeAllConnections(); // idle keep-alive connections from the tests above
    const base = fds(d).n;
    const kids = children(d).length;
    const done = finished(d, /images\/get/);
    const out = execSync(`DOCKER_HOST=${d.host} ${DOCKER} save ${via}/big:1 | head -c 16384 | wc -c`, {
      shell: "/bin/sh",
    }).toString();
    assert.equal(out.trim(), "16384");
    await eventually("berthd ending the save's request", () => finished(d, /images\/get/) > done, 60_000);
    const after = await fdsBackTo(d, base);
    await eventually(`berthd's children back to ${kids}`, () => children(d).length <= kids, 60_000);
    t.diagnostic(`save: fds ${base} -> ${after}, children ${kids} -> ${children(d).length}`);
    // Still serving, and a whole save still works.
    const whole = join(work, "big.tar");
    d.ok(["save", "-o", whole, `${via}/big:1`]);
    assert.ok(statSync(whole).size > 8 * 1024 * 1024);

    // The same for `docker export` of a container's root.
    const id = d.ok(["create", `${via}/big:1`]);
    const exportBase = fds(d).n;
    const exportDone = finished(d, /\/export/);
    const cut = execSync(`DOCKER_HOST=${d.host} ${DOCKER} export ${id} | head -c 16384 | wc -c`, {
      shell: "/bin/sh",
    }).toString();
    assert.equal(cut.trim(), "16384");
    await eventually(
      "berthd ending the export's request",
      () => finished(d, /\/export/) > exportDone,
      60_000,
    );
    t.diagnostic(`export: fds ${exportBase} -> ${await fdsBackTo(d, exportBase)}`);
    const listing = execSync(`DOCKER_HOST=${d.host} ${DOCKER} export ${id} | tar -t`, {
      shell: "/bin/sh",
      maxBuffer: 64 * 1024 * 1024,
    }).toString();
    assert.match(listing, /^blob$/m);
    d.ok(["rm", id]);
  });

  it("leaves no image and no temp data after a load whose upload was truncated or cut", async (t) => {
    const whole = join(work, "big.tar");
    if (!existsSync(whole)) d.ok(["save", "-o", whole, `${via}/big:1`]);
    for (const name of [`${via}/big:1`, `${via}/pushed/big:1`, `${reg.addr}/pushed/big:1`])
      d.docker(["rmi", name]); // whichever the tests above made
    const images = () => d.ok(["images", "-q", "--no-trunc"]).split("\n").filter(Boolean).sort();
    const kept = images();
    const base = fds(d).n;
    const size = statSync(whole).size;

    // A complete request whose archive is cut short: an error, nothing loaded.
    const half = join(work, "half.tar");
    execSync(`head -c ${Math.floor(size / 2)} ${whole} > ${half}`);
    const truncated = d.docker(["load", "-i", half]);
    assert.notEqual(truncated.code, 0, truncated.out);
    assert.deepEqual(images(), kept);
    await eventually("no temp data after the truncated load", () => leftovers(d).length === 0 || undefined);

    // An upload cut mid-way: the connection closes after half of the declared body.
    await cutUpload(d, "/images/load", whole, (p) => p.includes("/tmp/load-"));
    assert.deepEqual(images(), kept);
    t.diagnostic(`load cut: fds ${base} -> ${await fdsBackTo(d, base)}`);
    // The same for `docker import`, which extracts as the body arrives.
    await cutUpload(d, "/images/create?fromSrc=-&repo=cut", join(work, "busybox.tar"), (p) =>
      p.includes("/overlay/tmp-"),
    );
    assert.deepEqual(images(), kept);
    t.diagnostic(`import cut: fds ${base} -> ${await fdsBackTo(d, base)}`);
    // zstd-compressed, through a zstd child: cut, the child goes too; whole, it imports.
    if (spawnSync("zstd", ["--version"]).status === 0) {
      const kids = children(d).length;
      const zst = join(work, "busybox.tar.zst");
      execSync(`zstd -q -f -o ${zst} ${join(work, "busybox.tar")}`);
      await cutUpload(d, "/images/create?fromSrc=-&repo=cutz", zst, (p) => p.includes("/overlay/tmp-"));
      await eventually(`berthd's children back to ${kids}`, () => children(d).length <= kids, 60_000);
      assert.deepEqual(images(), kept);
      t.diagnostic(
        `zstd import cut: fds ${base} -> ${await fdsBackTo(d, base)}, children ${kids} -> ${children(d).length}`,
      );
      d.ok(["import", zst, "zstd:1"]);
      assert.equal(d.ok(["run", "--rm", "zstd:1", "echo", "unpacked"]), "unpacked");
    } else t.diagnostic("zstd is not installed: its cut import is not tried");

    // The whole archive loads.
    d.ok(["load", "-i", whole]);
    assert.equal(d.ok(["run", "--rm", `${via}/big:1`, "wc", "-c", "/blob"]), "8388608 /blob");
  });
  it("stops a build whose client got a SIGINT: its FROM pull is cut; its RUN container is killed and removed", async () => {
    const build = (ctx: string, tag: string) => {
      const p = spawn(DOCKER, ["build", "-t", tag, ctx], {
        env: { ...process.env, DOCKER_HOST: d.host, DOCKER_BUILDKIT: "0" },
        stdio: "ignore",
      });
      return { p, closed: new Promise((r) => p.on("close", r)) };
    };
    // FROM an image only the slow registry has (the load test above removed it here).
    const from = join(work, "ctx-from");
    mkdirSync(from);
    writeFileSync(join(from, "Dockerfile"), `FROM ${via}/pushed/big:1\nRUN true\n`);
    const before = proxy.t.bytes;
    const cutBefore = proxy.t.cut;
    const b1 = build(from, "cancelled-from");
    await eventually("256 KiB of the FROM image pulled", () => proxy.t.bytes - before > 256 * 1024, 60_000);
    b1.p.kill("SIGINT");
    await b1.closed;
    await eventually("berthd closing the FROM download", () => proxy.t.active === 0, 60_000);
    assert.ok(proxy.t.cut > cutBefore, "the FROM download was cut by berthd");
    assert.notEqual(d.docker(["image", "inspect", `${via}/pushed/big:1`]).code, 0, "no FROM image recorded");
    assert.notEqual(d.docker(["image", "inspect", "cancelled-from"]).code, 0, "no image built");

    // Cancelled while its RUN step runs: the step's container goes, as moby's containerManager.Run.
    const runCtx = join(work, "ctx-run");
    mkdirSync(runCtx);
    writeFileSync(join(runCtx, "Dockerfile"), "FROM bb\nRUN sleep 120\n");
    const ids = () => d.ok(["ps", "-aq"]).split("\n").filter(Boolean);
    const kept = ids();
    const b2 = build(runCtx, "cancelled-run");
    await eventually(
      "the RUN step's container running",
      () =>
        d
          .ok(["ps", "-q"])
          .split("\n")
          .filter(Boolean)
          .some((id) => !kept.includes(id)) || undefined,
      60_000,
    );
    b2.p.kill("SIGINT");
    await b2.closed;
    await eventually(
      "the RUN step's container removed",
      () => ids().length === kept.length || undefined,
      60_000,
    );
    assert.notEqual(d.docker(["image", "inspect", "cancelled-run"]).code, 0, "no image built");
    assert.equal(d.ok(["run", "--rm", "bb", "echo", "serving"]), "serving");
  });
});
