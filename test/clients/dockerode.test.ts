/**
 * dockerode (Node's most used Docker client) against berthd, unchanged: build from a
 * directory, push and pull with progress to a local registry, create/start/wait/logs,
 * exec with its streams demultiplexed, archives in and out, list filters, stats, events.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import Docker from "dockerode";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

/** Follows a progress stream (pull, push, build) to its end; rejects on an error message in it. */
function follow(
  docker: Docker,
  stream: NodeJS.ReadableStream,
): Promise<{ error?: string; stream?: string }[]> {
  return new Promise((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
      const bad = out?.find((m) => m.error);
      if (err || bad) reject(err ?? new Error(bad!.error));
      else resolve(out);
    }),
  );
}

/** Collects a multiplexed stream into its stdout and stderr. */
async function demux(docker: Docker, stream: NodeJS.ReadableStream): Promise<{ out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on("data", (b: Buffer) => chunks.out.push(b));
  err.on("data", (b: Buffer) => chunks.err.push(b));
  docker.modem.demuxStream(stream, out, err);
  await new Promise((r) => stream.on("end", r));
  return { out: Buffer.concat(chunks.out).toString(), err: Buffer.concat(chunks.err).toString() };
}

describe("dockerode", () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let work: string;
  let docker: Docker;

  before(async () => {
    work = mkdtempSync("/tmp/berth-dockerode-");
    reg = await startRegistry(work);
    d = await startDaemon();
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    docker = new Docker({ socketPath: d.socket });
  });
  after(async () => {
    await cleanupDaemon(d);
    reg?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("builds, pushes, pulls, runs, execs and copies as a Node program does", async () => {
    const ctx = join(work, "ctx");
    mkdirSync(ctx);
    writeFileSync(
      join(ctx, "Dockerfile"),
      "FROM bb\nCOPY hello.txt /hello.txt\nRUN wc -c < /hello.txt > /size\n",
    );
    writeFileSync(join(ctx, "hello.txt"), "hello dockerode\n");
    const tag = `${reg.addr}/node/app:1`;
    const built = await follow(
      docker,
      await docker.buildImage({ context: ctx, src: ["Dockerfile", "hello.txt"] }, { t: tag }),
    );
    assert.ok(built.some((m) => /Successfully tagged/.test(m.stream ?? "")));

    await follow(docker, await docker.getImage(tag).push({}));
    await docker.getImage(tag).remove();
    await follow(docker, await docker.pull(tag));
    assert.equal((await docker.getImage(tag).inspect()).RepoTags?.[0], tag);

    const c = await docker.createContainer({
      Image: tag,
      Cmd: ["sh", "-c", "cat /hello.txt /size; echo oops >&2; sleep 300"],
      Labels: { app: "dockerode" },
    });
    await c.start();
    const ex = await c.exec({
      Cmd: ["sh", "-c", "echo in; echo err >&2; exit 5"],
      AttachStdout: true,
      AttachStderr: true,
    });
    const streams = await demux(docker, await ex.start({}));
    assert.deepEqual(streams, { out: "in\n", err: "err\n" });
    assert.equal((await ex.inspect()).ExitCode, 5);

    const listed = await docker.listContainers({ filters: { label: ["app=dockerode"] } });
    assert.deepEqual(
      listed.map((x) => x.Id),
      [c.id],
    );
    const stats = await c.stats({ stream: false });
    assert.ok(stats.memory_stats.usage > 0);

    await c.putArchive(await await docker.getContainer(c.id).getArchive({ path: "/hello.txt" }), {
      path: "/tmp",
    });
    const copied = await c.exec({ Cmd: ["cat", "/tmp/hello.txt"], AttachStdout: true });
    assert.equal((await demux(docker, await copied.start({}))).out, "hello dockerode\n");

    const since = Math.floor(Date.now() / 1000) - 1;
    await c.kill();
    assert.equal((await c.wait()).StatusCode, 137);
    const logs = (await c.logs({ stdout: true, stderr: true })) as unknown as Buffer;
    const text = logs.toString("latin1");
    assert.match(text, /hello dockerode/);
    assert.match(text, /oops/);
    const events = await docker.getEvents({ since, until: Math.floor(Date.now() / 1000) + 1 });
    let all = "";
    for await (const chunk of events) all += chunk.toString();
    assert.match(all, /"status":"die"/);
    await c.remove();
  });
});
