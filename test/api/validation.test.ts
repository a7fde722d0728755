/**
 * Values Docker refuses when a container is created or updated (moby's verifyContainerSettings
 * and resource checks) are refused with a 400 and Docker's message, instead of failing later
 * at start with a 500 from runc; a start that fails because the command is missing is a 400
 * too (moby's translateContainerdStartErr), and `docker run` still exits 127.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { type ApiAnswer, api, message } from "../helpers/api.js";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";

describe("create and update refuse what Docker refuses", () => {
  let d: TestDaemon;
  let work: string;
  const create = (body: object) =>
    api(d.socket, "POST", "/v1.41/containers/create", { Image: "bb", ...body });
  const refused = (a: ApiAnswer, re: RegExp) => {
    assert.equal(a.status, 400, a.text);
    assert.match(message(a), re);
  };

  before(async () => {
    work = mkdtempSync("/tmp/berth-validate-");
    d = await startDaemon();
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  it("refuses bad limits, paths, health checks and restart policies at create", async () => {
    refused(await create({ HostConfig: { Memory: -5 } }), /Minimum memory limit allowed is 6MB/);
    refused(
      await create({ HostConfig: { MemoryReservation: 1024 } }),
      /Minimum memory reservation allowed is 6MB/,
    );
    refused(await create({ HostConfig: { CpuShares: -5 } }), /invalid CPU shares -5/);
    refused(
      await create({ WorkingDir: "relative" }),
      /the working directory 'relative' is invalid, it needs to be an absolute path/,
    );
    refused(
      await create({ Healthcheck: { Test: ["CMD", "true"], Interval: -1 } }),
      /Interval in Healthcheck cannot be less than 1ms/,
    );
    refused(
      await create({ Healthcheck: { Test: ["CMD", "true"], Retries: -1 } }),
      /Retries in Healthcheck cannot be negative/,
    );
    refused(
      await create({ HostConfig: { RestartPolicy: { Name: "on-failure", MaximumRetryCount: -3 } } }),
      /maximum retry count cannot be negative/,
    );
    refused(
      await api(
        d.socket,
        "GET",
        `/v1.41/containers/json?filters=${encodeURIComponent('{"health":["bogus"]}')}`,
      ),
      /Unrecognised filter value for health: bogus/,
    );
    refused(
      await create({ HostConfig: { Mounts: [{}] } }),
      /^invalid mount config for type "": field Target must not be empty$/,
    );
    refused(
      await create({ HostConfig: { Mounts: [{ Type: "nfs", Target: "/x" }] } }),
      /^invalid mount config for type "nfs": mount type unknown$/,
    );
    refused(
      await create({ HostConfig: { Mounts: [{ Type: "bind", Target: "rel" }] } }),
      /^invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute$/,
    );
    assert.equal(d.ok(["ps", "-aq"]), "", "nothing was created");
  });

  it("refuses bad values at update and keeps the old ones", async () => {
    const id = d.ok(["run", "-d", "--memory", "64m", "bb", "sleep", "300"]);
    refused(
      await api(d.socket, "POST", `/v1.41/containers/${id}/update`, { Memory: -1 }),
      /Minimum memory limit/,
    );
    refused(
      await api(d.socket, "POST", `/v1.41/containers/${id}/update`, {
        RestartPolicy: { Name: "on-failure", MaximumRetryCount: -1 },
      }),
      /maximum retry count cannot be negative/,
    );
    assert.equal(
      d.ok(["inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}", id]),
      "67108864 no",
    );
    d.ok(["rm", "-f", id]);
  });

  it("answers a missing command's start with a 400; docker run exits 127", async () => {
    const c = await create({ Cmd: ["nosuchcmd"] });
    assert.equal(c.status, 201, c.text);
    const id = (c.json as { Id: string }).Id;
    refused(await api(d.socket, "POST", `/v1.41/containers/${id}/start`), /executable file not found/);
    const r = d.docker(["run", "--rm", "bb", "nosuchcmd"]);
    assert.equal(r.code, 127, r.err);
    assert.equal((await api(d.socket, "GET", "/_ping")).status, 200);
  });
});
