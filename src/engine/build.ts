/**
 * BuildService: the classic builder (builder/builder.ts) and `POST /build/prune`,
 * behind api/backend.ts's BuildBackend.
 */
import type { Readable } from "node:stream";
import type { Builder, BuildOptions } from "../builder/builder.js";

export class BuildService {
  /** `leftovers` removes what interrupted operations left (temp, ingest) and returns the bytes freed. */
  constructor(
    private readonly builder: Builder,
    private readonly leftovers: () => Promise<number> = async () => 0,
    /** Holds image GC off while the build's layers and images are not all referenced yet. */
    private readonly hold: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
  ) {}

  /** POST /build: builds the context tar `body` (or `o.remote`); progress goes to `out`; returns the image ID. */
  build(
    body: Readable,
    o: BuildOptions & { remote?: string },
    out: Parameters<Builder["build"]>[2],
  ): Promise<string> {
    return this.hold(() => this.builder.build(body, o, out));
  }

  /**
   * POST /build/prune: the build cache (steps and cache mounts, named in
   * CachesDeleted); the leftovers of interrupted operations count in
   * SpaceReclaimed, as the builder's cache is where `docker system prune`
   * looks for temporary data.
   */
  async prune(): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }> {
    const pruned = await this.builder.prune();
    const freed = await this.leftovers();
    return { ...pruned, SpaceReclaimed: pruned.SpaceReclaimed + freed };
  }
}
