/**
 * `docker save` / `docker load` archives.
 *
 * save writes Docker's docker-archive (what `docker save` 20.10 writes and
 * `docker load`/skopeo read): <config hex>.json, <layer id>/layer.tar,
 * manifest.json and repositories. load reads that format (legacy layout or
 * skopeo's <digest>.tar layers) and OCI image layouts (index.json + blobs/).
 * The incoming tar is first unpacked (regular files only, names checked)
 * into a private temp dir, because manifest.json may come last.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { join, normalize, posix } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { BLOB_READ_CHUNK, type ContentStore } from "../content/store.js";
import { decompress, gunzip } from "../layer/compression.js";
import type { LayerStore } from "../snapshot/layers.js";
import { chainIDs } from "../snapshot/layers.js";
import { invalid, withPath } from "../util/errors.js";
import { piped } from "../util/stream.js";
import { ingestLayer } from "./ingest.js";
import { familiar, parseReference, type Reference, withDefaultTag } from "./reference.js";
import type { ImageRecord } from "./store.js";
import { hostPlatform, type ImageConfig, type Index, isIndexType, type Manifest } from "./types.js";

interface ArchiveManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/**
 * Unpacks an archive into `dir`, keeping only files and symlinks between
 * them. A cut upload (the source errors) or `signal` aborting rejects, with
 * every stream and file closed; the caller removes `dir`.
 */
async function unpack(source: Readable, dir: string, signal?: AbortSignal): Promise<Map<string, string>> {
  const opts = signal ? { signal } : {};
  const links = new Map<string, string>();
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const name = posix
        .normalize(h.name)
        .replace(/^(\.\/)+/, "")
        .replace(/\/$/, "");
      if (name.startsWith("..") || name.startsWith("/")) throw invalid(`archive entry escapes: ${h.name}`);
      if (h.type === "file" || h.type === "contiguous-file") {
        const target = join(dir, name);
        await mkdir(join(target, ".."), { recursive: true });
        await pipeline(entry, createWriteStream(target), opts).catch((err) => {
          throw withPath(err, target);
        });
        continue;
      }
      if (h.type === "symlink" && h.linkname) {
        links.set(name, posix.normalize(posix.join(posix.dirname(name), h.linkname)));
      }
      entry.resume();
    }
  })();
  const settled = await Promise.allSettled([pipeline(await decompress(source, signal), extract, opts), done]);
  // An entry's own error (naming the file) says more than the premature close it causes upstream.
  for (const r of [settled[1], settled[0]])
    if (r.status === "rejected") {
      // One side failed: the other must not keep a file or the upload open.
      source.destroy();
      (extract as unknown as Readable).destroy();
      throw r.reason;
    }
  return links;
}

function resolveIn(dir: string, links: Map<string, string>, name: string): string {
  let n = posix.normalize(name);
  for (let i = 0; i < 10 && links.has(n); i++) n = links.get(n)!;
  if (n.startsWith("..") || n.startsWith("/")) throw invalid(`archive path escapes: ${name}`);
  return join(dir, normalize(n));
}

export interface LoadedImage {
  config: ImageConfig;
  tags: Reference[];
  register: (config: ImageConfig) => Promise<ImageRecord>;
}

export interface Loader {
  content: ContentStore;
  layers: LayerStore;
  tmpDir: string;
  /** Registers an image and returns its record. */
  createImage(config: ImageConfig): Promise<ImageRecord>;
}

/**
 * Loads every image in the archive; returns each with the names it carried.
 * `signal` aborting (the client went away) stops the unpacking or the layer
 * being ingested; the temp dir is removed whatever happens.
 */
export async function loadArchive(
  l: Loader,
  source: Readable,
  signal?: AbortSignal,
): Promise<{ rec: ImageRecord; tags: Reference[] }[]> {
  await mkdir(l.tmpDir, { recursive: true });
  const dir = await mkdtemp(join(l.tmpDir, "load-"));
  try {
    const links = await unpack(source, dir, signal);
    signal?.throwIfAborted();
    const hasManifest = await stat(join(dir, "manifest.json")).then(
      () => true,
      () => false,
    );
    if (hasManifest) return await loadDockerArchive(l, dir, links, signal);
    const hasIndex = await stat(join(dir, "index.json")).then(
      () => true,
      () => false,
    );
    if (hasIndex) return await loadOciLayout(l, dir, signal);
    throw invalid("invalid archive: no manifest.json or index.json found");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function ingestChain(
  l: Loader,
  config: ImageConfig,
  files: string[],
  signal: AbortSignal | undefined,
): Promise<void> {
  if (files.length !== config.rootfs.diff_ids.length) {
    throw invalid(`invalid archive: ${files.length} layers for ${config.rootfs.diff_ids.length} diffIDs`);
  }
  let parent: string | undefined;
  const chain = chainIDs(config.rootfs.diff_ids);
  for (let i = 0; i < files.length; i++) {
    const known = await l.layers.get(chain[i]!);
    if (known) {
      parent = known.chainID;
      continue;
    }
    const src = createReadStream(files[i]!, { highWaterMark: BLOB_READ_CHUNK });
    const meta = await ingestLayer(l.content, l.layers, parent, src, {
      expectDiffID: config.rootfs.diff_ids[i],
      sourceFile: files[i]!,
      signal,
    });
    parent = meta.chainID;
  }
}

async function loadDockerArchive(
  l: Loader,
  dir: string,
  links: Map<string, string>,
  signal: AbortSignal | undefined,
) {
  const entries = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as ArchiveManifestEntry[];
  if (!Array.isArray(entries)) throw invalid("invalid archive: manifest.json is not a list");
  const out = [];
  for (const e of entries) {
    const raw = await readFile(resolveIn(dir, links, e.Config));
    const config = JSON.parse(raw.toString("utf8")) as ImageConfig;
    await ingestChain(
      l,
      config,
      e.Layers.map((f) => resolveIn(dir, links, f)),
      signal,
    );
    const rec = await l.createImage(config);
    out.push({ rec, tags: (e.RepoTags ?? []).map((t) => withDefaultTag(parseReference(t))) });
  }
  return out;
}

async function loadOciLayout(l: Loader, dir: string, signal: AbortSignal | undefined) {
  const blob = (digest: string) => join(dir, "blobs", ...digest.split(":"));
  const readBlob = async <T>(digest: string) => JSON.parse(await readFile(blob(digest), "utf8")) as T;
  const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as Index;
  const out = [];
  const plat = hostPlatform();
  for (const d of index.manifests) {
    let desc = d;
    if (isIndexType(desc.mediaType)) {
      const sub = await readBlob<Index>(desc.digest);
      const pick = sub.manifests.find(
        (m) => !m.platform || (m.platform.os === plat.os && m.platform.architecture === plat.architecture),
      );
      if (!pick) throw invalid("no manifest for this platform in the OCI index");
      desc = pick;
    }
    const manifest = await readBlob<Manifest>(desc.digest);
    const config = await readBlob<ImageConfig>(manifest.config.digest);
    await ingestChain(
      l,
      config,
      manifest.layers.map((x) => blob(x.digest)),
      signal,
    );
    const rec = await l.createImage(config);
    const name =
      d.annotations?.["io.containerd.image.name"] ?? d.annotations?.["org.opencontainers.image.ref.name"];
    const tags: Reference[] = [];
    if (name) {
      try {
        tags.push(withDefaultTag(parseReference(name)));
      } catch {
        // a bare tag like "latest" names no repository: load untagged
      }
    }
    out.push({ rec, tags });
  }
  return out;
}

export interface SaveItem {
  rec: ImageRecord;
  config: Buffer;
  tags: Reference[];
}

/**
 * Writes a docker-archive of `items` to a stream. A consumer that destroys
 * the stream (the client went away) or `signal` aborting stops the writing:
 * the layer being read is closed, nothing more is opened.
 */
export function saveArchive(
  content: ContentStore,
  layers: LayerStore,
  items: SaveItem[],
  signal?: AbortSignal,
): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  // Ends when `out` closes, whyever: the loop below stops at its next step.
  const stop = new AbortController();
  out.once("close", () => stop.abort(new Error("archive consumer went away")));
  const until = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const written = new Set<string>();
  const mtime = new Date(0);
  const addFile = (name: string, data: Buffer | string) =>
    new Promise<void>((resolve, reject) =>
      pack.entry({ name, mtime, mode: 0o644 }, data, (err) => (err ? reject(err) : resolve())),
    );
  const piece = async (name: string, data: Buffer | string) => {
    until.throwIfAborted();
    await addFile(name, data);
  };
  (async () => {
    const manifest: ArchiveManifestEntry[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const item of items) {
      const cfg = JSON.parse(item.config.toString("utf8")) as ImageConfig;
      const configName = `${item.rec.id.slice(7)}.json`;
      if (!written.has(configName)) {
        await piece(configName, item.config);
        written.add(configName);
      }
      const layerFiles: string[] = [];
      let parentId = "";
      for (const chainID of chainIDs(cfg.rootfs.diff_ids)) {
        const meta = await layers.mustGet(chainID);
        const id = chainID.slice(7);
        const name = `${id}/layer.tar`;
        layerFiles.push(name);
        if (!written.has(name)) {
          written.add(name);
          await piece(`${id}/VERSION`, "1.0");
          await piece(`${id}/json`, JSON.stringify({ id, ...(parentId ? { parent: parentId } : {}) }));
          await writeLayer(pack, content, meta, name, mtime, until);
        }
        parentId = id;
      }
      const tags = item.tags.map((t) => familiar(t));
      manifest.push({ Config: configName, RepoTags: tags.length ? tags : null, Layers: layerFiles });
      for (const t of item.tags) {
        const repo = familiar({ ...t, tag: undefined });
        repositories[repo] = { ...(repositories[repo] ?? {}), [t.tag ?? "latest"]: parentId };
      }
    }
    await piece("manifest.json", JSON.stringify(manifest));
    if (Object.keys(repositories).length) await piece("repositories", JSON.stringify(repositories));
    pack.finalize();
  })().catch((err) => pack.destroy(err));
  return piped(pack as unknown as Readable, [out], signal);
}

async function writeLayer(
  pack: tar.Pack,
  content: ContentStore,
  meta: Awaited<ReturnType<LayerStore["mustGet"]>>,
  name: string,
  mtime: Date,
  signal: AbortSignal,
): Promise<void> {
  const plain = meta.blobs.find((b) => b.digest === meta.diffID);
  const blob = plain ?? meta.blobs[0];
  if (!blob) throw invalid(`layer ${meta.diffID} has no stored content to save`);
  const src = await content.readStream(blob.digest);
  const entry = pack.entry({ name, size: meta.tarSize, mtime, mode: 0o644 });
  const stages = plain ? [src, entry] : [src, gunzip(), entry];
  await pipeline(stages as unknown as [Readable, NodeJS.WritableStream], { signal });
}
