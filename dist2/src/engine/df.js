/** GET /system/df: what images, containers, volumes and the build cache hold on disk. */
import { summary } from "../image/view.js";
import { chainIDs } from "../snapshot/layers.js";
import { dirSize } from "../util/fs.js";
import { volumeJson } from "../volume/store.js";
import { parseFilters } from "./filters.js";
export async function diskUsage(e) {
    const facts = await Promise.all(e.imageStore.list().map((rec) => e.images.facts(rec)));
    // A layer counts once in LayersSize, and as shared for every image whose chain has it when another does too.
    const users = new Map();
    const sizes = new Map();
    const chains = facts.map((f) => {
        const chain = chainIDs(f.config.rootfs.diff_ids);
        chain.forEach((c, i) => {
            users.set(c, (users.get(c) ?? 0) + 1);
            sizes.set(c, f.layerSizes[i] ?? 0);
        });
        return chain;
    });
    const containers = e.containerStore.list();
    const Images = facts.map((f, i) => ({
        ...summary(f),
        SharedSize: chains[i].filter((c) => (users.get(c) ?? 0) > 1).reduce((n, c) => n + (sizes.get(c) ?? 0), 0),
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
//# sourceMappingURL=df.js.map