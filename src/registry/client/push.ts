/**
 * Push: every layer (skipped when the registry has it), the config, then
 * the manifest by tag. Layers go as stored: the compressed blob kept from a
 * pull, or, for layers made here, a gzip of the layer tar made once and kept
 * (so pushing the same image again sends the same bytes and digest).
 */
import { createHash } from "node:crypto";
import { createGzip } from "node:zlib";
import type { ImageService } from "../../engine/images.js";
import type { Reference } from "../../image/reference.js";
import { type Descriptor, type Manifest, MediaType } from "../../image/types.js";
import type { LayerBlob } from "../../snapshot/layers.js";
import { chainIDs } from "../../snapshot/layers.js";
import { type Credentials, Registry } from "./http.js";
import type { Progress } from "./pull.js";

async function layerBlob(images: ImageService, chainID: string): Promise<LayerBlob> {
  const meta = await images.layers.mustGet(chainID);
  for (const b of meta.blobs)
    if (b.mediaType !== MediaType.DockerLayer && (await images.content.has(b.digest))) return b;
  const plain = meta.blobs.find((b) => b.digest === meta.diffID);
  if (!plain) throw new Error(`layer ${meta.diffID} has no stored content`);
  const src = await images.content.readStream(plain.digest);
  const gz = await images.content.ingest(src.pipe(createGzip({ level: 6 })));
  const blob = { ...gz, mediaType: MediaType.DockerLayerGzip };
  await images.layers.addBlob(chainID, blob);
  return blob;
}

async function pushBlob(reg: Registry, images: ImageService, path: string, d: Descriptor): Promise<boolean> {
  const scope = `repository:${path}:pull,push`;
  const head = await reg.request(`/v2/${path}/blobs/${d.digest}`, { method: "HEAD", scope }, [404]);
  if (head.status === 200) return false;
  const start = await reg.request(`/v2/${path}/blobs/uploads/`, { method: "POST", scope }, [202]);
  const loc = start.headers.get("location");
  await start.body?.cancel();
  if (!loc) throw new Error("registry gave no upload location");
  const url = new URL(loc, reg.base);
  url.searchParams.set("digest", d.digest);
  const body = await images.content.readStream(d.digest);
  const res = await reg.request(url.toString(), {
    method: "PUT",
    scope,
    headers: { "content-type": "application/octet-stream", "content-length": String(d.size) },
    body: body as unknown as ReadableStream,
    duplex: "half",
  } as never);
  await res.body?.cancel();
  return true;
}

export async function push(
  images: ImageService,
  ref: Reference,
  imageName: string,
  o: { insecure: string[]; creds?: Credentials; progress: Progress },
): Promise<{ digest: string; size: number; tag: string }> {
  const rec = images.store.resolve(imageName);
  const config = await images.config(rec);
  const reg = new Registry(ref.domain, o.insecure, o.creds);
  const chain = chainIDs(config.rootfs.diff_ids);
  const layers: Descriptor[] = [];
  for (const c of chain) {
    const b = await layerBlob(images, c);
    layers.push({ mediaType: b.mediaType, digest: b.digest, size: b.size });
    o.progress(b.digest.slice(7, 19), "Preparing");
  }
  for (const l of layers) {
    const id = l.digest.slice(7, 19);
    o.progress(id, "Pushing", { current: 0, total: l.size });
    o.progress(id, (await pushBlob(reg, images, ref.path, l)) ? "Pushed" : "Layer already exists");
  }
  const cfgInfo = await images.content.info(rec.id);
  const cfgDesc = { mediaType: MediaType.DockerConfig, digest: rec.id, size: cfgInfo!.size };
  await pushBlob(reg, images, ref.path, cfgDesc);
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
