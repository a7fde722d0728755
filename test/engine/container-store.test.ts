/**
 * The container store under concurrent requests: a record saved by one request
 * (a link, a rename, an exit) while another removes the container is dropped,
 * not an error and not served again (the race `docker rm -f target linker`
 * hit, the CLI sending both removals at once).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ContainerStore } from "../../src/engine/containers/store.js";
import type { ContainerRecord } from "../../src/engine/containers/types.js";

describe("container store", () => {
  const root = mkdtempSync("/tmp/berth-cstore-");
  after(() => rmSync(root, { recursive: true, force: true }));

  const record = (id: string) => ({ id, name: `n-${id.slice(0, 6)}` }) as unknown as ContainerRecord;

  it("drops a save of a container removed before or while it is written", async () => {
    const store = new ContainerStore(root);
    await store.init();
    const a = record("a".repeat(64));
    await mkdir(store.containerDir(a.id), { recursive: true });
    await store.save(a);
    assert.equal(store.tryResolve(a.id), a);

    // Removed while a save is in flight: neither throws, nothing is served or left on disk.
    await Promise.all([store.save({ ...a, name: "renamed" }), store.delete(a.id)]);
    assert.equal(store.tryResolve(a.id), undefined);
    // A late save (an exit handler, a link update) after the removal.
    await store.save(a);
    assert.equal(store.tryResolve(a.id), undefined);
    assert.equal(existsSync(store.containerDir(a.id)), false);

    // Other containers are unaffected.
    const b = record("b".repeat(64));
    await mkdir(store.containerDir(b.id), { recursive: true });
    await store.save(b);
    assert.equal(store.tryResolve(b.id), b);
    assert.ok(existsSync(join(store.containerDir(b.id), "config.v2.json")));
  });
});
