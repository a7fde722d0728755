/**
 * VolumeService: Docker's volume operations over volume/store.ts, with the
 * filters of `volume ls`/`prune` and the events each change emits.
 * Implements api/backend.ts's VolumeBackend; knows nothing of HTTP.
 */
import type { Volume, VolumeStore } from "../volume/store.js";
import { volumeJson } from "../volume/store.js";
import type { EventBus } from "./events.js";
import { checkFilterNames, type Filters, isTrue, matchLabels, matchPattern } from "./filters.js";

/** definitions/Volume as the API shows it. */
export type VolumeView = ReturnType<typeof volumeJson>;

export class VolumeService {
  constructor(
    private readonly volumes: VolumeStore,
    private readonly events: EventBus,
  ) {}

  private filtered(f: Filters): Volume[] {
    checkFilterNames(f, ["dangling", "name", "label", "driver", "label!"]);
    return this.volumes.list().filter((v) => {
      const d = f.get("dangling")?.[0];
      if (d !== undefined && (this.volumes.usage(v.Name).length === 0) !== isTrue(d)) return false;
      const names = f.get("name");
      if (names && !names.some((n) => matchPattern(n, v.Name))) return false;
      const labels = f.get("label");
      if (labels && !matchLabels(v.Labels, labels)) return false;
      const notLabels = f.get("label!");
      if (notLabels?.some((l) => matchLabels(v.Labels, [l]))) return false;
      const drivers = f.get("driver");
      if (drivers && !drivers.includes(v.Driver)) return false;
      return true;
    });
  }

  /** GET /volumes. Throws InvalidParameter on an unknown filter. */
  list(f: Filters): VolumeView[] {
    return this.filtered(f).map(volumeJson);
  }

  /** POST /volumes/create: an existing name is returned as it is; a new one emits `create`. */
  async create(o: {
    Name?: string;
    Driver?: string;
    DriverOpts?: Record<string, string>;
    Labels?: Record<string, string>;
  }): Promise<VolumeView> {
    const existed = o.Name ? this.volumes.has(o.Name) : false;
    const v = await this.volumes.create(o);
    if (!existed) this.events.emit("volume", "create", v.Name, { driver: "local" });
    return volumeJson(v);
  }

  /** GET /volumes/{name}. Throws NotFound. */
  inspect(name: string): VolumeView {
    return volumeJson(this.volumes.get(name));
  }

  /** DELETE /volumes/{name}; emits `destroy`. Throws NotFound, Conflict (in use). */
  async remove(name: string, force: boolean): Promise<void> {
    await this.volumes.remove(name, force);
    this.events.emit("volume", "destroy", name, { driver: "local" });
  }

  /** POST /volumes/prune: unused volumes matching the filters, with the bytes freed. */
  async prune(f: Filters): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
    const deleted: string[] = [];
    let space = 0;
    for (const v of this.filtered(f)) {
      if (this.volumes.usage(v.Name).length) continue;
      space += await this.volumes.size(v.Name).catch(() => 0);
      await this.volumes.remove(v.Name);
      this.events.emit("volume", "destroy", v.Name, { driver: "local" });
      deleted.push(v.Name);
    }
    return { VolumesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space };
  }
}
