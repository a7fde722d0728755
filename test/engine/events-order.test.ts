/**
 * The order of a container's events as moby reports them (handleContainerExit
 * logs die before its cleanup releases the network): create, network
 * connect, start, die, network disconnect, destroy; a stop's kill events
 * come before its die and stop after the disconnect.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { eventually } from "../helpers/wait.js";

describe("event order", () => {
  let d: TestDaemon;
  let work: string;

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-evorder-");
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    d.ok(["network", "create", "ordnet"]);
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  /** The container's and its network events since `since`, as "Type Action", once `last` is among them. */
  async function eventsOf(id: string, since: string, last: string): Promise<string[]> {
    return eventually(`the events of ${id} up to ${last}`, () => {
      const until = String(Math.floor(Date.now() / 1000) + 1);
      const got = d
        .ok([
          "events",
          "--since",
          since,
          "--until",
          until,
          "--format",
          "{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.container}}",
        ])
        .split("\n")
        .filter((l) => l.includes(id))
        .map((l) => l.split(" ").slice(0, 2).join(" "));
      return got.includes(last) ? got : undefined;
    });
  }

  it("reports die before the network disconnect, as moby", async () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    d.ok(["run", "--name", "once", "--network", "ordnet", "bb", "true"]);
    const id = d.ok(["inspect", "-f", "{{.Id}}", "once"]);
    d.ok(["rm", "once"]);
    assert.deepEqual(
      (await eventsOf(id, since, "container destroy")).filter((e) => e !== "container attach"),
      [
        "container create",
        "network connect",
        "container start",
        "container die",
        "network disconnect",
        "container destroy",
      ],
    );

    const id2 = d.ok(["run", "-d", "--network", "ordnet", "bb", "sleep", "300"]);
    d.ok(["stop", "-t", "1", id2]);
    const stopped = await eventsOf(id2, since, "container stop");
    const at = (e: string) => stopped.indexOf(e);
    for (const [a, b] of [
      ["container kill", "container die"],
      ["container die", "network disconnect"],
      ["network disconnect", "container stop"],
    ] as const)
      assert.ok(at(a) >= 0 && at(a) < at(b), `${a} before ${b}: ${stopped.join(", ")}`);
  });
});
