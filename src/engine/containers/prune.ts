/**
 * `POST /containers/prune`: removes stopped containers (created, exited,
 * dead) that match the `label` filters, as Docker's ContainersPrune.
 */
import { type Filters, matchLabels } from "../filters.js";
import type { ContainerService } from "./index.js";

/** Removes what may be pruned; returns Docker's ContainersPruneReport. */
export async function pruneContainers(
  c: ContainerService,
  filters: Filters,
): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
  const labels = filters.get("label");
  const deleted: string[] = [];
  for (const rec of c.d.store.list()) {
    if (rec.state.Status !== "exited" && rec.state.Status !== "created" && rec.state.Status !== "dead")
      continue;
    if (labels && !matchLabels(rec.config.Labels, labels)) continue;
    await c.remove(rec.id, {});
    deleted.push(rec.id);
  }
  return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: 0 };
}
