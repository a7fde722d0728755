/**
 * Read-only layers, stacked by chainID (OCI: chainID(L0) = diffID(L0),
 * chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln))).
 *
 * Flow of an image import or pull: `create(parentChainID, apply)` extracts a
 * layer tar into a fresh temp directory while the caller hashes it, then the
 * directory is renamed to overlay/<chainID hex>/diff and its metadata written
 * atomically. The same layer (same chainID) is stored once and shared by every
 * image that uses it. Containers stack these dirs as overlayfs lowerdirs (see
 * overlay.ts); each layer dir gets a short link name (overlay/l/<id>) so deep
 * stacks fit in the one-page mount option limit, as Docker's overlay2 does.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { notFound, withPath } from "../util/errors.js";
import { readJson, writeJsonAtomic } from "../util/fs.js";

export interface LayerBlob {
  digest: string;
  size: number;
  mediaType: string;
}

export interface LayerMeta {
  chainID: string;
  diffID: string;
  parent?: string;
  /** Unpacked size of this layer's own files, in bytes. */
  size: number;
  /** Length of the uncompressed layer tar (diffID's input), for `save`. */
  tarSize: number;
  /** Short name used in overlay mount options (overlay/l/<link>). */
  link: string;
  /** Blobs in the content store whose uncompressed content is this layer. */
  blobs: LayerBlob[];
}

export function chainIDs(diffIDs: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIDs) {
    const prev = out[out.length - 1];
    out.push(prev ? `sha256:${createHash("sha256").update(`${prev} ${d}`).digest("hex")}` : d);
  }
  return out;
}

function shortLink(): string {
  // 26 chars of [A-Z0-9], like Docker's overlay2 link names.
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return Array.from(randomBytes(26), (b) => alphabet[b % alphabet.length]).join("");
}

export class LayerStore {
  readonly dir: string;
  readonly linkDir: string;
  private readonly metaDir: string;
  private readonly cache = new Map<string, LayerMeta>();

  /** chainIDs being stored right now, so one of two identical layers made at once wins. */
  private readonly storing = new Map<string, Promise<void>>();

  constructor(root: string) {
    this.dir = join(root, "overlay");
    this.linkDir = join(this.dir, "l");
    this.metaDir = join(root, "layers");
  }

  async init(): Promise<void> {
    await mkdir(this.linkDir, { recursive: true });
    await mkdir(this.metaDir, { recursive: true });
    await this.removeIncomplete();
  }

  diffDir(chainID: string): string {
    return join(this.dir, chainID.slice(7), "diff");
  }

  private metaPath(chainID: string): string {
    return join(this.metaDir, `${chainID.slice(7)}.json`);
  }

  async get(chainID: string): Promise<LayerMeta | undefined> {
    const hit = this.cache.get(chainID);
    if (hit) return hit;
    const meta = await readJson<LayerMeta>(this.metaPath(chainID));
    if (meta) this.cache.set(chainID, meta);
    return meta;
  }

  async mustGet(chainID: string): Promise<LayerMeta> {
    const meta = await this.get(chainID);
    if (!meta) throw notFound(`layer ${chainID} does not exist`);
    return meta;
  }

  /**
   * Creates a layer on top of `parent` by running `apply` on an empty
   * directory; `apply` returns the layer's diffID and size (it hashed the
   * uncompressed tar while extracting). Returns the existing layer when the
   * resulting chainID is already stored.
   */
  async create(
    parent: string | undefined,
    apply: (dir: string) => Promise<{ diffID: string; size: number; tarSize: number }>,
    blob?: LayerBlob,
  ): Promise<LayerMeta> {
    const tmp = join(this.dir, `tmp-${randomBytes(8).toString("hex")}`);
    await mkdir(join(tmp, "diff"), { recursive: true });
    try {
      const { diffID, size, tarSize } = await apply(join(tmp, "diff"));
      const chainID = chainIDs(parent ? [parent, diffID] : [diffID]).pop()!;
      // The same layer made at the same time (parallel build stages, two pulls): one stores it.
      for (let busy = this.storing.get(chainID); busy; busy = this.storing.get(chainID))
        await busy.catch(() => {});
      let stored!: () => void;
      this.storing.set(
        chainID,
        new Promise<void>((r) => {
          stored = r;
        }),
      );
      try {
        return await this.store(tmp, chainID, { diffID, parent, size, tarSize, blob });
      } finally {
        this.storing.delete(chainID);
        stored();
      }
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw withPath(err, tmp);
    }
  }

  private async store(
    tmp: string,
    chainID: string,
    l: { diffID: string; parent?: string; size: number; tarSize: number; blob?: LayerBlob },
  ): Promise<LayerMeta> {
    const { diffID, parent, size, tarSize, blob } = l;
    const existing = await this.get(chainID);
    if (existing) {
      await rm(tmp, { recursive: true, force: true });
      if (blob && !existing.blobs.some((b) => b.digest === blob.digest)) {
        existing.blobs.push(blob);
        await writeJsonAtomic(this.metaPath(chainID), existing);
      }
      return existing;
    }
    const link = shortLink();
    await writeFile(join(tmp, "link"), link);
    const final = join(this.dir, chainID.slice(7));
    await rm(final, { recursive: true, force: true }); // a leftover without metadata
    await rename(tmp, final);
    await symlink(`../${chainID.slice(7)}/diff`, join(this.linkDir, link));
    const meta: LayerMeta = { chainID, diffID, parent, size, tarSize, link, blobs: blob ? [blob] : [] };
    await writeJsonAtomic(this.metaPath(chainID), meta);
    this.cache.set(chainID, meta);
    return meta;
  }

  async addBlob(chainID: string, blob: LayerBlob): Promise<void> {
    const meta = await this.mustGet(chainID);
    if (meta.blobs.some((b) => b.digest === blob.digest)) return;
    meta.blobs.push(blob);
    await writeJsonAtomic(this.metaPath(chainID), meta);
  }

  /** The chain from the bottom layer up to `top`. */
  async chain(top: string | undefined): Promise<LayerMeta[]> {
    const out: LayerMeta[] = [];
    let cur = top;
    while (cur) {
      const m = await this.mustGet(cur);
      out.unshift(m);
      cur = m.parent;
    }
    return out;
  }

  async list(): Promise<LayerMeta[]> {
    const out: LayerMeta[] = [];
    for (const name of await readdir(this.metaDir)) {
      if (!name.endsWith(".json")) continue;
      const m = await this.get(`sha256:${name.slice(0, -5)}`);
      if (m) out.push(m);
    }
    return out;
  }

  /** Deletes a layer (callers ensure nothing references it). */
  async remove(chainID: string): Promise<void> {
    const meta = await this.get(chainID);
    await rm(this.metaPath(chainID), { force: true });
    this.cache.delete(chainID);
    if (meta) await rm(join(this.linkDir, meta.link), { force: true });
    await rm(join(this.dir, chainID.slice(7)), { recursive: true, force: true });
  }

  /** After a crash: temp dirs and layer dirs whose metadata never got written. */
  private async removeIncomplete(): Promise<void> {
    const known = new Set((await readdir(this.metaDir)).map((n) => n.replace(/\.json$/, "")));
    for (const name of await readdir(this.dir)) {
      if (name.startsWith("tmp-") || (/^[a-f0-9]{64}$/.test(name) && !known.has(name))) {
        await rm(join(this.dir, name), { recursive: true, force: true });
      }
    }
    for (const link of await readdir(this.linkDir)) {
      const target = await stat(join(this.linkDir, link)).catch(() => undefined);
      if (target === undefined) await rm(join(this.linkDir, link), { force: true });
    }
  }
}
