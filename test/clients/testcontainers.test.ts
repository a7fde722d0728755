/**
 * testcontainers-node against berthd, unchanged (the Ryuk reaper is off: its image comes
 * from Docker Hub): containers with exposed ports, files copied in, environment and labels,
 * each wait strategy (log message, listening ports, HTTP, health check), exec with its
 * streams and exit code, logs, a user network with aliases, and stop removing everything.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";

describe("testcontainers", () => {
  let d: TestDaemon;
  let work: string;
  let tc: typeof import("testcontainers");

  before(async () => {
    work = mkdtempSync("/tmp/berth-tc-");
    d = await startDaemon();
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    // testcontainers reads its environment once, at its first use.
    process.env.DOCKER_HOST = d.host;
    process.env.TESTCONTAINERS_RYUK_DISABLED = "true";
    tc = await import("testcontainers");
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  it("starts, waits for, uses and stops containers as a test suite does", async () => {
    const { GenericContainer, Network, Wait } = tc;
    const net = await new Network().start();
    const web = await new GenericContainer("bb")
      .withCommand([
        "sh",
        "-c",
        "mkdir -p /www; cp /tmp/c.txt /www/index.html; echo ready; httpd -f -p 8080 -h /www",
      ])
      .withExposedPorts(8080)
      .withNetwork(net)
      .withNetworkAliases("web")
      .withEnvironment({ A: "1" })
      .withLabels({ suite: "berth" })
      .withCopyContentToContainer([{ content: "copied\n", target: "/tmp/c.txt" }])
      .withWaitStrategy(Wait.forLogMessage("ready"))
      .start();
    const url = `http://${web.getHost()}:${web.getMappedPort(8080)}/`;
    const page = await fetch(url);
    assert.equal(await page.text(), "copied\n");
    const ex = await web.exec(["sh", "-c", "echo $A; echo err >&2; exit 2"]);
    assert.deepEqual([ex.exitCode, ex.stdout, ex.stderr], [2, "1\n", "err\n"]);
    assert.equal(d.ok(["inspect", "-f", '{{index .Config.Labels "suite"}}', web.getId()]), "berth");

    const client = await new GenericContainer("bb")
      .withCommand(["sh", "-c", "wget -qO- http://web:8080/ && sleep 300"])
      .withNetwork(net)
      .withWaitStrategy(Wait.forLogMessage("copied"))
      .start();
    const ports = await new GenericContainer("bb")
      .withCommand(["httpd", "-f", "-p", "8080", "-h", "/"])
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forListeningPorts())
      .start();
    const http = await new GenericContainer("bb")
      .withCommand(["sh", "-c", "mkdir /w; echo ok > /w/h; httpd -f -p 8080 -h /w"])
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp("/h", 8080).forStatusCode(200))
      .start();
    const healthy = await new GenericContainer("bb")
      .withCommand(["sleep", "300"])
      .withHealthCheck({ test: ["CMD", "true"], interval: 500, timeout: 1000, retries: 3, startPeriod: 0 })
      .withWaitStrategy(Wait.forHealthCheck())
      .start();
    // A wait that can never be met fails within its startup timeout instead of hanging.
    await assert.rejects(
      new GenericContainer("bb")
        .withCommand(["sleep", "300"])
        .withExposedPorts(8080)
        .withWaitStrategy(Wait.forListeningPorts())
        .withStartupTimeout(5000)
        .start(),
      /not bound|timed out|Timed out/i,
    );

    for (const c of [web, client, ports, http, healthy]) await c.stop();
    await net.stop();
    // stop removes what it started, and a container that failed its wait was removed too.
    assert.equal(d.ok(["ps", "-aq"]), "");
    assert.ok(!d.ok(["network", "ls", "--format", "{{.Name}}"]).includes("testcontainers"));
  });
});
