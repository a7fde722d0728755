/**
 * What the builder needs from the engine (as moby's `builder.Backend`): the
 * engine implements it (`engine/build-backend.ts`), the builder never sees a
 * store. Image IDs are `sha256:<hex>`.
 */
import type { HistoryEntry, ImageConfig } from "../image/types.js";

/** A RUN container: what `POST /containers/create` would carry, in the builder's words. */
export interface RunSpec {
  image: string;
  cmd: string[];
  env: string[];
  user: string;
  workingDir: string;
  /** Docker HostConfig fields: NetworkMode, ExtraHosts, Memory, Cpu*, ShmSize, Mounts, Tmpfs, Ulimits... */
  hostConfig: Record<string, unknown>;
}

/** A read-only view of an image's root filesystem (COPY --from, RUN --mount=from=). */
export interface ImageRoot {
  path: string;
  release(): Promise<void>;
}

export interface BuilderBackend {
  /**
   * The image ID for a FROM reference: the local image, pulled from its
   * registry when absent (or always with `pull`); `signal` aborting (the
   * build was cancelled) stops that pull. Throws NotFound.
   */
  resolveImage(
    ref: string,
    o: { pull: boolean; platform?: string; say: (s: string) => void; signal?: AbortSignal },
  ): Promise<string>;
  /** Whether an image ID is (still) in the store. */
  hasImage(id: string): boolean;
  imageConfig(id: string): Promise<ImageConfig>;
  /** Registers a config whose layers exist (metadata-only steps). */
  createImage(config: ImageConfig, parent?: string): Promise<string>;
  /**
   * Writes files over image `parent` (or nothing) with `write(root)`, then
   * commits the changes as one layer (ImageService.commit). Returns the ID.
   */
  commitFiles(o: {
    parent?: string;
    config: ImageConfig;
    history: HistoryEntry;
    emptyOk: boolean;
    write: (root: string) => Promise<void>;
  }): Promise<string>;
  /** Mounts an image's files read-only for the duration of a step. */
  imageRoot(id: string): Promise<ImageRoot>;
  /**
   * Creates and starts a RUN container, streams its output to `out` until it
   * exits; returns its ID and exit code. Throws InvalidParameter for a bad spec
   * (an unknown network, say).
   */
  run(
    spec: RunSpec,
    out: (chunk: string) => void,
    signal?: AbortSignal,
  ): Promise<{ id: string; exitCode: number }>;
  /**
   * Commits a stopped RUN container's changes (minus the paths in `scrub`
   * that only exist as mount points) as an image over `parent`.
   */
  commitContainer(
    id: string,
    o: { parent: string; config: ImageConfig; history: HistoryEntry; scrub: string[] },
  ): Promise<string>;
  removeContainer(id: string): Promise<void>;
  tag(id: string, ref: string): Promise<string>;
}
