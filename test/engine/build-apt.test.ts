/**
 * The build most Dockerfiles do: a Debian base and `apt-get update && apt-get install` in a
 * RUN step (classic builder, real docker CLI). The packages come from a local apt repository
 * served on this machine to the RUN container over the default bridge, so apt runs for real
 * (its _apt sandbox, dpkg, dependencies) without traffic leaving the machine.
 */
import assert from "node:assert/strict";
import { createReadStream, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";
import { after, before, describe, it } from "node:test";
import { cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { aptRepo, debianTar } from "../helpers/debian.js";
import { dockerAsync } from "../helpers/docker-async.js";

describe("docker build: apt-get install in RUN", () => {
  let d: TestDaemon;
  let work: string;
  let repo: Server;
  const fetched: string[] = [];

  before(async () => {
    work = mkdtempSync("/tmp/berth-build-apt-");
    d = await startDaemon();
    d.ok(["import", "--change", 'CMD ["bash"]', debianTar(work), "debian:bookworm"]);
    const dir = aptRepo(join(work, "repo"));
    repo = createServer((req, res) => {
      const path = normalize(decodeURIComponent((req.url ?? "/").split("?")[0]!)).replace(
        /^(\.\.[/\\])+/,
        "",
      );
      const file = join(dir, path);
      fetched.push(path);
      if (!existsSync(file) || !file.startsWith(dir)) {
        res.statusCode = 404;
        res.end();
        return;
      }
      createReadStream(file).pipe(res);
    });
    // The bridge (and its gateway address) may only appear with the first container: listen on all.
    await new Promise<void>((r) => repo.listen(0, "0.0.0.0", r));
  });
  after(async () => {
    repo?.close();
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  it("installs a package and its dependency from an apt repository, and the image runs it", async () => {
    const gw = d.ok(["network", "inspect", "bridge", "-f", "{{(index .IPAM.Config 0).Gateway}}"]);
    const port = (repo.address() as AddressInfo).port;
    const dockerfile = [
      "FROM debian:bookworm",
      `RUN echo "deb [trusted=yes] http://${gw}:${port} ./" > /etc/apt/sources.list && rm -rf /etc/apt/sources.list.d/*`,
      "RUN apt-get update && apt-get install -y --no-install-recommends berth-hello && rm -rf /var/lib/apt/lists/*",
      'CMD ["berth-hello"]',
      "",
    ].join("\n");
    const r = await dockerAsync(d, ["build", "-t", "with-apt", "-"], dockerfile);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /Setting up berth-hello \(1\.0\)/);
    assert.ok(
      fetched.some((p) => p.endsWith("berth-lib_1.0_all.deb")),
      fetched.join(" "),
    );
    assert.equal(d.ok(["run", "--rm", "with-apt"]), "hello from a package");
    assert.equal(d.ok(["run", "--rm", "with-apt", "cat", "/usr/share/berth-lib/VERSION"]), "1.0");
    // dpkg's database in the image knows both.
    assert.match(
      d.ok(["run", "--rm", "with-apt", "dpkg-query", "-W", "berth-hello", "berth-lib"]),
      /berth-hello\t1\.0\nberth-lib\t1\.0/,
    );
  });
});
