/**
 * On-disk layout of the registry (every file appears by rename, never half-written):
 *   blobs/<alg>/<hex[0:2]>/<hex>                      bytes, stored once whatever the repository
 *   repositories/<name>/_layers/<alg>/<hex>             link: the blob is visible in <name>
 *   repositories/<name>/_manifests/revisions/<alg>/<hex> JSON ManifestMeta: the manifest is in <name>
 *   repositories/<name>/_manifests/tags/<tag>          the digest the tag points at
 *   repositories/<name>/_referrers/<alg>/<hex>/<alg>-<hex> descriptor of a manifest whose subject is <alg>:<hex>
 *   uploads/<uuid>/data, uploads/<uuid>/state.json    uploads in progress
 * Temporary files start with "." so no tag, digest or repository component can collide with them.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";

/** distribution-spec v1.1 name and tag grammars. */
const COMPONENT = "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*";
const NAME_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const validName = (n: string): boolean => n.length < 256 && NAME_RE.test(n);
export const validTag = (t: string): boolean => TAG_RE.test(t);
export const validDigest = (d: string): boolean => DIGEST_RE.test(d);
export const validUuid = (u: string): boolean => UUID_RE.test(u);

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ManifestMeta {
  digest: string;
  mediaType: string;
  size: number;
  subject?: string;
}

export interface UploadState {
  name: string;
  startedAt: string;
}

function split(digest: string): [string, string] {
  const i = digest.indexOf(":");
  return [digest.slice(0, i), digest.slice(i + 1)];
}

export function tempName(path: string): string {
  return join(dirname(path), `.tmp-${randomBytes(8).toString("hex")}`);
}

/** Writes `data` to a temp file beside `path`, fsyncs it and renames it over `path`. */
export async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempName(path);
  const fh = await open(tmp, "w", 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function hashFile(path: string, alg: string): Promise<string> {
  const h = createHash(alg);
  await pipeline(createReadStream(path), h);
  return `${alg}:${h.digest("hex")}`;
}

export function hashBytes(data: Buffer, alg = "sha256"): string {
  return `${alg}:${createHash(alg).update(data).digest("hex")}`;
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return null;
  }
}

/** Directory entries that are not temp files; [] when the directory is missing. */
export async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => !n.startsWith("."));
  } catch {
    return [];
  }
}

async function removeFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch {
    return false;
  }
}

export class Storage {
  constructor(readonly root: string) {}

  blobPath(digest: string): string {
    const [alg, hex] = split(digest);
    return join(this.root, "blobs", alg, hex.slice(0, 2), hex);
  }
  repoDir(name: string): string {
    return join(this.root, "repositories", ...name.split("/"));
  }
  layerLink(name: string, digest: string): string {
    return join(this.repoDir(name), "_layers", ...split(digest));
  }
  revisionPath(name: string, digest: string): string {
    return join(this.repoDir(name), "_manifests", "revisions", ...split(digest));
  }
  tagsDir(name: string): string {
    return join(this.repoDir(name), "_manifests", "tags");
  }
  referrersDir(name: string, subject: string): string {
    return join(this.repoDir(name), "_referrers", ...split(subject));
  }
  uploadDir(uuid: string): string {
    return join(this.root, "uploads", uuid);
  }
  uploadData(uuid: string): string {
    return join(this.uploadDir(uuid), "data");
  }

  async init(): Promise<void> {
    for (const d of ["blobs", "repositories", "uploads"])
      await mkdir(join(this.root, d), { recursive: true });
  }

  // --- blobs ---

  /** Size of a blob visible in `name` (linked there and present), or null. */
  async blobSizeIn(name: string, digest: string): Promise<number | null> {
    if (!(await exists(this.layerLink(name, digest)))) return null;
    return sizeOf(this.blobPath(digest));
  }
  async link(name: string, digest: string): Promise<void> {
    await writeAtomic(this.layerLink(name, digest), digest);
  }
  async unlinkBlob(name: string, digest: string): Promise<boolean> {
    return removeFile(this.layerLink(name, digest));
  }
  /** Moves a verified, fsynced file into the blob store (same filesystem, so the rename is atomic). */
  async commitBlob(file: string, digest: string): Promise<void> {
    const dest = this.blobPath(digest);
    await mkdir(dirname(dest), { recursive: true });
    await rename(file, dest);
  }
  async putBlobBytes(digest: string, data: Buffer): Promise<void> {
    if ((await sizeOf(this.blobPath(digest))) !== data.length) await writeAtomic(this.blobPath(digest), data);
  }

  // --- manifests and tags ---

  async putManifest(name: string, meta: ManifestMeta): Promise<void> {
    await writeAtomic(this.revisionPath(name, meta.digest), JSON.stringify(meta));
  }
  async manifestMeta(name: string, digest: string): Promise<ManifestMeta | null> {
    const text = await readText(this.revisionPath(name, digest));
    if (text === null) return null;
    try {
      return JSON.parse(text) as ManifestMeta;
    } catch {
      return null;
    }
  }
  async resolveTag(name: string, tag: string): Promise<string | null> {
    const d = (await readText(join(this.tagsDir(name), tag)))?.trim();
    return d && validDigest(d) ? d : null;
  }
  async setTag(name: string, tag: string, digest: string): Promise<void> {
    await writeAtomic(join(this.tagsDir(name), tag), digest);
  }
  async deleteTag(name: string, tag: string): Promise<boolean> {
    return removeFile(join(this.tagsDir(name), tag));
  }
  async tags(name: string): Promise<string[]> {
    return (await list(this.tagsDir(name))).filter(validTag).sort();
  }
  /** Removes the manifest from `name`, with every tag pointing at it and its referrer entry. */
  async deleteManifest(name: string, digest: string): Promise<boolean> {
    const meta = await this.manifestMeta(name, digest);
    if (!meta) return false;
    for (const t of await this.tags(name)) {
      if ((await this.resolveTag(name, t)) === digest) await this.deleteTag(name, t);
    }
    if (meta.subject) await this.removeReferrer(name, meta.subject, digest);
    return removeFile(this.revisionPath(name, digest));
  }

  // --- referrers ---

  async addReferrer(name: string, subject: string, desc: Descriptor): Promise<void> {
    await writeAtomic(
      join(this.referrersDir(name, subject), split(desc.digest).join("-")),
      JSON.stringify(desc),
    );
  }
  async removeReferrer(name: string, subject: string, digest: string): Promise<void> {
    await removeFile(join(this.referrersDir(name, subject), split(digest).join("-")));
  }
  async referrers(name: string, subject: string): Promise<Descriptor[]> {
    const dir = this.referrersDir(name, subject);
    const out: Descriptor[] = [];
    for (const f of (await list(dir)).sort()) {
      const text = await readText(join(dir, f));
      if (text) out.push(JSON.parse(text) as Descriptor);
    }
    return out;
  }

  // --- repositories ---

  async repoExists(name: string): Promise<boolean> {
    const d = this.repoDir(name);
    return (await exists(join(d, "_manifests"))) || (await exists(join(d, "_layers")));
  }
  /** Every repository name, sorted: a directory holding _manifests or _layers is one. */
  async repositories(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      const entries = await list(dir);
      if (prefix && (entries.includes("_manifests") || entries.includes("_layers"))) out.push(prefix);
      for (const e of entries) {
        if (!e.startsWith("_")) await walk(join(dir, e), prefix ? `${prefix}/${e}` : e);
      }
    };
    await walk(join(this.root, "repositories"), "");
    return out.filter(validName).sort();
  }

  // --- uploads ---

  async newUpload(name: string): Promise<string> {
    const uuid = randomUUID();
    await mkdir(this.uploadDir(uuid), { recursive: true });
    await writeAtomic(this.uploadData(uuid), "");
    const state: UploadState = { name, startedAt: new Date().toISOString() };
    await writeAtomic(join(this.uploadDir(uuid), "state.json"), JSON.stringify(state));
    return uuid;
  }
  async uploadState(uuid: string): Promise<UploadState | null> {
    if (!validUuid(uuid)) return null;
    const text = await readText(join(this.uploadDir(uuid), "state.json"));
    if (text === null) return null;
    try {
      return JSON.parse(text) as UploadState;
    } catch {
      return null;
    }
  }
  async uploadSize(uuid: string): Promise<number> {
    return (await sizeOf(this.uploadData(uuid))) ?? 0;
  }
  async dropUpload(uuid: string): Promise<void> {
    await rm(this.uploadDir(uuid), { recursive: true, force: true });
  }
}
