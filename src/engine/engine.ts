/**
 * The engine: builds the stores and services from the daemon config and
 * owns their lifecycle. The API layer only talks to this object.
 *
 *   content (blobs) -> snapshot/layers (read-only layers) -> image store
 *   -> snapshot/overlay (container roots) -> runtime (conmon + runc)
 */

import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { Builder } from "../builder/builder.js";
import { ContentStore } from "../content/store.js";
import { ImageStore } from "../image/store.js";
import { NetworkManager } from "../network/manager.js";
import { RootlessPorts } from "../network/rootlessports.js";
import { BlobSources } from "../registry/client/sources.js";
import { effectiveCaps } from "../runtime/capabilities.js";
import { removeStrayCgroups } from "../runtime/cgroups.js";
import { Runtime } from "../runtime/runtime.js";
import { seccompFor } from "../runtime/seccomp.js";
import { LayerStore } from "../snapshot/layers.js";
import { Snapshotter } from "../snapshot/overlay.js";
import { BUILD } from "../util/buildinfo.js";
import { writeFileAtomic } from "../util/fs.js";
import { rootless } from "../util/rootless.js";
import { VolumeStore } from "../volume/store.js";
import { BuildService } from "./build.js";
import { BUILD_RUN_LABEL, EngineBuildBackend } from "./build-backend.js";
import type { DaemonConfig } from "./config.js";
import { ContainerFiles } from "./containers/files-service.js";
import { ContainerService } from "./containers/index.js";
import { validateLogConfig } from "./containers/logconfig.js";
import { VolumeMounts } from "./containers/mounts.js";
import { BridgeNetworks } from "./containers/network.js";
import { startHooks } from "./containers/prepare.js";
import { ContainerStore } from "./containers/store.js";
import { DistributionService } from "./distribution.js";
import { EventBus } from "./events.js";
import { ImageService } from "./images.js";
import { NetworkService } from "./networks.js";
import { sweepLeftovers } from "./recovery.js";
import { VolumeService } from "./volumes.js";

export const ENGINE_VERSION = BUILD.version;
export const API_VERSION = "1.41";
export const MIN_API_VERSION = "1.24";

export class Engine {
  readonly events = new EventBus();
  readonly content: ContentStore;
  readonly layers: LayerStore;
  readonly snapshots: Snapshotter;
  readonly imageStore: ImageStore;
  readonly images: ImageService;
  readonly containerStore: ContainerStore;
  readonly runtime: Runtime;
  readonly containers: ContainerService;
  readonly volumes: VolumeStore;
  readonly builder: Builder;
  readonly networks: NetworkManager;
  readonly networkPort: BridgeNetworks;
  /** The /volumes and /networks backends (api/backend.ts). */
  readonly volumeService: VolumeService;
  readonly networkService: NetworkService;
  /** The classic builder and build prune. */
  readonly buildService: BuildService;
  /** diff, commit, export, docker cp. */
  readonly containerFiles: ContainerFiles;
  /** Pull, push, load, save, login, search. */
  readonly distribution: DistributionService;
  readonly startedAt = new Date();
  /** Which repositories each blob came from or went to (cross-repository mounts on push). */
  readonly blobSources: BlobSources;
  daemonId = "";

  constructor(
    readonly config: DaemonConfig,
    readonly log: Logger,
  ) {
    // A bad daemon.json log-driver/log-opts stops berthd at start, not each create.
    validateLogConfig({ Type: config.logDriver, Config: config.logOpts });
    this.content = new ContentStore(join(config.root, "content"));
    this.layers = new LayerStore(config.root);
    this.snapshots = new Snapshotter(
      this.layers,
      config.storageDriver === "fuse-overlayfs" ? "fuse-overlayfs" : "overlay2",
    );
    this.imageStore = new ImageStore(config.root);
    this.images = new ImageService(this.content, this.layers, this.imageStore, this.events);
    this.containerStore = new ContainerStore(config.root);
    this.blobSources = new BlobSources(join(config.root, "distribution"));
    const runtimePath = config.runtimes[config.defaultRuntime]!;
    this.runtime = new Runtime({
      runtimePath,
      conmonPath: config.conmon,
      stateDir: join(config.execRoot, "runtime"),
      log,
    });
    this.networks = new NetworkManager(
      config.root,
      config.networkPrefix,
      config.bridge,
      config.subnetPool,
      log,
      // Rootless: the network namespace is rootlesskit's, shared with no other daemon.
      config.rootless ? join(config.execRoot, "ipam.lock") : undefined,
    );
    const rl = rootless();
    const network = new BridgeNetworks(
      this.networks,
      this.containerStore,
      rl ? new RootlessPorts(rl.stateDir) : undefined,
      (action, ep, rec) => {
        const n = this.networks.find(ep.network);
        if (n) this.events.emit("network", action, n.Id, { name: n.Name, type: "bridge", container: rec.id });
      },
    );
    this.networkPort = network;
    this.volumes = new VolumeStore(config.root);
    const mounts = new VolumeMounts(this.volumes, this.containerStore);
    this.volumes.usage = (name) => mounts.users(name);
    this.containers = new ContainerService(
      {
        store: this.containerStore,
        images: this.images,
        snapshots: this.snapshots,
        events: this.events,
        defaultRuntime: config.defaultRuntime,
        runtimes: config.runtimes,
        cgroupParent: this.cgroupParent(),
        resolveMounts: (rec) => mounts.resolve(rec),
        logDefaults: { Type: config.logDriver, Config: config.logOpts },
      },
      this.runtime,
      startHooks({
        store: this.containerStore,
        network,
        mounts,
        initPath: config.init,
        seccomp: (rec) =>
          seccompFor(
            rec.hostConfig.SecurityOpt ?? [],
            effectiveCaps({
              privileged: rec.hostConfig.Privileged ?? false,
              add: rec.hostConfig.CapAdd,
              drop: rec.hostConfig.CapDrop,
            }),
            config.seccompProfile,
          ),
        cgroupParent: this.cgroupParent(),
      }),
      join(config.execRoot, "containers"),
      (rec) => network.settings(rec),
      log,
    );
    this.volumeService = new VolumeService(this.volumes, this.events);
    this.networkService = new NetworkService(this.networks, this.containers, this.events);
    this.distribution = new DistributionService(this);
    this.containerFiles = new ContainerFiles(this.containers);
    this.containers.network = network;
    this.builder = new Builder({
      backend: new EngineBuildBackend({
        images: this.images,
        containers: this.containers,
        snapshots: this.snapshots,
        registry: {
          insecure: config.insecureRegistries,
          mirrors: config.registryMirrors,
          sources: this.blobSources,
        },
      }),
      cacheDir: join(config.root, "builder"),
      tmpDir: join(config.root, "tmp"),
      secretDir: join(config.execRoot, "builder-secrets"),
      log: (facts, msg) => log.debug(facts, msg),
    });
    this.buildService = new BuildService(
      this.builder,
      () => this.pruneLeftovers(),
      (fn) => this.images.hold(fn),
    );
    this.images.usage = { containersUsing: (id) => this.containers.containersUsing(id) };
    this.images.gcRoots = async () => ({
      layers: this.containerStore
        .list()
        .map((r) => r.layer)
        .filter((l): l is string => !!l),
      blobs: [],
    });
  }

  /**
   * Rootless: the containers live in rootlesskit's namespaces, which end with
   * berthd, so they are stopped (as `docker stop`: signal, grace time, kill), as
   * dockerd does without live-restore. Not a user's stop: restart policies
   * still apply at the next start.
   */
  private async stopForRootless(): Promise<void> {
    const running = this.containerStore
      .list()
      .filter((r) => r.state.Status === "running" || r.state.Status === "paused");
    await Promise.all(
      running.map(async (rec) => {
        const manual = rec.manuallyStopped;
        await this.containers
          .stop(rec.id)
          .catch((err: Error) => this.log.warn({ id: rec.id, err }, "rootless: container not stopped"));
        rec.manuallyStopped = manual;
        await this.containerStore.save(rec).catch(() => {});
      }),
    );
  }

  /** The containers' parent cgroup; "" when rootless without a delegated subtree (none made). */
  private cgroupParent(): string {
    return this.config.rootless ? "" : `/berth-${this.cgroupName()}`;
  }

  /** A cgroup directory name per daemon root, so two daemons never share one. */
  private cgroupName(): string {
    return createHash("sha256").update(this.config.root).digest("hex").slice(0, 8);
  }

  get tmpDir(): string {
    return join(this.config.root, "tmp");
  }

  async init(): Promise<void> {
    await mkdir(this.config.root, { recursive: true, mode: 0o711 });
    await mkdir(this.config.execRoot, { recursive: true, mode: 0o700 });
    await mkdir(this.tmpDir, { recursive: true });
    await this.content.init();
    // Nothing of this root runs yet (we hold its lock): temp data is a crash's leftover.
    const swept = await sweepLeftovers(this.leftoverDirs, { keepResumable: true });
    if (swept) this.log.info({ bytes: swept }, "removed leftovers of interrupted operations");
    await this.layers.init();
    await this.imageStore.init();
    this.daemonId = await loadDaemonId(join(this.config.root, "engine-id"));
    const report = (msg: string) => this.log.warn(msg);
    await this.volumes.init(report);
    await this.runtime.init();
    await this.containerStore.init(report);
    await this.networks.init(report);
    for (const rec of this.containerStore.list()) {
      this.runtime.adopt(rec.id, this.containers.life.bundleDir(rec.id));
      if (rec.state.Status === "running" || rec.state.Status === "paused") this.networkPort.adopt(rec);
    }
    await this.containers.init();
    await this.recoverContainers();
    const parent = this.cgroupParent();
    if (parent) {
      const known = new Set(this.containerStore.list().map((r) => r.id));
      const stray = await removeStrayCgroups(parent, known);
      if (stray) this.log.info({ count: stray }, "removed the cgroups of containers that are gone");
    }
    const running = this.containerStore
      .list()
      .filter((r) => r.state.Status === "running" || r.state.Status === "paused")
      .map((r) => r.id);
    await this.networks.reconcile(new Set(running));
  }

  private get leftoverDirs() {
    return { tmp: this.tmpDir, ingest: this.content.ingestDir, layers: this.layers.dir };
  }

  /**
   * Leftovers of interrupted operations (`system prune`, `builder prune`):
   * temp and ingest data older than this daemon's start and held by no
   * writer. Returns the bytes freed.
   */
  async pruneLeftovers(): Promise<number> {
    return sweepLeftovers(this.leftoverDirs, {
      olderThan: this.startedAt.getTime(),
      keep: this.content.active,
    });
  }

  /** Undoes what a crash left half-done to containers: a build's RUN container, a commit's pause. */
  private async recoverContainers(): Promise<void> {
    for (const rec of this.containerStore.list()) {
      if (rec.state.Status === "removing") {
        // A removal the crash interrupted (its snapshot may be gone already): finished, like Docker's dead containers.
        this.log.info({ id: rec.id }, "finishing an interrupted removal");
        rec.state.Status = "dead";
        await this.containers
          .remove(rec.id, { force: true, volumes: false })
          .catch((err) => this.log.error({ err, id: rec.id }, "finishing a removal failed"));
        continue;
      }
      if (rec.config.Labels?.[BUILD_RUN_LABEL]) {
        this.log.info({ id: rec.id }, "removing the RUN container of an interrupted build");
        await this.containers
          .remove(rec.id, { force: true, volumes: true })
          .catch((err) =>
            this.log.error({ err, id: rec.id }, "removing an interrupted build's container failed"),
          );
        continue;
      }
      if (rec.pausedForCommit) {
        if (rec.state.Status === "paused") {
          this.log.info({ id: rec.id }, "unpausing a container paused by an interrupted commit");
          await this.containers
            .unpause(rec.id)
            .catch((err) =>
              this.log.error({ err, id: rec.id }, "unpausing after an interrupted commit failed"),
            );
        }
        delete rec.pausedForCommit;
        await this.containerStore
          .save(rec)
          .catch((err) => this.log.error({ err, id: rec.id }, "saving failed"));
      }
    }
  }

  containerCounts(): { total: number; running: number; paused: number; stopped: number } {
    return this.containers.counts();
  }

  async shutdown(): Promise<void> {
    if (this.config.rootless) await this.stopForRootless();
    await this.containers.shutdown();
    const running = this.containerStore
      .list()
      .filter((r) => r.state.Status === "running" || r.state.Status === "paused")
      .map((r) => r.id);
    await this.networks.shutdown(new Set(running));
    if (running.length === 0) await removeCgroupParent(`/berth-${this.cgroupName()}`);
    this.runtime.close();
  }
}

async function loadDaemonId(path: string): Promise<string> {
  const existing = await readFile(path, "utf8").catch(() => "");
  if (existing.trim()) return existing.trim();
  const id = randomUUID();
  await writeFileAtomic(path, id);
  return id;
}

/** The daemon's parent cgroup in every hierarchy, once no container needs it. */
async function removeCgroupParent(path: string): Promise<void> {
  const { readdir, rmdir } = await import("node:fs/promises");
  const base = "/sys/fs/cgroup";
  const dirs = [join(base, path)];
  for (const ctrl of await readdir(base).catch(() => [] as string[])) dirs.push(join(base, ctrl, path));
  for (const d of dirs) await rmdir(d).catch(() => {});
}
