/**
 * Image metadata: which images exist (by ID = config digest) and which names
 * point at them. The config and manifest documents themselves live in the
 * content store; layers live in the layer store.
 *
 *   <root>/image/images/<hex>.json   one ImageRecord per image
 *   <root>/image/repositories.json   canonical reference -> image ID
 * Every write is atomic; a crash never leaves a half-written record.
 */
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { conflict, invalid, notFound } from "../util/errors.js";
import { readJson, writeJsonAtomic } from "../util/fs.js";
import { canonical, looksLikeId, parseReference, type Reference, withDefaultTag } from "./reference.js";
import type { Descriptor } from "./types.js";

export interface ImageRecord {
  /** sha256 of the config blob. */
  id: string;
  /** The local parent image (commit/build), as Docker's Parent field. */
  parent?: string;
  /** The manifest this image was pulled with or last pushed as, kept for a byte-identical push. */
  manifest?: Descriptor;
  /** Unix ms when a tag was last added. */
  lastTagTime?: number;
  /** Unix ms when the record was created on this host. */
  loaded: number;
}

export class ImageStore {
  private readonly imagesDir: string;
  private readonly reposPath: string;
  private images = new Map<string, ImageRecord>();
  /** canonical reference -> image ID */
  private refs = new Map<string, string>();

  constructor(root: string) {
    this.imagesDir = join(root, "image", "images");
    this.reposPath = join(root, "image", "repositories.json");
  }

  async init(): Promise<void> {
    await mkdir(this.imagesDir, { recursive: true });
    for (const name of await readdir(this.imagesDir)) {
      if (!/^[a-f0-9]{64}\.json$/.test(name)) continue;
      const rec = await readJson<ImageRecord>(join(this.imagesDir, name));
      if (rec) this.images.set(rec.id, rec);
    }
    const repos = (await readJson<Record<string, string>>(this.reposPath)) ?? {};
    for (const [ref, id] of Object.entries(repos)) if (this.images.has(id)) this.refs.set(ref, id);
  }

  list(): ImageRecord[] {
    return [...this.images.values()];
  }

  get(id: string): ImageRecord | undefined {
    return this.images.get(id);
  }

  async put(rec: ImageRecord): Promise<void> {
    await writeJsonAtomic(join(this.imagesDir, `${rec.id.slice(7)}.json`), rec);
    this.images.set(rec.id, rec);
  }

  async delete(id: string): Promise<void> {
    for (const [ref, target] of this.refs) if (target === id) this.refs.delete(ref);
    await this.saveRefs();
    await rm(join(this.imagesDir, `${id.slice(7)}.json`), { force: true });
    this.images.delete(id);
  }

  /** References (canonical strings) pointing at `id`. */
  refsOf(id: string): string[] {
    return [...this.refs].filter(([, target]) => target === id).map(([ref]) => ref);
  }

  allRefs(): [string, string][] {
    return [...this.refs];
  }

  async addRef(ref: Reference, id: string): Promise<void> {
    if (!this.images.has(id)) throw notFound(`No such image: ${id}`);
    const key = canonical(ref);
    this.refs.set(key, id);
    await this.saveRefs();
    const rec = this.images.get(id)!;
    if (ref.tag) await this.put({ ...rec, lastTagTime: Date.now() });
  }

  async removeRef(ref: Reference): Promise<string | undefined> {
    const key = canonical(ref);
    const id = this.refs.get(key);
    if (id === undefined) return undefined;
    this.refs.delete(key);
    await this.saveRefs();
    return id;
  }

  lookupRef(ref: Reference): string | undefined {
    return this.refs.get(canonical(ref));
  }

  /**
   * Resolves what a user typed: a name (busybox, busybox:1, x@sha256:..),
   * a full ID, or an unambiguous ID prefix.
   */
  resolve(input: string): ImageRecord {
    const byName = this.tryName(input);
    if (byName) return byName;
    if (looksLikeId(input)) {
      const hex = input.replace(/^sha256:/, "");
      if (input.startsWith("sha256:") && hex.length === 64) {
        const rec = this.images.get(input);
        if (rec) return rec;
      } else {
        const matches = [...this.images.keys()].filter((id) => id.slice(7).startsWith(hex));
        if (matches.length === 1) return this.images.get(matches[0]!)!;
        if (matches.length > 1) throw conflict(`multiple IDs found with provided prefix: ${input}`);
      }
    }
    throw notFound(`No such image: ${input}`);
  }

  private tryName(input: string): ImageRecord | undefined {
    let ref: Reference;
    try {
      ref = withDefaultTag(parseReference(input));
    } catch {
      if (looksLikeId(input)) return undefined;
      throw invalid(`invalid reference format: ${input}`);
    }
    const id = this.refs.get(canonical(ref));
    if (id) return this.images.get(id);
    if (ref.digest) {
      // name@digest also matches when the digest is the manifest we hold.
      const repo = canonical({ ...ref, tag: undefined, digest: undefined });
      for (const rec of this.images.values()) {
        if (rec.manifest?.digest === ref.digest && this.refsOf(rec.id).some((r) => r.startsWith(repo)))
          return rec;
      }
    }
    return undefined;
  }

  private async saveRefs(): Promise<void> {
    await writeJsonAtomic(this.reposPath, Object.fromEntries(this.refs));
  }
}
