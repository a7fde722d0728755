/**
 * Push: every layer (skipped when the registry has it), the config, then
 * the manifest by tag. Layers go as stored: the compressed blob kept from a
 * pull, or, for layers made here, a gzip of the layer tar made once and kept
 * (so pushing the same image again sends the same bytes and digest).
 */
import { createHash } from "node:crypto";
import { addAbortSignal, type Readable } from "node:stream";
import type { ImageService } from "../../engine/images.js";
import type { Reference } from "../../image/reference.js";
import { type Descriptor, type Manifest, MediaType } from "../../image/types.js";
import { gzip } from "../../layer/compression.js";
import type { LayerBlob } from "../../snapshot/layers.js";
import { chainIDs } from "../../snapshot/layers.js";
import { piped } from "../../util/stream.js";
import { type Credentials, Registry } from "./http.js";
import type { Progress } from "./pull.js";
import type { BlobSources } from "./sources.js";

async function layerBlob(images: ImageService, chainID: string, signal?: AbortSignal): Promise<LayerBlob> {
  const meta = await images.layers.mustGet(chainID);
  for (const b of meta.blobs)
    if (b.mediaType !== MediaType.DockerLayer && (await images.content.has(b.digest))) return b;
  const plain = meta.blobs.find((b) => b.digest === meta.diffID);
  if (!plain) throw new Error(`layer ${meta.diffID} has no stored content`);
  const src = await images.content.readStream(plain.digest);
  // An abandoned push stops compressing: the stream is destroyed, the unfinished blob removed.
  const gz = await images.content.ingest(piped(src, [gzip(6)], signal), {}, undefined, signal);
  const blob = { ...gz, mediaType: MediaType.DockerLayerGzip };
  await images.layers.addBlob(chainID, blob);
  return blob;
}

/** Blobs up to this size go in one PUT; bigger ones in PATCH chunks of this size. */
export const CHUNK_SIZE = 4 * 1024 * 1024;

type BlobOutcome = "exists" | "mounted" | "pushed";

interface PushCtx {
  reg: Registry;
  images: ImageService;
  path: string;
  sources?: BlobSources;
  progress?: (sent: number) => void;
}

async function pushBlob(c: PushCtx, d: Descriptor): Promise<{ outcome: BlobOutcome; from?: string }> {
  const { reg, path } = c;
  const scope = `repository:${path}:pull,push`;
  const head = await reg.request(`/v2/${path}/blobs/${d.digest}`, { method: "HEAD", scope }, [404]);
  if (head.status === 200) return { outcome: "exists" };
  // Another repository of this registry has it: ask for a mount, which needs no upload.
  for (const from of (await c.sources?.on(d.digest, reg.host, path)) ?? []) {
    const q = `mount=${encodeURIComponent(d.digest)}&from=${encodeURIComponent(from)}`;
    const res = await reg.request(
      `/v2/${path}/blobs/uploads/?${q}`,
      { method: "POST", scope: `${scope} repository:${from}:pull` },
      [201, 202],
    );
    if (res.status === 201) {
      await res.body?.cancel();
      return { outcome: "mounted", from };
    }
    // 202: the registry started a normal upload instead; cancel it and go on.
    const loc = res.headers.get("location");
    await res.body?.cancel();
    if (loc)
      await reg
        .request(new URL(loc, reg.base).toString(), { method: "DELETE", scope }, [404])
        .catch(() => {});
  }
  const start = await reg.request(`/v2/${path}/blobs/uploads/`, { method: "POST", scope }, [202]);
  let loc = start.headers.get("location");
  await start.body?.cancel();
  if (!loc) throw new Error("registry gave no upload location");
  if (d.size > CHUNK_SIZE) {
    // Chunked upload: each PATCH says which bytes it carries; the registry
    // answers with the next location.
    let offset = 0;
    while (offset < d.size) {
      const end = Math.min(offset + CHUNK_SIZE, d.size);
      const chunk = abortable(await c.images.content.readStream(d.digest, offset), reg.signal);
      const res = await reg.request(new URL(loc, reg.base).toString(), {
        method: "PATCH",
        scope,
        headers: {
          "content-type": "application/octet-stream",
          "content-length": String(end - offset),
          "content-range": `${offset}-${end - 1}`,
        },
        body: limit(chunk, end - offset) as unknown as ReadableStream,
        duplex: "half",
      } as never);
      loc = res.headers.get("location") ?? loc;
      await res.body?.cancel();
      offset = end;
      c.progress?.(offset);
    }
    const url = new URL(loc, reg.base);
    url.searchParams.set("digest", d.digest);
    const res = await reg.request(url.toString(), {
      method: "PUT",
      scope,
      headers: { "content-length": "0" },
    });
    await res.body?.cancel();
    return { outcome: "pushed" };
  }
  const url = new URL(loc, reg.base);
  url.searchParams.set("digest", d.digest);
  const body = abortable(await c.images.content.readStream(d.digest), reg.signal);
  const res = await reg.request(url.toString(), {
    method: "PUT",
    scope,
    headers: { "content-type": "application/octet-stream", "content-length": String(d.size) },
    body: body as unknown as ReadableStream,
    duplex: "half",
  } as never);
  await res.body?.cancel();
  c.progress?.(d.size);
  return { outcome: "pushed" };
}

/** A blob's read stream destroyed (its fd closed) when the push is abandoned, whatever undici does with the body. */
function abortable(stream: Readable, signal: AbortSignal | undefined): Readable {
  return signal ? addAbortSignal(signal, stream) : stream;
}

/** The first `n` bytes of a stream. */
async function* limit(src: AsyncIterable<Buffer>, n: number): AsyncGenerator<Buffer> {
  let left = n;
  for await (const chunk of src) {
    if (left <= 0) break;
    const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
    left -= part.length;
    yield part;
  }
  (src as unknown as { destroy?: () => void }).destroy?.();
}

export async function push(
  images: ImageService,
  ref: Reference,
  imageName: string,
  o: {
    insecure: string[];
    creds?: Credentials;
    progress: Progress;
    sources?: BlobSources;
    /** Aborting it (the client went away) ends the uploads at once; no digest is recorded. */
    signal?: AbortSignal;
  },
): Promise<{ digest: string; size: number; tag: string }> {
  const rec = images.store.resolve(imageName);
  const config = await images.config(rec);
  const reg = new Registry(ref.domain, o.insecure, o.creds, o.signal);
  const chain = chainIDs(config.rootfs.diff_ids);
  const layers: Descriptor[] = [];
  for (const c of chain) {
    const b = await layerBlob(images, c, o.signal);
    layers.push({ mediaType: b.mediaType, digest: b.digest, size: b.size });
    o.progress(b.digest.slice(7, 19), "Preparing");
  }
  const repo = `${reg.host}/${ref.path}`;
  for (const l of layers) {
    const id = l.digest.slice(7, 19);
    o.progress(id, "Pushing", { current: 0, total: l.size });
    const r = await pushBlob(
      {
        reg,
        images,
        path: ref.path,
        sources: o.sources,
        progress: (n) => o.progress(id, "Pushing", { current: n, total: l.size }),
      },
      l,
    );
    o.progress(
      id,
      r.outcome === "pushed"
        ? "Pushed"
        : r.outcome === "mounted"
          ? `Mounted from ${r.from}`
          : "Layer already exists",
    );
    await o.sources?.add(l.digest, repo);
  }
  const cfgInfo = await images.content.info(rec.id);
  const cfgDesc = { mediaType: MediaType.DockerConfig, digest: rec.id, size: cfgInfo!.size };
  await pushBlob({ reg, images, path: ref.path, sources: o.sources }, cfgDesc);
  await o.sources?.add(cfgDesc.digest, repo);
  // The manifest we pulled, when its blobs are the ones we send: same digest.
  let body: Buffer | undefined;
  let mediaType: string = MediaType.DockerManifest;
  if (rec.manifest && (await images.content.has(rec.manifest.digest))) {
    const m = await images.content.readJson<Manifest>(rec.manifest.digest);
    if (m.layers?.map((l) => l.digest).join() === layers.map((l) => l.digest).join()) {
      body = await images.content.read(rec.manifest.digest);
      mediaType = rec.manifest.mediaType;
    }
  }
  if (!body) {
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MediaType.DockerManifest,
      config: cfgDesc,
      layers,
    };
    body = Buffer.from(JSON.stringify(manifest, null, 3));
  }
  const tag = ref.tag ?? "latest";
  const res = await reg.request(`/v2/${ref.path}/manifests/${tag}`, {
    method: "PUT",
    scope: `repository:${ref.path}:pull,push`,
    headers: { "content-type": mediaType },
    body,
  });
  await res.body?.cancel();
  const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
  const stored = await images.content.put(body);
  await images.store.put({ ...rec, manifest: { mediaType, digest: stored.digest, size: stored.size } });
  return { digest, size: body.length, tag };
}
