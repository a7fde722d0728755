/**
 * The engine's side of the builder (`builder/backend.ts`): images come from
 * the ImageService (pulled when absent), RUN steps are ordinary containers,
 * and every layer goes through ImageService.commit, the path `docker commit`
 * takes too.
 */
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import type { BuilderBackend, ImageRoot, RunSpec } from "../builder/backend.js";
import { familiar, parseReference, withDefaultTag } from "../image/reference.js";
import type { HistoryEntry, ImageConfig } from "../image/types.js";
import { scrubMountStubs } from "../layer/stubs.js";
import { pull } from "../registry/client/pull.js";
import type { BlobSources } from "../registry/client/sources.js";
import type { Snapshotter } from "../snapshot/overlay.js";
import { invalid, isKind } from "../util/errors.js";
import type { ContainerService } from "./containers/index.js";
import type { HostConfig } from "./containers/types.js";
import type { ImageService } from "./images.js";

/** Label on the containers the builder runs for RUN: a crash mid-build leaves them behind. */
export const BUILD_RUN_LABEL = "io.berth.build.run";

export interface BuildBackendDeps {
  images: ImageService;
  containers: ContainerService;
  snapshots: Snapshotter;
  registry: { insecure: string[]; mirrors: string[]; sources: BlobSources };
}

export class EngineBuildBackend implements BuilderBackend {
  constructor(private readonly d: BuildBackendDeps) {}

  async resolveImage(
    ref: string,
    o: { pull: boolean; platform?: string; say: (s: string) => void; signal?: AbortSignal },
  ) {
    const local = () => this.d.images.store.resolve(ref).id;
    if (!o.pull) {
      try {
        return local();
      } catch (err) {
        if (!isKind(err, "NotFound") || ref.startsWith("sha256:")) throw err;
      }
    }
    let parsed: ReturnType<typeof parseReference>;
    try {
      parsed = withDefaultTag(parseReference(ref));
    } catch (err) {
      throw invalid((err as Error).message);
    }
    o.say(`${parsed.tag ?? parsed.digest}: Pulling from ${parsed.path.replace(/^library\//, "")}\n`);
    const res = await pull(this.d.images, parsed, {
      insecure: this.d.registry.insecure,
      mirrors: this.d.registry.mirrors,
      sources: this.d.registry.sources,
      platform: o.platform,
      progress: () => {},
      signal: o.signal,
    });
    await this.d.images.store.addRef(parsed, res.rec.id);
    o.say(
      `Digest: ${res.digest}\nStatus: ${res.fresh ? "Downloaded newer image" : "Image is up to date"} for ${familiar(parsed)}\n`,
    );
    return res.rec.id;
  }

  hasImage(id: string): boolean {
    return this.d.images.store.get(id) !== undefined;
  }

  async imageConfig(id: string): Promise<ImageConfig> {
    return structuredClone(await this.d.images.config(this.d.images.store.resolve(id)));
  }

  async createImage(config: ImageConfig, parent?: string): Promise<string> {
    return (await this.d.images.create(config, parent ? { parent } : {})).id;
  }

  private async topLayer(id?: string) {
    return id ? this.d.images.topLayer(this.d.images.store.resolve(id)) : undefined;
  }

  async commitFiles(o: {
    parent?: string;
    config: ImageConfig;
    history: HistoryEntry;
    emptyOk: boolean;
    write: (root: string) => Promise<void>;
  }): Promise<string> {
    const snapId = `build-${randomBytes(8).toString("hex")}`;
    const snap = await this.d.snapshots.prepare(snapId, await this.topLayer(o.parent));
    try {
      const root = await this.d.snapshots.mount(snapId);
      await o.write(root);
      await this.d.snapshots.unmount(snapId);
      const rec = await this.d.images.commit({
        parent: o.parent,
        config: o.config,
        upper: snap.upper,
        lowers: snap.lowers,
        history: o.history,
        emptyOk: o.emptyOk,
      });
      return rec.id;
    } finally {
      await this.d.snapshots.remove(snapId);
    }
  }

  async imageRoot(id: string): Promise<ImageRoot> {
    const snapId = `build-from-${randomBytes(8).toString("hex")}`;
    await this.d.snapshots.prepare(snapId, await this.topLayer(id));
    try {
      const path = await this.d.snapshots.mount(snapId);
      return { path, release: () => this.d.snapshots.remove(snapId) };
    } catch (err) {
      await this.d.snapshots.remove(snapId);
      throw err;
    }
  }

  async run(spec: RunSpec, out: (chunk: string) => void, signal?: AbortSignal) {
    const { Id } = await this.d.containers.create({
      Image: spec.image,
      Cmd: spec.cmd,
      Entrypoint: [],
      Env: spec.env,
      User: spec.user,
      WorkingDir: spec.workingDir,
      // Marks it for removal at start if berthd dies mid-RUN.
      Labels: { [BUILD_RUN_LABEL]: "1" },
      HostConfig: spec.hostConfig as HostConfig,
    });
    out(` ---> Running in ${Id.slice(0, 12)}\n`);
    const onAbort = () => void this.d.containers.kill(Id, "KILL").catch(() => {});
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await this.d.containers.start(Id);
      const sink = new Writable({
        write(chunk: Buffer, _e, cb) {
          out(chunk.toString());
          cb();
        },
      });
      await this.d.containers.logs(
        Id,
        sink,
        { stdout: true, stderr: true, follow: true, timestamps: false },
        new AbortController().signal,
      );
      const { StatusCode } = await this.d.containers.wait(Id, "not-running");
      return { id: Id, exitCode: StatusCode };
    } catch (err) {
      // The container stays for the caller to remove (Docker keeps a failed one without --force-rm).
      (err as { containerId?: string }).containerId = Id;
      throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async commitContainer(
    id: string,
    o: { parent: string; config: ImageConfig; history: HistoryEntry; scrub: string[] },
  ): Promise<string> {
    const snap = await this.d.snapshots.get(id);
    await this.d.snapshots.unmount(id);
    await scrubMountStubs(snap.upper, snap.lowers, o.scrub);
    const rec = await this.d.images.commit({
      parent: o.parent,
      config: o.config,
      upper: snap.upper,
      lowers: snap.lowers,
      history: o.history,
    });
    return rec.id;
  }

  async removeContainer(id: string): Promise<void> {
    await this.d.containers.remove(id, { force: true });
  }

  async tag(id: string, ref: string): Promise<string> {
    const r = withDefaultTag(parseReference(ref));
    await this.d.images.tag(id, r);
    return familiar(r);
  }
}
