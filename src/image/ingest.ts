/**
 * Turns a layer tar (plain or compressed) into a stored layer:
 *   source --decompress--> hash (diffID) --tee--> content store blob (the exact tar)
 *                                           \--> layer/applyLayer into a new layer dir
 * Keeping the uncompressed tar as a blob lets `save` reproduce the layer
 * byte for byte (same diffID) without a tar-split index.
 */
import { createReadStream } from "node:fs";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ContentStore } from "../content/store.js";
import { applyLayer } from "../layer/apply.js";
import { decompress } from "../layer/compression.js";
import type { LayerMeta, LayerStore } from "../snapshot/layers.js";
import { invalid } from "../util/errors.js";
import { HashingStream } from "../util/stream.js";
import { MediaType } from "./types.js";

export interface IngestOptions {
  /** diffID the caller expects (from an image config); verified. */
  expectDiffID?: string;
  /** A compressed blob already in the content store that this layer came from. */
  sourceBlob?: { digest: string; size: number; mediaType: string };
  /**
   * `source` reads this file (a load's layer tar in berth's tmp dir): if it is
   * an uncompressed tar, it becomes the blob by a hard link instead of a copy
   * written beside the extraction (204 MB less to write for a Debian layer).
   */
  sourceFile?: string;
  /**
   * Aborting it (the client of a pull, load or import went away) destroys
   * every stream of the ingest: the extraction stops, the layer's temp dir and
   * the unfinished blob are removed, and the call rejects with an AbortError.
   */
  signal?: AbortSignal;
}

export async function ingestLayer(
  content: ContentStore,
  layers: LayerStore,
  parent: string | undefined,
  source: Readable,
  opts: IngestOptions = {},
): Promise<LayerMeta> {
  opts.signal?.throwIfAborted();
  const tar = await decompress(source, opts.signal);
  const adopt = !opts.sourceBlob && opts.sourceFile !== undefined && tar === source;
  // Store the exact uncompressed bytes only when no source blob is kept.
  const writer = opts.sourceBlob || adopt ? undefined : await content.writer();
  const hasher = new HashingStream(writer ? (chunk) => writer.write(chunk) : undefined);
  let blobInfo: { digest: string; size: number } | undefined;
  try {
    const meta = await layers.create(
      parent,
      async (dir) => {
        const tee = new PassThrough();
        const [piped, extracted] = await Promise.allSettled([
          pipeline(tar, hasher, tee, opts.signal ? { signal: opts.signal } : {}),
          applyLayer(tee, dir),
        ]);
        if (piped.status === "rejected" || extracted.status === "rejected") {
          // Either side failed (e.g. ENOSPC): end every stream so no fd stays on the source blob.
          for (const s of [source, tar, hasher, tee]) s.destroy();
          // The extraction's own error (naming the path) says more than the premature close it caused.
          throw extracted.status === "rejected" ? extracted.reason : (piped as PromiseRejectedResult).reason;
        }
        const applied = extracted.value;
        const diffID = hasher.digest();
        if (opts.expectDiffID && opts.expectDiffID !== diffID) {
          throw invalid(`layer diffID mismatch: expected ${opts.expectDiffID}, got ${diffID}`);
        }
        if (writer) blobInfo = await writer.commit({ digest: diffID });
        else if (adopt)
          blobInfo =
            (await content.adoptFile(opts.sourceFile!, diffID)) ??
            (await content.ingest(createReadStream(opts.sourceFile!), { digest: diffID }));
        return { diffID, size: applied.size, tarSize: hasher.size };
      },
      opts.sourceBlob,
    );
    if (blobInfo && !meta.blobs.some((b) => b.digest === blobInfo!.digest)) {
      await layers.addBlob(meta.chainID, { ...blobInfo, mediaType: MediaType.DockerLayer });
    }
    return meta;
  } catch (err) {
    await writer?.abort();
    throw err;
  }
}
