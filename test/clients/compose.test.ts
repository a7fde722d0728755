/**
 * docker-compose (Debian's 1.29, which speaks the Engine API through docker-py) against
 * berthd, unchanged: a project with a built service, a published port, a healthcheck,
 * depends_on, two networks with service-name DNS, a named volume, `exec -T`, `run --rm`,
 * logs, stop/start/restart, and `down -v` leaving nothing behind.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { freePort } from "../helpers/registry.js";
import { eventually } from "../helpers/wait.js";

const COMPOSE = "/usr/bin/docker-compose";

describe("docker-compose", () => {
  let d: TestDaemon;
  let work: string;
  let port: number;
  const compose = (...args: string[]) => {
    const r = spawnSync(COMPOSE, ["-p", "bproj", ...args], {
      cwd: join(work, "proj"),
      // `run` and `exec` go through the docker CLI, compose's default (its own dockerpty path
      // attaches after start with logs=0, which loses a fast container's output on Docker too).
      env: { ...process.env, DOCKER_HOST: d.host },
      timeout: 120_000,
    });
    return { code: r.status ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
  };
  const ok = (...args: string[]) => {
    const r = compose(...args);
    assert.equal(r.code, 0, `docker-compose ${args.join(" ")}: ${r.err}\n${d.log().slice(-2000)}`);
    return r.out;
  };

  before(async () => {
    if (spawnSync(COMPOSE, ["version"]).status !== 0)
      throw new Error("docker-compose is required (make deps installs it)");
    work = mkdtempSync("/tmp/berth-compose-");
    d = await startDaemon();
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    port = await freePort();
    mkdirSync(join(work, "proj/web"), { recursive: true });
    writeFileSync(
      join(work, "proj/web/Dockerfile"),
      'FROM bb\nRUN mkdir -p /www && echo hello-compose > /www/index.html\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
    );
    writeFileSync(
      join(work, "proj/docker-compose.yml"),
      `version: "3.8"
services:
  web:
    build: ./web
    ports: ["127.0.0.1:${port}:8080"]
    depends_on: [db]
    networks: [front, back]
    environment:
      DB_HOST: db
  db:
    image: bb
    command: sh -c "echo db-ready; while true; do nc -l -p 5432 -e echo pong; done"
    volumes: ["dbdata:/data"]
    networks: [back]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
volumes:
  dbdata:
networks:
  front:
  back:
`,
    );
  });
  after(async () => {
    if (d) compose("down", "-v", "-t", "1", "--remove-orphans");
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  it("brings a project up, uses it, and takes it down without a trace", async () => {
    ok("up", "-d", "--build");
    const page = await eventually("the published port", () => {
      const r = spawnSync("curl", ["-fsS", `http://127.0.0.1:${port}/`]);
      return r.status === 0 && r.stdout.toString();
    });
    assert.equal(page, "hello-compose\n");
    await eventually("db healthy", () => /Up \(healthy\)/.test(ok("ps")));
    assert.equal(ok("exec", "-T", "web", "sh", "-c", "echo $DB_HOST; echo hi | nc db 5432"), "db\npong\n");
    assert.match(ok("logs", "db"), /db-ready/);
    assert.equal(ok("run", "--rm", "-T", "db", "sh", "-c", "touch /data/x && ls /data"), "x\n");
    assert.equal(compose("exec", "-T", "web", "sh", "-c", "exit 4").code, 4);
    ok("stop", "-t", "1");
    assert.equal(d.ok(["ps", "-q"]), "");
    ok("start");
    ok("restart", "-t", "1", "web");
    await eventually(
      "the port again",
      () => spawnSync("curl", ["-fsS", `http://127.0.0.1:${port}/`]).status === 0,
    );
    // The volume kept the file across the one-off container and the restarts.
    assert.equal(ok("exec", "-T", "db", "ls", "/data"), "x\n");
    ok("down", "-v", "-t", "1");
    assert.equal(d.ok(["ps", "-aq"]), "");
    assert.deepEqual(d.ok(["network", "ls", "--format", "{{.Name}}"]).split("\n").sort(), [
      "bridge",
      "host",
      "none",
    ]);
    assert.equal(d.ok(["volume", "ls", "-q"]), "");
  });
});
