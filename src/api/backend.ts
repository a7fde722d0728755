/**
 * What each API router needs from the engine, as moby's routers declare
 * their backends (moby api/server/router/container/backend.go and its siblings): a handler decodes the
 * request, makes one call here and writes the answer; it never touches a
 * store. The engine's services satisfy these interfaces structurally.
 */

import type { Readable } from "node:stream";
import type { Builder, BuildOptions } from "../builder/builder.js";
import type { PathStat } from "../engine/containers/archive.js";
import type { CommitOptions } from "../engine/containers/fsviews.js";
import type { ProgressWriter } from "../engine/distribution.js";
import type { Filters } from "../engine/filters.js";
import type { NetworkCreateOptions, NetworkView } from "../engine/networks.js";
import type { VolumeView } from "../engine/volumes.js";
import type { Reference } from "../image/reference.js";
import type { Credentials } from "../registry/client/http.js";

/** /volumes (engine/volumes.ts). */
export interface VolumeBackend {
  list(filters: Filters): VolumeView[];
  create(o: {
    Name?: string;
    Driver?: string;
    DriverOpts?: Record<string, string>;
    Labels?: Record<string, string>;
  }): Promise<VolumeView>;
  inspect(name: string): VolumeView;
  remove(name: string, force: boolean): Promise<void>;
  prune(filters: Filters): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>;
}

/** /networks (engine/networks.ts). */
export interface NetworkBackend {
  list(filters: Filters): NetworkView[];
  inspect(ref: string): NetworkView;
  create(o: NetworkCreateOptions): Promise<{ Id: string; Warning: string }>;
  remove(ref: string): Promise<void>;
  connect(
    ref: string,
    container: string,
    cfg: { Aliases?: string[]; IPAMConfig?: { IPv4Address?: string } },
  ): Promise<void>;
  disconnect(ref: string, container: string): Promise<void>;
  prune(filters: Filters): Promise<{ NetworksDeleted: string[] | null }>;
}

/** Pull, push, load, save, login, search (engine/distribution.ts). */
export interface DistributionBackend {
  /** Parses an image reference; InvalidParameter when malformed. */
  reference(text: string): Reference;
  checkLocal(ref: Reference): void;
  /** `signal`: the client went away (api/router.ts clientSignal); the work stops and leaves nothing half-made. */
  pull(
    ref: Reference,
    o: { creds?: Credentials; platform?: string; signal?: AbortSignal },
    out: ProgressWriter,
  ): Promise<void>;
  push(
    ref: Reference,
    creds: Credentials | undefined,
    out: ProgressWriter,
    signal?: AbortSignal,
  ): Promise<void>;
  load(archive: Readable, out: ProgressWriter, signal?: AbortSignal): Promise<void>;
  save(names: string[], signal?: AbortSignal): Promise<Readable>;
  login(creds: Credentials & { serveraddress?: string }): Promise<void>;
  search(term: string, limit: number): Promise<object[]>;
  inspect(ref: Reference, creds: Credentials | undefined): Promise<unknown>;
}

/** A container's filesystem: diff, commit, export, docker cp (engine/containers/files-service.ts). */
export interface ArchiveBackend {
  changes(ref: string): Promise<{ Path: string; Kind: number }[]>;
  commit(ref: string, o: CommitOptions): Promise<string>;
  export(ref: string): Promise<Readable>;
  stat(ref: string, path: string): Promise<PathStat>;
  get(ref: string, path: string): Promise<{ stat: PathStat; tar: Readable }>;
  put(
    ref: string,
    path: string,
    tar: Readable,
    o: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean },
  ): Promise<void>;
}

/** The classic builder and build prune (engine/build.ts). */
export interface BuildBackend {
  build(
    body: Readable,
    o: BuildOptions & { remote?: string },
    out: Parameters<Builder["build"]>[2],
  ): Promise<string>;
  prune(): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }>;
}
