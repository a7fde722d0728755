/**
 * berthd against Debian's docker-registry (distribution 2.8), with the real
 * docker CLI and skopeo: unchanged images push byte-identical, a corrupted
 * blob fails the pull and leaves nothing, and a pull killed half-way resumes
 * from the bytes it already had.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execSync, spawn, spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, request, type Server } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import bcrypt from "bcryptjs";
import { busyboxTar, cleanupDaemon, DOCKER, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { buildRandomLayerImage, freePort } from "../helpers/registry.js";
import { eventually } from "../helpers/wait.js";

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (spawnSync("curl", ["-fsS", url]).status === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered`);
}

/** A proxy in front of the registry that sends blob bodies at `bytesPerSecond` and records Range headers. */
function slowProxy(
  target: number,
  bytesPerSecond: number,
): { server: Server; ranges: string[]; requests: string[] } {
  const ranges: string[] = [];
  const requests: string[] = [];
  const server = createServer((req, res) => {
    if (req.url?.includes("/blobs/") && req.headers.range) ranges.push(req.headers.range);
    requests.push(`${req.method} ${req.url} ${req.headers["content-range"] ?? ""}`);
    const up = request(
      { host: "127.0.0.1", port: target, path: req.url, method: req.method, headers: req.headers },
      async (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        const slow = req.method === "GET" && req.url?.includes("/blobs/");
        for await (const chunk of upRes as AsyncIterable<Buffer>) {
          if (!slow) {
            res.write(chunk);
            continue;
          }
          for (let off = 0; off < chunk.length; off += 64 * 1024) {
            if (res.destroyed) return;
            res.write(chunk.subarray(off, off + 64 * 1024));
            await new Promise((r) => setTimeout(r, (64 * 1024 * 1000) / bytesPerSecond));
          }
        }
        res.end();
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  return { server, ranges, requests };
}

describe("pull and push against a registry", () => {
  let d: TestDaemon;
  let work: string;
  let registry: ChildProcess;
  let reg: string;
  let regRoot: string;

  before(async () => {
    work = mkdtempSync("/tmp/berth-reg-");
    regRoot = join(work, "registry");
    mkdirSync(regRoot);
    reg = `127.0.0.1:${await freePort()}`;
    writeFileSync(
      join(work, "reg.yml"),
      `version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: ${regRoot} }, delete: { enabled: true } }\nhttp: { addr: ${reg} }\n`,
    );
    registry = spawn("docker-registry", ["serve", join(work, "reg.yml")], { stdio: "ignore" });
    await waitFor(`http://${reg}/v2/`);
    d = await startDaemon();
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    // An image with an incompressible 8 MiB layer, big enough to interrupt.
    buildRandomLayerImage(d, join(work, "ctx"), `${reg}/big:1`);
  });
  after(async () => {
    await cleanupDaemon(d);
    registry.kill();
    rmSync(work, { recursive: true, force: true });
  });

  const skopeoDigest = (ref: string) =>
    execSync(`skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://${ref}`).toString().trim();

  it("pushes an unchanged pulled image byte-identically to a second repository", () => {
    d.ok(["tag", "bb", `${reg}/one/bb:1`]);
    d.ok(["push", `${reg}/one/bb:1`]);
    const first = skopeoDigest(`${reg}/one/bb:1`);
    d.ok(["rmi", `${reg}/one/bb:1`]);
    d.ok(["pull", `${reg}/one/bb:1`]);
    d.ok(["tag", `${reg}/one/bb:1`, `${reg}/two/bb:1`]);
    // The layer is in one/bb already: the registry mounts it instead of taking an upload.
    assert.match(d.ok(["push", `${reg}/two/bb:1`]), /Mounted from one\/bb/);
    assert.equal(skopeoDigest(`${reg}/two/bb:1`), first);
    assert.equal(
      d.ok(["inspect", "-f", "{{index .RepoDigests 0}}", `${reg}/one/bb:1`]),
      `${reg}/one/bb@${first}`,
    );
    // skopeo copies what berth pushed, and berth pulls what skopeo pushed.
    execSync(
      `skopeo copy --src-tls-verify=false --dest-tls-verify=false docker://${reg}/one/bb:1 docker://${reg}/three/bb:1`,
    );
    d.ok(["pull", `${reg}/three/bb:1`]);
    assert.equal(d.ok(["run", "--rm", `${reg}/three/bb:1`, "echo", "ok"]), "ok");
  });

  it("fails a pull whose blob was altered in the registry, leaving no image and no layer", () => {
    d.ok(["push", `${reg}/big:1`]);
    const manifest = JSON.parse(
      execSync(`skopeo inspect --raw --tls-verify=false docker://${reg}/big:1`).toString(),
    ) as { layers: { digest: string }[] };
    const top = manifest.layers.at(-1)!.digest.slice(7);
    const data = join(regRoot, "docker/registry/v2/blobs/sha256", top.slice(0, 2), top, "data");
    const good = readFileSync(data);
    const bad = Buffer.from(good);
    bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 0xff;
    writeFileSync(data, bad);
    try {
      d.ok(["rmi", `${reg}/big:1`]);
      const layersBefore = readdirSync(join(d.root, "overlay")).length;
      const r = d.docker(["pull", `${reg}/big:1`]);
      assert.notEqual(r.code, 0);
      assert.match(r.err, /digest|mismatch/i);
      assert.equal(d.docker(["image", "inspect", `${reg}/big:1`]).code, 1);
      assert.equal(readdirSync(join(d.root, "overlay")).length, layersBefore);
      assert.deepEqual(
        readdirSync(join(d.root, "content", "ingest")).filter((f) => f.includes(top)),
        [],
      );
    } finally {
      writeFileSync(data, good);
    }
  });

  it("reports Docker's per-layer progress and unpacks in order while later layers download", () => {
    const ctx = join(work, "layers");
    mkdirSync(ctx);
    writeFileSync(
      join(ctx, "Dockerfile"),
      ["FROM bb", ...[1, 2, 3, 4, 5].map((n) => `RUN head -c ${n * 300000} /dev/urandom > /l${n}`)].join(
        "\n",
      ),
    );
    d.ok(["build", "-q", "-t", `${reg}/layers:1`, ctx]);
    d.ok(["push", `${reg}/layers:1`]);
    d.ok(["rmi", `${reg}/layers:1`]);
    // Through the API: "Extracting" carries bytes read of the compressed layer (the CLI shows
    // progress lines only on a terminal, as with Docker).
    const api = execSync(
      `curl -sS --unix-socket ${d.socket} -X POST 'http://x/v1.41/images/create?fromImage=${reg}/layers&tag=1'`,
    ).toString();
    const extracting = api
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { status: string; progressDetail?: { current?: number; total?: number } })
      .filter((m) => m.status === "Extracting");
    assert.ok(extracting.length >= 5, api);
    assert.ok(extracting.every((m) => typeof m.progressDetail?.total === "number"));
    assert.ok(
      extracting.some(
        (m) => m.progressDetail?.current === m.progressDetail?.total && m.progressDetail?.total,
      ),
    );
    d.ok(["rmi", `${reg}/layers:1`]);
    const out = d.ok(["pull", `${reg}/layers:1`]);
    const lines = out.split("\n");
    const ids = [...new Set(lines.filter((l) => l.endsWith(": Pull complete")).map((l) => l.split(":")[0]))];
    assert.equal(ids.length, 5, out);
    assert.ok(
      lines.some((l) => l.endsWith(": Already exists")),
      "the busybox layer was already here",
    );
    assert.equal(lines.filter((l) => l.endsWith(": Waiting")).length, 2, "five to fetch, three at a time");
    for (const id of ids) {
      const mine = lines.filter((l) => l.startsWith(`${id}: `)).map((l) => l.slice(id.length + 2));
      assert.deepEqual(
        mine.filter((st) => st !== "Waiting"),
        ["Pulling fs layer", "Verifying Checksum", "Download complete", "Pull complete"],
        out,
      );
    }
    assert.equal(d.ok(["run", "--rm", `${reg}/layers:1`, "sh", "-c", "wc -c < /l5"]), "1500000");

    // A blob missing from the registry fails the pull: nothing half-made stays.
    const manifest = JSON.parse(
      execSync(`skopeo inspect --raw --tls-verify=false docker://${reg}/layers:1`).toString(),
    ) as { layers: { digest: string }[] };
    const third = manifest.layers[3]!.digest.slice(7);
    const dir = join(regRoot, "docker/registry/v2/blobs/sha256", third.slice(0, 2), third);
    renameSync(dir, `${dir}.away`);
    try {
      d.ok(["rmi", `${reg}/layers:1`]);
      const layersBefore = readdirSync(join(d.root, "overlay")).length;
      const r = d.docker(["pull", `${reg}/layers:1`]);
      assert.notEqual(r.code, 0);
      assert.equal(d.docker(["image", "inspect", `${reg}/layers:1`]).code, 1);
      assert.equal(
        readdirSync(join(d.root, "overlay")).length,
        layersBefore,
        "no layer of the failed pull stays",
      );
    } finally {
      renameSync(`${dir}.away`, dir);
    }
    d.ok(["pull", `${reg}/layers:1`]);
  });

  it("resumes a pull killed half-way from the bytes it already had", async () => {
    const proxyPort = await freePort();
    const proxy = slowProxy(Number(reg.split(":")[1]), 2 * 1024 * 1024);
    await new Promise<void>((r) => proxy.server.listen(proxyPort, "127.0.0.1", r));
    try {
      const via = `127.0.0.1:${proxyPort}/big:1`;
      const puller = spawn(DOCKER, ["pull", via], {
        env: { ...process.env, DOCKER_HOST: d.host },
        stdio: "ignore",
      });
      // Let part of the 8 MiB arrive at 2 MiB/s, then kill the daemon.
      const ingest = join(d.root, "content", "ingest");
      const sizes = () => {
        try {
          return readdirSync(ingest).map((f) => statSync(join(ingest, f)).size);
        } catch {
          return [];
        }
      };
      await eventually("1 MiB of the blob in ingest", () => sizes().some((n) => n > 1024 * 1024));
      await d.kill();
      puller.kill();
      const partial = sizes();
      assert.ok(
        partial.some((n) => n > 512 * 1024),
        `partial downloads: ${partial.join(", ")}`,
      );
      await d.start();
      // Not d.docker(): a synchronous child would stall the proxy, which lives in this process.
      const again = spawn(DOCKER, ["pull", via], { env: { ...process.env, DOCKER_HOST: d.host } });
      let err = "";
      again.stderr.on("data", (b: Buffer) => {
        err += b.toString();
      });
      const code = await new Promise((r) => again.on("exit", r));
      assert.equal(code, 0, err);
      assert.ok(
        proxy.ranges.some((r) => /^bytes=[1-9]\d*-$/.test(r)),
        `ranges: ${proxy.ranges.join(", ")}`,
      );
      const sum = (s: string) => s.split(/\s/)[0];
      assert.equal(
        sum(d.ok(["run", "--rm", via, "md5sum", "/blob"])),
        sum(execSync(`md5sum ${work}/ctx/blob`).toString()),
      );
      assert.deepEqual(readdirSync(ingest), []);
    } finally {
      proxy.server.closeAllConnections();
      proxy.server.close();
    }
  });

  it("pushes big layers in chunks, pulls all tags, and inspects a remote manifest", async () => {
    const proxyPort = await freePort();
    const proxy = slowProxy(Number(reg.split(":")[1]), 1e9);
    await new Promise<void>((r) => proxy.server.listen(proxyPort, "127.0.0.1", r));
    try {
      const via = `127.0.0.1:${proxyPort}/chunked/big:1`;
      d.ok(["pull", `${reg}/big:1`]);
      d.ok(["tag", `${reg}/big:1`, via]);
      const push = spawn(DOCKER, ["push", via], { env: { ...process.env, DOCKER_HOST: d.host } });
      assert.equal(await new Promise((r) => push.on("exit", r)), 0);
      const patches = proxy.requests.filter((r) => /^PATCH .* \d+-\d+$/.test(r));
      assert.ok(patches.length >= 2, proxy.requests.join("\n"));
    } finally {
      proxy.server.closeAllConnections();
      proxy.server.close();
    }
    assert.equal(skopeoDigest(`${reg}/chunked/big:1`), skopeoDigest(`${reg}/big:1`));

    d.ok(["tag", "bb", `${reg}/tags/bb:a`]);
    d.ok(["tag", "bb", `${reg}/tags/bb:b`]);
    d.ok(["push", `${reg}/tags/bb:a`]);
    d.ok(["push", `${reg}/tags/bb:b`]);
    d.ok(["rmi", `${reg}/tags/bb:a`, `${reg}/tags/bb:b`]);
    d.ok(["pull", "--all-tags", `${reg}/tags/bb`]);
    assert.equal(
      d
        .ok(["images", "--format", "{{.Tag}}", `${reg}/tags/bb`])
        .split("\n")
        .sort()
        .join(),
      "a,b",
    );

    const info = JSON.parse(
      execSync(
        `curl -fsS --unix-socket ${d.socket} http://x/v1.41/distribution/${reg}/tags/bb:a/json`,
      ).toString(),
    ) as { Descriptor: { digest: string }; Platforms: { os: string }[] };
    assert.equal(info.Descriptor.digest, skopeoDigest(`${reg}/tags/bb:a`));
    assert.equal(info.Platforms[0]?.os, "linux");
  });

  it("pulls Docker Hub names through a configured registry mirror", async () => {
    execSync(
      `skopeo copy --src-tls-verify=false --dest-tls-verify=false docker://${reg}/one/bb:1 docker://${reg}/library/mirrored:1`,
    );
    const m = await startDaemon({ extraArgs: ["--registry-mirror", `http://${reg}`] });
    try {
      m.ok(["pull", "mirrored:1"]);
      assert.equal(m.ok(["run", "--rm", "mirrored:1", "echo", "from the mirror"]), "from the mirror");
    } finally {
      await cleanupDaemon(m);
    }
  });

  it("logs in, pushes and pulls through berth's registry with token auth, as with Docker Hub", async () => {
    const own = `127.0.0.1:${await freePort()}`;
    const htpasswd = join(work, "token-htpasswd");
    writeFileSync(htpasswd, `alice:${bcrypt.hashSync("s3cret", 5)}\n`);
    const cfg = join(work, "daemon-token.json");
    writeFileSync(cfg, JSON.stringify({ "registry-server": { addr: own, htpasswd, "token-auth": true } }));
    const r = await startDaemon({ extraArgs: ["--config-file", cfg] });
    const savedConfig = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = join(work, "docker-config-token");
    try {
      const challenge = await fetch(`http://${own}/v2/`);
      assert.match(
        challenge.headers.get("www-authenticate") ?? "",
        /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token"/,
      );
      d.ok(["tag", "bb", `${own}/private/bb:1`]);
      const anonymous = d.docker(["push", `${own}/private/bb:1`]);
      assert.notEqual(anonymous.code, 0);
      assert.match(anonymous.err + anonymous.out, /unauthorized|authentication required/i);
      const wrong = d.docker(["login", own, "-u", "alice", "--password-stdin"], { input: "nope" });
      assert.equal(wrong.code, 1);
      assert.match(
        d.ok(["login", own, "-u", "alice", "--password-stdin"], { input: "s3cret" }),
        /Login Succeeded/,
      );
      d.ok(["push", `${own}/private/bb:1`]);
      d.ok(["rmi", `${own}/private/bb:1`]);
      d.ok(["pull", `${own}/private/bb:1`]);
      assert.equal(d.ok(["run", "--rm", `${own}/private/bb:1`, "echo", "tokens"]), "tokens");
      const digest = execSync(
        `skopeo inspect --tls-verify=false --creds alice:s3cret --format '{{.Digest}}' docker://${own}/private/bb:1`,
      )
        .toString()
        .trim();
      assert.match(
        d.ok(["inspect", "-f", "{{json .RepoDigests}}", `${own}/private/bb:1`]),
        new RegExp(digest),
      );
      d.ok(["logout", own]);
      d.ok(["rmi", `${own}/private/bb:1`]);
      assert.notEqual(d.docker(["pull", `${own}/private/bb:1`]).code, 0, "logged out: no pull");
    } finally {
      if (savedConfig === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = savedConfig;
      await cleanupDaemon(r);
    }
  });

  it("serves berth's own registry from the daemon (daemon.json registry-server) to the docker CLI and skopeo", async () => {
    const own = `127.0.0.1:${await freePort()}`;
    const cfg = join(work, "daemon.json");
    writeFileSync(cfg, JSON.stringify({ "registry-server": { addr: own } }));
    const r = await startDaemon({ extraArgs: ["--config-file", cfg] });
    try {
      r.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), `${own}/team/bb:1`]);
      r.ok(["push", `${own}/team/bb:1`]);
      const digest = skopeoDigest(`${own}/team/bb:1`);
      r.ok(["rmi", `${own}/team/bb:1`]);
      r.ok(["pull", `${own}/team/bb:1`]);
      assert.equal(r.ok(["run", "--rm", `${own}/team/bb:1`, "echo", "served"]), "served");
      // skopeo copies out of and into it; berth re-pushes byte-identically.
      execSync(
        `skopeo copy --src-tls-verify=false --dest-tls-verify=false docker://${own}/team/bb:1 docker://${own}/copied/bb:1`,
      );
      assert.equal(skopeoDigest(`${own}/copied/bb:1`), digest);
      r.ok(["tag", `${own}/team/bb:1`, `${own}/again/bb:1`]);
      assert.match(r.ok(["push", `${own}/again/bb:1`]), /Mounted from team\/bb/);
      assert.equal(skopeoDigest(`${own}/again/bb:1`), digest);
      assert.match(r.ok(["search", `${own}/bb`]), /team\/bb/);
    } finally {
      await cleanupDaemon(r);
    }
  });
});
