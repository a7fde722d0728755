/**
 * How a step ends: found in the cache (` ---> Using cache`), or committed as
 * a new image, with a history row (metadata steps: an empty layer; COPY,
 * WORKDIR and RUN: the files they changed), recorded in the cache.
 */
import type { ImageConfig } from "../image/types.js";
import type { StageState, StepContext } from "./types.js";

export type ContainerConfig = NonNullable<ImageConfig["config"]>;

/**
 * Uses the cached image for `key` if there is one (and --no-cache is off),
 * else one from the --cache-from images whose next history row is
 * `probe.createdBy` (`probe.config`: the image config the step makes).
 */
export async function fromCache(
  st: StageState,
  key: string,
  c: StepContext,
  probe?: { createdBy: string; config: ImageConfig },
): Promise<boolean> {
  if (c.o.noCache) return false;
  let id = await c.cache.get(key);
  if (id && !c.backend.hasImage(id)) id = undefined;
  if (!id && probe && !c.cacheFrom.empty) {
    const parent = st.imageId ? { id: st.imageId, config: st.config } : undefined;
    id = await c.cacheFrom.probe(c.backend, parent, probe.createdBy, probe.config);
    if (id) await c.cache.put(key, id);
  }
  if (!id) return false;
  c.say(" ---> Using cache\n");
  c.say(` ---> ${id.slice(7, 19)}\n`);
  st.imageId = id;
  st.config = await c.backend.imageConfig(id);
  return true;
}

export function historyRow(createdBy: string) {
  return { created: new Date().toISOString(), created_by: createdBy };
}

async function done(st: StageState, id: string, key: string, c: StepContext): Promise<void> {
  st.imageId = id;
  st.config = await c.backend.imageConfig(id);
  await c.cache.put(key, id);
  c.say(` ---> ${id.slice(7, 19)}\n`);
}

/** A step that only changes the config: a history row, no layer. */
export async function commitMeta(
  st: StageState,
  summary: string,
  fn: (cfg: ContainerConfig, img: ImageConfig) => void,
  c: StepContext,
  silent = false,
): Promise<void> {
  const key = c.cache.key(st.imageId, summary);
  const createdBy = `/bin/sh -c #(nop)  ${summary}`;
  // Applied to a copy first: the handler's effects on the stage (CMD seen...) hold on a cache hit too.
  const next = structuredClone(st.config);
  next.config ??= {};
  fn(next.config, next);
  if (!silent && (await fromCache(st, key, c, { createdBy, config: next }))) return;
  st.config = next;
  st.config.created = new Date().toISOString();
  st.config.history = [...(st.config.history ?? []), { ...historyRow(createdBy), empty_layer: true }];
  const id = await c.backend.createImage(st.config, st.imageId);
  if (silent) {
    st.imageId = id;
    return;
  }
  await done(st, id, key, c);
}

/** A step that writes files over the current image: its changes become the layer. */
export async function commitFiles(
  st: StageState,
  summary: string,
  key: string,
  c: StepContext,
  write: (root: string) => Promise<void>,
  emptyOk = false,
): Promise<void> {
  if (await fromCache(st, key, c, { createdBy: `/bin/sh -c #(nop) ${summary}`, config: st.config })) return;
  st.config.created = new Date().toISOString();
  const id = await c.backend.commitFiles({
    parent: st.imageId,
    config: st.config,
    history: historyRow(`/bin/sh -c #(nop) ${summary}`),
    emptyOk,
    write,
  });
  await done(st, id, key, c);
}

/** A RUN container's changes as the step's image. */
export async function commitRun(
  st: StageState,
  containerId: string,
  createdBy: string,
  key: string,
  scrub: string[],
  c: StepContext,
): Promise<void> {
  st.config.created = new Date().toISOString();
  const id = await c.backend.commitContainer(containerId, {
    parent: st.imageId!,
    config: st.config,
    history: historyRow(createdBy),
    scrub,
  });
  await done(st, id, key, c);
}
