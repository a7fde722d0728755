/**
 * Content store: blobs addressed by their sha256 digest.
 *
 * Flow: a writer streams bytes into <root>/ingest/<ref>, hashing as it goes;
 * commit checks the digest (and size) it was promised, fsyncs and renames the
 * file to <root>/blobs/sha256/<hex>. A blob is therefore either whole and
 * verified or absent; a crash leaves at most an ingest file, which a later
 * writer with the same ref resumes (registry pulls) or GC removes.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { link, lstat, mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { invalid, isErrno, notFound, withPath } from "../util/errors.js";
import { fsyncDir } from "../util/fs.js";

/** Read size of blob streams (1 MiB: fewer callbacks for layer-sized blobs, see layer/compression.ts). */
export const BLOB_READ_CHUNK = 1024 * 1024;

export interface BlobInfo {
  digest: string;
  size: number;
}

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function assertDigest(digest: string): void {
  if (!DIGEST_RE.test(digest)) throw invalid(`invalid digest: ${digest}`);
}

export function sha256(data: string | Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

export interface Expected {
  digest?: string;
  size?: number;
}

export class ContentStore {
  readonly blobsDir: string;
  readonly ingestDir: string;
  /** Ingest files a writer holds now (a prune keeps them). */
  readonly active = new Set<string>();
  /**
   * Ref writers open now, by ingest path: each resolves when its writer commits
   * or aborts. Two writers appending to one ingest file would interleave their
   * bytes under one digest, so a second writer of a ref waits for the first.
   */
  private readonly held = new Map<string, Promise<void>>();

  constructor(readonly root: string) {
    this.blobsDir = join(root, "blobs", "sha256");
    this.ingestDir = join(root, "ingest");
  }

  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await mkdir(this.ingestDir, { recursive: true });
  }

  path(digest: string): string {
    assertDigest(digest);
    return join(this.blobsDir, digest.slice(7));
  }

  async info(digest: string): Promise<BlobInfo | undefined> {
    try {
      const st = await stat(this.path(digest));
      return { digest, size: st.size };
    } catch (err) {
      if (isErrno(err, "ENOENT")) return undefined;
      throw err;
    }
  }

  async has(digest: string): Promise<boolean> {
    return (await this.info(digest)) !== undefined;
  }

  async read(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (err) {
      if (isErrno(err, "ENOENT")) throw notFound(`blob ${digest} not found`);
      throw err;
    }
  }

  async readJson<T>(digest: string): Promise<T> {
    return JSON.parse((await this.read(digest)).toString("utf8")) as T;
  }

  /** A stream of the blob from byte `start`. */
  async readStream(digest: string, start = 0): Promise<Readable> {
    if (!(await this.has(digest))) throw notFound(`blob ${digest} not found`);
    return createReadStream(this.path(digest), { start, highWaterMark: BLOB_READ_CHUNK });
  }

  /** Stores a small blob held in memory. */
  async put(data: string | Uint8Array, expected: Expected = {}): Promise<BlobInfo> {
    const w = await this.writer();
    await w.write(typeof data === "string" ? Buffer.from(data) : data);
    return w.commit(expected);
  }

  /**
   * Streams a blob in, verifying it against `expected` if given. `signal`
   * aborting stops it between chunks (rejecting with its reason); like any
   * failure, the unfinished ingest file is removed (kept only under a `ref`
   * writer driven by the caller, see writer()).
   */
  async ingest(
    source: AsyncIterable<Uint8Array>,
    expected: Expected = {},
    ref?: string,
    signal?: AbortSignal,
  ): Promise<BlobInfo> {
    const w = await this.writer(ref);
    try {
      for await (const chunk of source) {
        signal?.throwIfAborted();
        await w.write(chunk);
      }
      signal?.throwIfAborted();
      return await w.commit(expected);
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  /**
   * A writer. With a `ref` (e.g. the expected digest of a pull), a partial
   * ingest left by an interrupted writer is resumed: `offset` tells where.
   * One writer per ref at a time: a second waits until the first commits or
   * aborts (the caller then checks whether the blob arrived meanwhile);
   * `signal` aborting ends that wait, rejecting with its reason.
   */
  async writer(ref?: string, signal?: AbortSignal): Promise<BlobWriter> {
    const name = ref ? ref.replace(/[^a-zA-Z0-9_.-]/g, "_") : `tmp-${randomBytes(8).toString("hex")}`;
    const path = join(this.ingestDir, name);
    const hash = createHash("sha256");
    const offset = 0;
    let release = () => {};
    if (ref) {
      for (let busy = this.held.get(path); busy; busy = this.held.get(path)) await untilDone(busy, signal);
      signal?.throwIfAborted();
      const done = new Promise<void>((res) => {
        release = () => {
          if (this.held.get(path) === done) this.held.delete(path);
          res();
        };
      });
      this.held.set(path, done);
    }
    try {
      return await this.openWriter(path, hash, ref !== undefined, offset, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  private async openWriter(
    path: string,
    hash: import("node:crypto").Hash,
    resume: boolean,
    offset: number,
    release: () => void,
  ): Promise<BlobWriter> {
    if (resume) {
      // Re-hash what an earlier attempt wrote so the digest covers it.
      try {
        for await (const chunk of createReadStream(path, { highWaterMark: BLOB_READ_CHUNK })) {
          hash.update(chunk as Buffer);
          offset += (chunk as Buffer).length;
        }
      } catch (err) {
        if (!isErrno(err, "ENOENT")) throw err;
      }
    }
    const fh = await open(path, "a");
    this.active.add(path);
    return new BlobWriter(this, path, fh, hash, offset, release);
  }

  /**
   * Stores the file at `path`, whose sha256 the caller computed as `digest`
   * while reading it, without copying it: hard-linked into the ingest dir,
   * fsynced, renamed into place (a load's layer tar, already on this disk).
   * Undefined when it cannot be linked (not a regular file, another
   * filesystem): the caller then streams it in.
   */
  async adoptFile(path: string, digest: string): Promise<BlobInfo | undefined> {
    const st = await lstat(path).catch(() => undefined);
    if (!st?.isFile()) return undefined;
    if (await this.has(digest)) return { digest, size: st.size };
    const tmp = join(this.ingestDir, `adopt-${randomBytes(8).toString("hex")}`);
    try {
      await link(path, tmp);
    } catch {
      return undefined;
    }
    try {
      const fh = await open(tmp, "r");
      try {
        const now = await fh.stat();
        if (now.ino !== st.ino || now.size !== st.size) throw invalid(`${path} changed while it was stored`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this._commit(tmp, digest);
      return { digest, size: st.size };
    } catch (err) {
      await rm(tmp, { force: true });
      throw withPath(err, path);
    }
  }

  /** Moves a verified ingest file into place. */
  async _commit(ingestPath: string, digest: string): Promise<void> {
    const target = this.path(digest);
    await rename(ingestPath, target);
    await fsyncDir(this.blobsDir);
  }

  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  async list(): Promise<string[]> {
    const names = await readdir(this.blobsDir);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  /** Removes ingest files older than `maxAgeMs` (abandoned writes). */
  async pruneIngest(maxAgeMs = 0): Promise<void> {
    const now = Date.now();
    for (const name of await readdir(this.ingestDir)) {
      const p = join(this.ingestDir, name);
      const st = await stat(p).catch(() => undefined);
      if (st && now - st.mtimeMs >= maxAgeMs) await rm(p, { force: true });
    }
  }
}

export class BlobWriter {
  private done = false;
  constructor(
    private readonly store: ContentStore,
    private readonly path: string,
    private readonly fh: import("node:fs/promises").FileHandle,
    private readonly hash: import("node:crypto").Hash,
    public offset: number,
    private readonly release: () => void = () => {},
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    this.hash.update(chunk);
    let written = 0;
    try {
      while (written < chunk.length) {
        const { bytesWritten } = await this.fh.write(chunk, written, chunk.length - written);
        written += bytesWritten;
      }
    } catch (err) {
      throw withPath(err, this.path);
    }
    this.offset += chunk.length;
  }

  /** Verifies and commits; a mismatch removes the partial data and throws. */
  async commit(expected: Expected = {}): Promise<BlobInfo> {
    const digest = `sha256:${this.hash.digest("hex")}`;
    const size = this.offset;
    this.done = true;
    this.store.active.delete(this.path);
    try {
      if (expected.digest && expected.digest !== digest) {
        throw invalid(`digest mismatch: expected ${expected.digest}, got ${digest}`);
      }
      if (expected.size !== undefined && expected.size >= 0 && expected.size !== size) {
        throw invalid(`size mismatch for ${digest}: expected ${expected.size}, got ${size}`);
      }
      await this.fh.sync();
      await this.fh.close();
      await this.store._commit(this.path, digest);
      return { digest, size };
    } catch (err) {
      await this.fh.close().catch(() => {});
      await rm(this.path, { force: true });
      throw withPath(err, this.path);
    } finally {
      this.release();
    }
  }

  /** Keeps the partial file (for resume) unless `discard`. */
  async abort(discard = true): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.store.active.delete(this.path);
    try {
      await this.fh.close().catch(() => {});
      if (discard) await rm(this.path, { force: true });
    } finally {
      this.release();
    }
  }
}

/** Resolves when `busy` settles, or rejects with `signal`'s reason if it aborts first. */
function untilDone(busy: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return busy;
  signal.throwIfAborted();
  return new Promise<void>((res, rej) => {
    const onAbort = () => rej(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    busy.then(() => {
      signal.removeEventListener("abort", onAbort);
      res();
    });
  });
}
