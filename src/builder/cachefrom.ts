/**
 * `--cache-from` as the classic builder does it (moby `image/cache`): local
 * images (pulled from a registry, so without parent links) serve as cache.
 * A step matches a source image when the source's history starts with the
 * parent's history and diffIDs and its next history row was made by the
 * same command (`created_by`); the step's image is then the source itself
 * (its last row) or an image restored from the parent plus that row and its
 * layer. Once a source matched, only that source is tried (as moby does).
 */
import type { HistoryEntry, ImageConfig } from "../image/types.js";
import type { BuilderBackend } from "./backend.js";

interface Source {
  id: string;
  config: ImageConfig;
}

export class CacheFrom {
  private sources: Source[];

  constructor(sources: Source[]) {
    this.sources = sources;
  }

  get empty(): boolean {
    return this.sources.length === 0;
  }

  /**
   * The image for a step over `parent` (undefined: scratch) whose history row
   * reads `createdBy` and whose resulting config is `next`; undefined if no
   * source has it.
   */
  async probe(
    backend: BuilderBackend,
    parent: { id: string; config: ImageConfig } | undefined,
    createdBy: string,
    next: ImageConfig,
  ): Promise<string | undefined> {
    const ph = parent?.config.history ?? [];
    const pd = parent?.config.rootfs.diff_ids ?? [];
    for (const s of this.sources) {
      const h = s.config.history ?? [];
      if (!validParent(s.config, ph, pd) || h[ph.length]?.created_by !== createdBy) continue;
      this.sources = [s];
      if (h.length - 1 === ph.length) return s.id;
      const row = h[ph.length]!;
      const diffIds = [...pd];
      if (!row.empty_layer) {
        const layer = layerAt(s.config, ph.length);
        if (!layer) return undefined;
        diffIds.push(layer);
      }
      const config: ImageConfig = {
        ...next,
        architecture: s.config.architecture,
        os: s.config.os,
        created: row.created,
        rootfs: { type: "layers", diff_ids: diffIds },
        history: [...ph, row],
      };
      return backend.createImage(config, parent?.id);
    }
    return undefined;
  }
}

function validParent(img: ImageConfig, ph: HistoryEntry[], pd: string[]): boolean {
  const h = img.history ?? [];
  if (h.length === 0) return false;
  if (ph.length === 0 && pd.length === 0) return true;
  if (ph.length >= h.length || pd.length > img.rootfs.diff_ids.length) return false;
  for (let i = 0; i < ph.length; i++) if (JSON.stringify(ph[i]) !== JSON.stringify(h[i])) return false;
  return pd.every((d, i) => img.rootfs.diff_ids[i] === d);
}

/** The diffID of the layer history row `index` made (rows marked empty_layer make none). */
function layerAt(img: ImageConfig, index: number): string | undefined {
  let n = 0;
  const h = img.history ?? [];
  for (let i = 0; i < index; i++) if (!h[i]!.empty_layer) n++;
  return img.rootfs.diff_ids[n];
}
