/**
 * ContainerFiles: a container's filesystem seen from outside (docker diff,
 * commit, export, and the archive API behind docker cp), over fsviews.ts.
 * Implements api/backend.ts's ArchiveBackend; knows nothing of HTTP.
 */
import type { Readable } from "node:stream";
import { getArchive, type PathStat, putArchive, statPath } from "./archive.js";
import { type CommitOptions, commit, diff, exportContainer } from "./fsviews.js";
import type { ContainerService } from "./index.js";

export class ContainerFiles {
  constructor(private readonly c: ContainerService) {}

  /** GET /containers/{id}/changes. Throws NotFound. */
  changes(ref: string) {
    return diff(this.c.d, ref);
  }

  /** POST /commit: a new image from the container's writable layer; returns its ID. */
  commit(ref: string, o: CommitOptions): Promise<string> {
    return commit(this.c.d, this.c.life, ref, o);
  }

  /** GET /containers/{id}/export: the container's root filesystem as a tar. */
  export(ref: string): Promise<Readable> {
    return exportContainer(this.c.d, ref);
  }

  /** HEAD /containers/{id}/archive. Throws NotFound, InvalidParameter. */
  stat(ref: string, path: string): Promise<PathStat> {
    return statPath(this.c.d, ref, path);
  }

  /** GET /containers/{id}/archive: the path's stat and a tar of it. */
  get(ref: string, path: string): Promise<{ stat: PathStat; tar: Readable }> {
    return getArchive(this.c.d, ref, path);
  }

  /** PUT /containers/{id}/archive: extracts `tar` into the directory `path`. */
  put(
    ref: string,
    path: string,
    tar: Readable,
    o: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean },
  ): Promise<void> {
    return putArchive(this.c.d, ref, path, tar, o);
  }
}
