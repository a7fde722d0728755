/**
 * `POST /containers/prune`: removes stopped containers (created, exited,
 * dead) that match the `until`, `label` and `label!` filters, as Docker's
 * ContainersPrune, and counts the bytes of their writable layers.
 */
import { type Filters, pruneFilter } from "../filters.js";
import type { ContainerService } from "./index.js";

/** Removes what may be pruned; returns Docker's ContainersPruneReport. Throws InvalidParameter on a bad filter. */
export async function pruneContainers(
  c: ContainerService,
  filters: Filters,
): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
  const wanted = pruneFilter(filters);
  const deleted: string[] = [];
  let space = 0;
  for (const rec of c.d.store.list()) {
    if (rec.state.Status !== "exited" && rec.state.Status !== "created" && rec.state.Status !== "dead")
      continue;
    if (!wanted({ labels: rec.config.Labels, created: rec.created })) continue;
    space += (await c.sizes(rec).catch(() => ({ rw: 0 }))).rw;
    await c.remove(rec.id, {});
    deleted.push(rec.id);
  }
  return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: space };
}
