/**
 * BuildService: the classic builder (build/builder.ts) and the pruning of
 * what builds leave, behind api/backend.ts's BuildBackend.
 */
import { rm } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { Builder, BuildOptions } from "../build/builder.js";
import type { ImageService } from "./images.js";

export class BuildService {
  constructor(
    private readonly builder: Builder,
    private readonly images: ImageService,
    private readonly cachePath: string,
  ) {}

  /** POST /build: builds the context tar `body`; progress goes to `out`; returns the image ID. */
  build(body: Readable, o: BuildOptions, out: Parameters<Builder["build"]>[2]): Promise<string> {
    return this.builder.build(body, o, out);
  }

  /** POST /build/prune: drops the build cache index and the dangling images builds left. */
  async prune(): Promise<{ CachesDeleted: null; SpaceReclaimed: number }> {
    await rm(this.cachePath, { force: true });
    const pruned = await this.images.prune({ all: false });
    return { CachesDeleted: null, SpaceReclaimed: pruned.SpaceReclaimed };
  }
}
