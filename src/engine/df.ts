/** GET /system/df: what images, containers, volumes and the build cache hold on disk. */
import { summary } from "../image/view.js";
import { chainIDs } from "../snapshot/layers.js";
import { dirSize } from "../util/fs.js";
import { volumeJson } from "../volume/store.js";
import type { Engine } from "./engine.js";
import { parseFilters } from "./filters.js";

/** Per image: its layer chain, the layers' sizes, and how many images use each layer. */
async function layerUse(e: Engine) {
  const facts = await Promise.all(e.imageStore.list().map((rec) => e.images.facts(rec)));
  // A layer counts once in LayersSize, and as shared for every image whose chain has it when another does too.
  const users = new Map<string, number>();
  const sizes = new Map<string, number>();
  const chains = facts.map((f) => {
    const chain = chainIDs(f.config.rootfs.diff_ids);
    chain.forEach((c, i) => {
      users.set(c, (users.get(c) ?? 0) + 1);
      sizes.set(c, f.layerSizes[i] ?? 0);
    });
    return chain;
  });
  const shared = (i: number) =>
    chains[i]!.filter((c) => (users.get(c) ?? 0) > 1).reduce((n, c) => n + (sizes.get(c) ?? 0), 0);
  return { facts, sizes, shared };
}

/**
 * Image ID -> bytes of its layers that other images use too (GET
 * /images/json?shared-size=1, Docker's SharedSize).
 */
export async function sharedSizes(e: Engine): Promise<Map<string, number>> {
  const { facts, shared } = await layerUse(e);
  return new Map(facts.map((f, i) => [f.rec.id, shared(i)]));
}

/** GET /system/df's body. */
export async function diskUsage(e: Engine) {
  const { facts, sizes, shared } = await layerUse(e);
  const containers = e.containerStore.list();
  const Images = facts.map((f, i) => ({
    ...summary(f),
    SharedSize: shared(i),
    Containers: containers.filter((c) => c.image === f.rec.id).length,
  }));
  const Volumes = [];
  for (const v of e.volumes.list()) {
    Volumes.push({
      ...volumeJson(v),
      UsageData: { Size: await dirSize(v.Mountpoint), RefCount: e.volumes.usage(v.Name).length },
    });
  }
  return {
    LayersSize: [...sizes.values()].reduce((a, b) => a + b, 0),
    Images,
    Containers: await e.containers.list({ all: true, size: true, filters: parseFilters(null) }),
    Volumes,
    BuildCache: [],
  };
}
