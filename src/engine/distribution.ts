/**
 * DistributionService: images in and out of berth (pull, push, load, save,
 * login, search, distribution inspect), with the tags each records and the
 * events each emits. Progress goes to a `ProgressWriter` as Docker's JSON
 * messages (moby's daemon writes through a stream formatter the same way);
 * the API only frames them. Implements api/backend.ts's DistributionBackend.
 */
import type { Readable } from "node:stream";
import { loadArchive, type SaveItem, saveArchive } from "../image/archive.js";
import { familiar, parseReference, type Reference, withDefaultTag } from "../image/reference.js";
import { type Credentials, Registry, RegistryResponseError } from "../registry/client/http.js";
import { distributionInspect, listTags, type PullOptions, pull } from "../registry/client/pull.js";
import { push } from "../registry/client/push.js";
import { BerthError, invalid } from "../util/errors.js";
import type { Engine } from "./engine.js";

/** One JSON progress message (`{status, id, progressDetail, ...}`, `{stream}`, `{aux}`). */
export type ProgressWriter = (msg: Record<string, unknown>) => void;

function progressBar(current: number, total: number): string {
  const width = 50;
  const n = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const h = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(1)}MB` : `${(b / 1e3).toFixed(1)}kB`);
  return `[${"=".repeat(Math.max(0, n - 1))}${n > 0 ? ">" : ""}${" ".repeat(width - n)}] ${h(current)}/${h(total)}`;
}

/** A reference from the API's words; a malformed one is InvalidParameter. */
export function referenceOf(text: string): Reference {
  try {
    return parseReference(text);
  } catch (err) {
    throw invalid((err as Error).message, err);
  }
}

export class DistributionService {
  constructor(private readonly e: Engine) {}

  /** An image reference from the API's words; InvalidParameter when malformed. */
  reference(text: string): Reference {
    return referenceOf(text);
  }

  private pullOptions(creds: Credentials | undefined, platform?: string, signal?: AbortSignal) {
    return {
      insecure: this.e.config.insecureRegistries,
      creds,
      platform,
      mirrors: this.e.config.registryMirrors,
      sources: this.e.blobSources,
      signal,
    };
  }

  /**
   * `docker pull`: a name without tag or digest pulls every tag
   * (`--all-tags`); each pulled image is tagged and its digest recorded,
   * and a `pull` event emitted. Throws before the first message only for
   * bad input; registry errors reach the caller (to be sent in-band).
   * `signal` aborting (the client went away) stops the downloads and the
   * extraction: no image is recorded, partial blobs stay in content/ingest
   * for a later pull to resume (registry/client/pull.ts).
   */
  async pull(
    ref: Reference,
    o: { creds?: Credentials; platform?: string; signal?: AbortSignal },
    out: ProgressWriter,
  ): Promise<void> {
    const opts = this.pullOptions(o.creds, o.platform, o.signal);
    const refs =
      ref.tag || ref.digest
        ? [ref]
        : (await listTags(ref, opts)).map((t) => ({ ...ref, tag: t }) as Reference);
    for (const one of refs) {
      o.signal?.throwIfAborted();
      await this.e.images.hold(() => this.pullOne(one, opts, out));
    }
  }

  private async pullOne(ref: Reference, opts: Omit<PullOptions, "progress">, out: ProgressWriter) {
    out({ status: `Pulling from ${ref.path.replace(/^library\//, "")}`, id: ref.tag ?? ref.digest });
    const res = await pull(this.e.images, ref, {
      ...opts,
      progress: (id, status, detail) =>
        out({
          status,
          id,
          ...(detail
            ? { progressDetail: detail, progress: progressBar(detail.current, detail.total) }
            : { progressDetail: {} }),
        }),
    });
    await this.e.imageStore.addRef(ref, res.rec.id);
    await this.e.imageStore.addRef({ ...ref, tag: undefined, digest: res.digest }, res.rec.id);
    this.e.events.emit("image", "pull", familiar(ref), { name: familiar(ref) });
    out({ status: `Digest: ${res.digest}` });
    out({
      status: res.fresh
        ? `Status: Downloaded newer image for ${familiar(ref)}`
        : `Status: Image is up to date for ${familiar(ref)}`,
    });
  }

  /** Throws NotFound when `ref` names no local image (call before the stream starts). */
  checkLocal(ref: Reference): void {
    this.e.imageStore.resolve(familiar(withDefaultTag(ref)));
  }

  /** `docker push`: records the pushed digest and emits `push`; `signal` aborting stops the uploads. */
  async push(
    ref: Reference,
    creds: Credentials | undefined,
    out: ProgressWriter,
    signal?: AbortSignal,
  ): Promise<void> {
    const tagged = withDefaultTag(ref);
    out({ status: `The push refers to repository [${familiar({ ...tagged, tag: undefined })}]` });
    const r = await push(this.e.images, tagged, familiar(tagged), {
      insecure: this.e.config.insecureRegistries,
      creds,
      sources: this.e.blobSources,
      signal,
      progress: (id, status, detail) =>
        out({
          status,
          id,
          progressDetail: detail ?? {},
          ...(detail ? { progress: progressBar(detail.current, detail.total) } : {}),
        }),
    });
    await this.e.imageStore.addRef(
      { ...tagged, tag: undefined, digest: r.digest },
      this.e.imageStore.resolve(familiar(tagged)).id,
    );
    this.e.events.emit("image", "push", familiar(tagged), { name: familiar(tagged) });
    out({ status: `${r.tag}: digest: ${r.digest} size: ${r.size}` });
    out({ progressDetail: {}, aux: { Tag: r.tag, Digest: r.digest, Size: r.size } });
  }

  /**
   * `docker load`: every image of the archive, tagged as it says; `load` and
   * `tag` events. A cut upload or `signal` aborting fails it with no image
   * recorded, the temp dir removed, and the layers it made swept.
   */
  async load(archive: Readable, out: ProgressWriter, signal?: AbortSignal): Promise<void> {
    let loaded: Awaited<ReturnType<typeof loadArchive>>;
    try {
      loaded = await this.e.images.hold(() =>
        loadArchive(
          {
            content: this.e.content,
            layers: this.e.layers,
            tmpDir: this.e.tmpDir,
            createImage: (c) => this.e.images.create(c),
          },
          archive,
          signal,
        ),
      );
    } catch (err) {
      // Layers of images before the failing one stay with their images; the failing one's go.
      await this.e.images.gc().catch(() => {});
      throw err;
    }
    for (const { rec, tags } of loaded) {
      this.e.events.emit("image", "load", rec.id, {});
      for (const t of tags) {
        await this.e.imageStore.addRef(t, rec.id);
        this.e.events.emit("image", "tag", rec.id, { name: familiar(t) });
        out({ stream: `Loaded image: ${familiar(t)}\n` });
      }
      if (tags.length === 0) out({ stream: `Loaded image ID: ${rec.id}\n` });
    }
  }

  /**
   * `docker save`: a docker-archive tar of the named images (names kept
   * when given as tags), `save` events. Throws NotFound before any byte.
   */
  async save(names: string[], signal?: AbortSignal): Promise<Readable> {
    const items: SaveItem[] = [];
    for (const name of names) {
      const rec = this.e.imageStore.resolve(name);
      const config = await this.e.content.read(rec.id);
      let tags: Reference[] = [];
      try {
        const ref = withDefaultTag(parseReference(name));
        if (!ref.digest && this.e.imageStore.lookupRef(ref) === rec.id) tags = [ref];
      } catch {
        // an ID: saved without names
      }
      const same = items.find((i) => i.rec.id === rec.id);
      if (same) same.tags.push(...tags);
      else items.push({ rec, config, tags });
      this.e.events.emit("image", "save", rec.id, {});
    }
    const tar = saveArchive(this.e.content, this.e.layers, items, signal);
    tar.on("error", (err) => {
      if (signal?.aborted) this.e.log.debug({ err }, "save abandoned by the client");
      else this.e.log.error({ err }, "save failed");
    });
    return tar;
  }

  /** POST /auth: checks the credentials against the registry's /v2/. Throws Unauthorized. */
  async login(creds: Credentials & { serveraddress?: string }): Promise<void> {
    const server = (creds.serveraddress || "docker.io").replace(/^https?:\/\//, "").replace(/\/.*$/, "");
    const host = server === "index.docker.io" ? "docker.io" : server;
    const reg = new Registry(host, this.e.config.insecureRegistries, creds);
    try {
      await reg.request("/v2/", { scope: "" });
    } catch (err) {
      if (err instanceof RegistryResponseError && err.status === 401) {
        throw new BerthError(
          "Unauthorized",
          `login attempt to ${reg.base}/v2/ failed with status: 401 Unauthorized`,
          {
            cause: err,
          },
        );
      }
      throw err;
    }
  }

  /** GET /images/search: the registry's /v1/search (docker.io, or the registry the term names). */
  async search(term: string, limit: number): Promise<object[]> {
    const slash = term.indexOf("/");
    const first = slash > 0 ? term.slice(0, slash) : "";
    const local = first.includes(".") || first.includes(":") || first === "localhost";
    const host = local ? first : "docker.io";
    const q = local ? term.slice(slash + 1) : term;
    const reg = new Registry(
      host === "docker.io" ? "index.docker.io" : host,
      this.e.config.insecureRegistries,
    );
    const res = await reg.request(`/v1/search?q=${encodeURIComponent(q)}&n=${limit}`, { scope: "" });
    const j = (await res.json()) as { results?: object[] };
    return (j.results ?? []).slice(0, limit);
  }

  /** GET /distribution/{name}/json. */
  inspect(ref: Reference, creds: Credentials | undefined) {
    return distributionInspect(withDefaultTag(ref), { insecure: this.e.config.insecureRegistries, creds });
  }
}
