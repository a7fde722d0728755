/**
 * Pull: manifest (index -> this platform's manifest), config, then layers
 * fetched in parallel (3 at a time) into the content store, each verified
 * against its digest and resumable (a broken fetch continues with a Range
 * request), and unpacked in order while later ones still download. The compressed blobs and the manifest
 * are kept so a later push of the unchanged image is byte-identical.
 */
import { createHash } from "node:crypto";
import { type Readable, Transform } from "node:stream";
import type { ContentStore } from "../../content/store.js";
import type { ImageService } from "../../engine/images.js";
import { ingestLayer } from "../../image/ingest.js";
import type { Reference } from "../../image/reference.js";
import { familiar } from "../../image/reference.js";
import type { ImageRecord } from "../../image/store.js";
import {
  type Descriptor,
  hostPlatform,
  type ImageConfig,
  type Index,
  isIndexType,
  type Manifest,
  MediaType,
} from "../../image/types.js";
import { chainIDs } from "../../snapshot/layers.js";
import { invalid, notFound } from "../../util/errors.js";
import { piped } from "../../util/stream.js";
import { type Credentials, Registry, RegistryResponseError, RegistryUnreachableError } from "./http.js";
import type { BlobSources } from "./sources.js";

const ACCEPT = [
  MediaType.OciIndex,
  MediaType.DockerManifestList,
  MediaType.OciManifest,
  MediaType.DockerManifest,
].join(", ");

export type Progress = (id: string, status: string, detail?: { current: number; total: number }) => void;

/** Layers downloaded at once, as Docker's default max-concurrent-downloads. */
const DOWNLOADS = 3;

function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // observed by the unpack loop, maybe never if an earlier layer fails
  return { promise, resolve, reject };
}

/**
 * Reports "Extracting" with the compressed bytes read so far, at most every
 * 100 ms. Joined by pipeline (util/stream.ts piped): a failed or abandoned
 * extraction destroys the blob's stream, so its fd is closed.
 */
function counted(
  blob: Readable,
  id: string,
  total: number,
  progress: Progress,
  signal?: AbortSignal,
): Readable {
  let current = 0;
  let last = 0;
  progress(id, "Extracting", { current: 0, total });
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      current += chunk.length;
      const now = Date.now();
      if (now - last >= 100 || current === total) {
        last = now;
        progress(id, "Extracting", { current, total });
      }
      done(null, chunk);
    },
  });
  return piped(blob, [counter], signal);
}

export interface PullResult {
  rec: ImageRecord;
  digest: string;
  fresh: boolean;
}

async function fetchManifest(reg: Registry, path: string, ref: string) {
  const res = await reg.request(`/v2/${path}/manifests/${ref}`, {
    headers: { accept: ACCEPT },
    scope: `repository:${path}:pull`,
  });
  const body = Buffer.from(await res.arrayBuffer());
  const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
  if (ref.startsWith("sha256:") && ref !== digest)
    throw invalid(`manifest digest mismatch: expected ${ref}, got ${digest}`);
  const doc = JSON.parse(body.toString("utf8")) as Manifest | Index;
  const mediaType = doc.mediaType ?? res.headers.get("content-type") ?? MediaType.OciManifest;
  return { body, digest, doc, mediaType };
}

/**
 * Downloads a blob into the content store (resuming a partial one), verifying
 * its digest. The registry's signal aborting ends the download: what arrived
 * stays in the digest-named ingest file, which the next pull resumes with a
 * Range request (and the start-up sweep keeps a day).
 */
async function fetchBlob(
  reg: Registry,
  content: ContentStore,
  path: string,
  d: Descriptor,
  progress?: (n: number) => void,
) {
  if (await content.has(d.digest)) return;
  // One writer per blob: a concurrent pull of it holds the writer until it is done.
  const w = await content.writer(d.digest, reg.signal);
  if (await content.has(d.digest)) {
    await w.abort(true); // the other pull brought it: nothing of ours is in the ingest file
    progress?.(d.size);
    return;
  }
  try {
    const headers: Record<string, string> = {};
    if (w.offset > 0) headers.range = `bytes=${w.offset}-`;
    const res = await reg.request(`/v2/${path}/blobs/${d.digest}`, {
      headers,
      scope: `repository:${path}:pull`,
    });
    if (w.offset > 0 && res.status !== 206) {
      // The registry ignored Range: start over.
      await w.abort(true);
      return fetchBlob(reg, content, path, d, progress);
    }
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      await w.write(chunk);
      progress?.(w.offset);
    }
    await w.commit({ digest: d.digest, size: d.size });
  } catch (err) {
    // Keep what arrived (a retry resumes it) unless the data itself was wrong or the
    // disk refused it: a cut connection, a registry error or a cancelled pull keep it.
    const wrong = err instanceof Error && /mismatch/.test(err.message);
    const diskFull = ["ENOSPC", "EDQUOT", "EIO", "EROFS"].includes(
      (err as NodeJS.ErrnoException)?.code ?? "",
    );
    await w.abort(wrong || diskFull);
    throw err;
  }
}

export async function pull(images: ImageService, ref: Reference, o: PullOptions): Promise<PullResult> {
  // Docker Hub images may come from a configured mirror; any failure there falls back to the Hub.
  if (ref.domain === "docker.io") {
    for (const mirror of o.mirrors ?? []) {
      const host = mirror.replace(/^https?:\/\//, "").replace(/\/+$/, "");
      const insecure = mirror.startsWith("http://") ? [...o.insecure, host] : o.insecure;
      try {
        return await pullFrom(new Registry(host, insecure, {}, o.signal), images, ref, o);
      } catch (err) {
        if (o.signal?.aborted || (!(err instanceof RegistryResponseError) && !isNetworkError(err))) throw err;
      }
    }
  }
  return pullFrom(new Registry(ref.domain, o.insecure, o.creds, o.signal), images, ref, o);
}

export interface PullOptions {
  insecure: string[];
  creds?: Credentials;
  platform?: string;
  progress: Progress;
  /** Registry mirrors for docker.io ("http://host:port" or "https://host"). */
  mirrors?: string[];
  sources?: BlobSources;
  /**
   * Aborting it (the client went away) stops the downloads and the layer
   * being unpacked; the pull rejects with the signal's reason, records no
   * image, and sweeps the layers it made (partial blobs stay resumable).
   */
  signal?: AbortSignal;
}

function isNetworkError(err: unknown): boolean {
  return (
    err instanceof RegistryUnreachableError || (err instanceof TypeError && /fetch failed/.test(err.message))
  );
}

async function pullFrom(
  reg: Registry,
  images: ImageService,
  ref: Reference,
  o: PullOptions,
): Promise<PullResult> {
  const want = ref.digest ?? ref.tag ?? "latest";
  let m: Awaited<ReturnType<typeof fetchManifest>>;
  try {
    m = await fetchManifest(reg, ref.path, want);
  } catch (err) {
    if (
      err instanceof RegistryResponseError &&
      (err.status === 404 || err.code === "MANIFEST_UNKNOWN" || err.code === "NAME_UNKNOWN")
    ) {
      throw notFound(`manifest for ${familiar(ref)} not found: manifest unknown: manifest unknown`);
    }
    throw err;
  }
  if (isIndexType(m.mediaType) || "manifests" in m.doc) {
    const plat = o.platform
      ? { os: o.platform.split("/")[0], architecture: o.platform.split("/")[1] }
      : hostPlatform();
    const pick = (m.doc as Index).manifests.find(
      (x) => x.platform?.os === plat.os && x.platform?.architecture === plat.architecture,
    );
    if (!pick)
      throw notFound(`no matching manifest for ${plat.os}/${plat.architecture} in the manifest list entries`);
    m = await fetchManifest(reg, ref.path, pick.digest);
  }
  const manifest = m.doc as Manifest;
  const content = images.content;
  const repo = `${ref.domain}/${ref.path}`;
  await fetchBlob(reg, content, ref.path, manifest.config);
  await o.sources?.add(manifest.config.digest, repo);
  const config = await content.readJson<ImageConfig>(manifest.config.digest);
  if (config.rootfs.diff_ids.length !== manifest.layers.length)
    throw invalid("manifest and config disagree on the number of layers");
  const existing = images.store.get(manifest.config.digest);
  const chain = chainIDs(config.rootfs.diff_ids);
  // Download what is missing, three at a time; unpack each layer, in order, as soon as it
  // and the ones below it are here, while the later ones keep downloading (as Docker does).
  const missing: boolean[] = [];
  for (let i = 0; i < manifest.layers.length; i++) {
    const id = manifest.layers[i]!.digest.slice(7, 19);
    missing[i] = !(await images.layers.get(chain[i]!));
    o.progress(id, missing[i] ? "Pulling fs layer" : "Already exists");
  }
  const queue = manifest.layers.map((l, i) => ({ l, i })).filter(({ i }) => missing[i]);
  for (const { l } of queue.slice(DOWNLOADS)) o.progress(l.digest.slice(7, 19), "Waiting");
  const downloaded = manifest.layers.map(() => deferred());
  let failed = false;
  const worker = async () => {
    for (let next = queue.shift(); next && !failed; next = queue.shift()) {
      const { l, i } = next;
      const id = l.digest.slice(7, 19);
      try {
        await fetchBlob(reg, content, ref.path, l, (n) =>
          o.progress(id, "Downloading", { current: n, total: l.size }),
        );
        o.progress(id, "Verifying Checksum");
        o.progress(id, "Download complete");
        await o.sources?.add(l.digest, repo);
        downloaded[i]!.resolve();
      } catch (err) {
        failed = true;
        downloaded[i]!.reject(err as Error);
        // Layers nobody will fetch now fail too, so the unpack loop never waits on them.
        for (const rest of queue.splice(0)) downloaded[rest.i]!.reject(err as Error);
      }
    }
  };
  const workers = Promise.all(Array.from({ length: DOWNLOADS }, worker));
  try {
    let parent: string | undefined;
    for (let i = 0; i < manifest.layers.length; i++) {
      const l = manifest.layers[i]!;
      const known = missing[i] ? undefined : await images.layers.get(chain[i]!);
      if (known) {
        if (!known.blobs.some((b) => b.digest === l.digest) && (await content.has(l.digest))) {
          await images.layers.addBlob(known.chainID, {
            digest: l.digest,
            size: l.size,
            mediaType: l.mediaType,
          });
        }
        parent = known.chainID;
        continue;
      }
      await downloaded[i]!.promise;
      const id = l.digest.slice(7, 19);
      const blob = await content.readStream(l.digest);
      const meta = await ingestLayer(
        content,
        images.layers,
        parent,
        counted(blob, id, l.size, o.progress, o.signal),
        {
          expectDiffID: config.rootfs.diff_ids[i],
          sourceBlob: { digest: l.digest, size: l.size, mediaType: l.mediaType },
          signal: o.signal,
        },
      );
      parent = meta.chainID;
      o.progress(id, "Pull complete");
    }
  } catch (err) {
    // Let in-flight downloads settle before the sweep, so it sees every partial ingest.
    failed = true;
    await workers;
    await images.gc();
    throw err;
  }
  await workers;
  o.signal?.throwIfAborted();
  const mdesc = await content.put(m.body, { digest: m.digest });
  const rec = await images.create(config, {
    manifest: { mediaType: m.mediaType, digest: mdesc.digest, size: mdesc.size },
  });
  return { rec, digest: m.digest, fresh: !existing };
}

/** Every tag of a repository (`pull --all-tags`), following the registry's pagination. */
export async function listTags(ref: Reference, o: Omit<PullOptions, "progress">): Promise<string[]> {
  const reg = new Registry(ref.domain, o.insecure, o.creds, o.signal);
  const tags: string[] = [];
  let next: string | undefined = `/v2/${ref.path}/tags/list?n=1000`;
  while (next) {
    const res = await reg.request(next, { scope: `repository:${ref.path}:pull` });
    const j = (await res.json()) as { tags?: string[] | null };
    tags.push(...(j.tags ?? []));
    next = res.headers.get("link")?.match(/<([^>]+)>;\s*rel="next"/)?.[1];
  }
  if (tags.length === 0) throw notFound(`no tags found for ${familiar(ref)}`);
  return tags.sort();
}

/** GET /distribution/{name}/json: the manifest's descriptor and the platforms it offers. */
export async function distributionInspect(
  ref: Reference,
  o: { insecure: string[]; creds?: Credentials },
): Promise<{ Descriptor: Descriptor; Platforms: { architecture: string; os: string; variant?: string }[] }> {
  const reg = new Registry(ref.domain, o.insecure, o.creds);
  let m: Awaited<ReturnType<typeof fetchManifest>>;
  try {
    m = await fetchManifest(reg, ref.path, ref.digest ?? ref.tag ?? "latest");
  } catch (err) {
    if (err instanceof RegistryResponseError && err.status === 404)
      throw notFound(`manifest for ${familiar(ref)} not found: manifest unknown`);
    throw err;
  }
  const Descriptor = { mediaType: m.mediaType, digest: m.digest, size: m.body.length };
  if ("manifests" in m.doc) {
    const Platforms = (m.doc as Index).manifests
      .filter((x) => x.platform)
      .map((x) => ({
        architecture: x.platform!.architecture,
        os: x.platform!.os,
        ...(x.platform!.variant ? { variant: x.platform!.variant } : {}),
      }));
    return { Descriptor, Platforms };
  }
  const manifest = m.doc as Manifest;
  const res = await reg.request(`/v2/${ref.path}/blobs/${manifest.config.digest}`, {
    scope: `repository:${ref.path}:pull`,
  });
  const cfg = (await res.json()) as { architecture?: string; os?: string; variant?: string };
  return {
    Descriptor,
    Platforms: [
      {
        architecture: cfg.architecture ?? "amd64",
        os: cfg.os ?? "linux",
        ...(cfg.variant ? { variant: cfg.variant } : {}),
      },
    ],
  };
}
