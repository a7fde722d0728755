/** The builder's shared shapes: build options, a stage's state and a step's surroundings. */
import type { ImageConfig } from "../image/types.js";
import type { BuilderBackend } from "./backend.js";
import type { BuildCache, HashStats } from "./cache.js";
import type { CacheFrom } from "./cachefrom.js";
import type { BuildContext } from "./context.js";
import type { Instruction } from "./dockerfile.js";

/** The classic `POST /build` query parameters, decoded (moby's ImageBuildOptions). */
export interface BuildOptions {
  dockerfile: string;
  /** Repository references to tag the result with. */
  tags: string[];
  buildArgs: Record<string, string>;
  target?: string;
  noCache: boolean;
  labels: Record<string, string>;
  quiet: boolean;
  /** Pull FROM images even when present. */
  pull: boolean;
  platform?: string;
  /** RUN's network: "" or "default" (the default bridge), "bridge", "host", "none", or a network name. */
  networkMode: string;
  /** host:ip entries for RUN containers' /etc/hosts. */
  extraHosts: string[];
  /** HostConfig resource fields for RUN containers (Memory, CpuShares, ShmSize, Ulimits...). */
  resources: Record<string, unknown>;
  /** Remove intermediate containers after a successful step (default true). */
  rm: boolean;
  /** Remove them after a failed step too. */
  forceRm: boolean;
  /** Images whose history may satisfy cache lookups (must be local). */
  cacheFrom: string[];
  /** Secrets for RUN --mount=type=secret, by id (`berth build --secret`). */
  secrets: Map<string, Buffer>;
  signal?: AbortSignal;
}

export interface StageState {
  imageId?: string;
  config: ImageConfig;
  /** ARGs declared in this stage, with their values. */
  args: Map<string, string>;
  shell: string[];
  /** CMD was set in this stage (ENTRYPOINT then keeps it). */
  cmdSet?: boolean;
}

export type Out = (msg: object) => void;

/** What a step handler sees besides its stage. */
export interface StepContext {
  o: BuildOptions;
  backend: BuilderBackend;
  cache: BuildCache;
  /** The --cache-from images (empty without the option). */
  cacheFrom: CacheFrom;
  ctx: BuildContext;
  /** The Dockerfile's escape token. */
  esc: string;
  /** Global (before the first FROM) ARG values. */
  meta: Map<string, string>;
  /** Build args some ARG consumed. */
  used: Set<string>;
  say(s: string): void;
  /** The image of a stage (by name or index), waiting for it to be built; undefined if `ref` names no stage. */
  stageImage(ref: string): Promise<string> | undefined;
  tmpDir: string;
  /** Where secrets are written for a step (under the exec root: memory, not disk, on a usual /run). */
  secretDir: string;
  /** How context files were hashed in this build. */
  hashStats: HashStats;
}

export type Handler = (ins: Instruction, st: StageState, c: StepContext) => Promise<void>;
