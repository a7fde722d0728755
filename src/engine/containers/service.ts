/**
 * ContainerService: create, inspect, list, rename and remove containers.
 * Running them (start/stop/kill/pause/wait/exit handling) is in lifecycle.ts,
 * streams (logs/attach/exec) in io.ts.
 */

import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import type { Snapshotter } from "../../snapshot/overlay.js";
import { conflict, invalid } from "../../util/errors.js";
import type { EventBus } from "../events.js";
import { checkFilterNames, type Filters, globMatch, matchLabels } from "../filters.js";
import type { ImageService } from "../images.js";
import { checkEndpoints, checkHostConfig } from "./checks.js";
import { commandOf, mergeConfig, parseSignal } from "./config.js";
import { containerPaths } from "./files.js";
import { normalizeLinks } from "./links.js";
import { type LogConfig, resolveLogConfig } from "./logconfig.js";
import { randomName, validateName } from "./names.js";
import { validateResources } from "./resources.js";
import type { ContainerStore } from "./store.js";
import { type ContainerRecord, type CreateRequest, type HostConfig, ZERO_TIME } from "./types.js";
import { inspectContainer, psRow, type ViewContext } from "./view.js";

export interface ContainerDeps {
  store: ContainerStore;
  images: ImageService;
  snapshots: Snapshotter;
  events: EventBus;
  defaultRuntime: string;
  runtimes: Record<string, string>;
  /** Parent cgroup path of every container of this daemon ("/berth-xxxx"). */
  cgroupParent: string;
  /** True when a network of that name or ID exists (user-defined networks). */
  /** Decides rec.mounts at create time (volumes, binds, tmpfs). */
  resolveMounts: (rec: ContainerRecord) => Promise<void>;
  /** daemon.json log-driver and log-opts. */
  logDefaults: LogConfig;
}

export function eventAttrs(rec: ContainerRecord, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(rec.config.Labels ?? {}), image: rec.imageName, name: rec.name, ...extra };
}

export async function createContainer(
  d: ContainerDeps,
  req: CreateRequest,
  name: string | undefined,
): Promise<{ Id: string; Warnings: string[] }> {
  if (!req || typeof req !== "object") throw invalid("config cannot be empty in order to create a container");
  if (!req.Image) throw invalid("Config cannot be empty in order to create a container");
  validateConfig(req);
  const host: HostConfig = { ...(req.HostConfig ?? {}) };
  validateHostConfig(host);
  host.LogConfig = resolveLogConfig(host.LogConfig, d.logDefaults);
  const mode = host.NetworkMode || "default";
  checkEndpoints(mode, req.NetworkingConfig?.EndpointsConfig as Parameters<typeof checkEndpoints>[1]);
  // A user-defined network is looked up at start, as moby does: a 404 here would
  // make `docker run` believe the image is missing and try to pull it.
  if (mode.startsWith("container:")) d.store.resolve(mode.slice("container:".length));
  const finalName = name ? validateName(name) : randomName((n) => d.store.byName(n) !== undefined);
  const taken = d.store.byName(finalName);
  if (taken) {
    throw conflict(
      `Conflict. The container name "/${finalName}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
  }
  const image = d.images.store.resolve(req.Image);
  host.Links = normalizeLinks(host.Links, d.store, finalName);
  const imageConfig = await d.images.config(image);
  const id = randomBytes(32).toString("hex");
  const config = mergeConfig(imageConfig, req, id);
  const { path, args } = commandOf(config);
  if (config.StopSignal) parseSignal(config.StopSignal);
  const runtime = host.Runtime || d.defaultRuntime;
  if (!d.runtimes[runtime]) throw invalid(`Unknown runtime specified ${runtime}`);
  const now = new Date().toISOString();
  const rec: ContainerRecord = {
    id,
    name: finalName,
    created: now,
    image: image.id,
    imageName: req.Image,
    path,
    args,
    config,
    hostConfig: normalizeHostConfig(host, runtime),
    // The CLI keys the default network's settings as "default": that is the "bridge" network.
    networking: Object.fromEntries(
      Object.entries(req.NetworkingConfig?.EndpointsConfig ?? {}).map(([k, v]) => [
        k === "default" ? "bridge" : k,
        v,
      ]),
    ),
    state: {
      Status: "created",
      Pid: 0,
      ExitCode: 0,
      Error: "",
      StartedAt: ZERO_TIME,
      FinishedAt: ZERO_TIME,
      OOMKilled: false,
    },
    restartCount: 0,
    manuallyStopped: false,
    hasBeenStarted: false,
    mounts: [],
    ports: {},
    runtime,
    layer: await d.images.topLayer(image),
  };
  await mkdir(d.store.containerDir(id), { recursive: true, mode: 0o710 });
  try {
    await d.resolveMounts(rec);
    await d.snapshots.prepare(id, rec.layer);
    await d.store.save(rec);
  } catch (err) {
    await d.snapshots.remove(id).catch(() => {});
    await d.store.delete(id);
    throw err;
  }
  d.events.emit("container", "create", id, eventAttrs(rec));
  return { Id: id, Warnings: [] };
}

/** The container config checks of moby's verifyContainerSettings (messages as Docker's). */
function validateConfig(req: CreateRequest): void {
  if (req.WorkingDir && !req.WorkingDir.startsWith("/"))
    throw invalid(`the working directory '${req.WorkingDir}' is invalid, it needs to be an absolute path`);
  const hc = req.Healthcheck;
  if (hc) {
    const ms = 1_000_000; // durations are nanoseconds; Docker's minimum is 1ms
    for (const [field, v] of [
      ["Interval", hc.Interval],
      ["Timeout", hc.Timeout],
      ["StartPeriod", hc.StartPeriod],
    ] as const)
      if (v !== undefined && v !== 0 && v < ms)
        throw invalid(`${field} in Healthcheck cannot be less than 1ms`);
    if ((hc.Retries ?? 0) < 0) throw invalid("Retries in Healthcheck cannot be negative");
  }
}

function validateHostConfig(h: HostConfig): void {
  const rp = h.RestartPolicy?.Name ?? "";
  if (!["", "no", "always", "unless-stopped", "on-failure"].includes(rp)) {
    throw invalid(`invalid restart policy '${rp}'`);
  }
  if (h.AutoRemove && rp !== "" && rp !== "no") {
    throw invalid("can't create 'AutoRemove' container with restart policy");
  }
  if ((h.RestartPolicy?.MaximumRetryCount ?? 0) < 0) throw invalid("maximum retry count cannot be negative");
  if ((h.RestartPolicy?.MaximumRetryCount ?? 0) !== 0 && rp !== "on-failure") {
    throw invalid("maximum retry count cannot be used with restart policy '" + rp + "'");
  }
  validateResources(h);
  checkHostConfig(h);
}

/** Fills the defaults Docker shows in inspect's HostConfig. */
function normalizeHostConfig(h: HostConfig, runtime: string): HostConfig {
  return {
    Binds: null,
    ContainerIDFile: "",
    LogConfig: { Type: "json-file", Config: {} },
    NetworkMode: "default",
    PortBindings: {},
    RestartPolicy: { Name: "no", MaximumRetryCount: 0 },
    AutoRemove: false,
    VolumeDriver: "",
    VolumesFrom: null,
    CapAdd: null,
    CapDrop: null,
    CgroupnsMode: "host",
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: null,
    GroupAdd: null,
    IpcMode: "private",
    Cgroup: "",
    Links: null,
    OomScoreAdj: 0,
    PidMode: "",
    Privileged: false,
    PublishAllPorts: false,
    ReadonlyRootfs: false,
    SecurityOpt: null,
    UTSMode: "",
    UsernsMode: "",
    ShmSize: 64 * 1024 * 1024,
    Isolation: "",
    CpuShares: 0,
    Memory: 0,
    NanoCpus: 0,
    CgroupParent: "",
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: null,
    BlkioDeviceWriteBps: null,
    BlkioDeviceReadIOps: null,
    BlkioDeviceWriteIOps: null,
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: "",
    CpusetMems: "",
    Devices: [],
    DeviceCgroupRules: null,
    KernelMemory: 0,
    MemoryReservation: 0,
    MemorySwap: 0,
    MemorySwappiness: null,
    OomKillDisable: false,
    PidsLimit: null,
    Ulimits: null,
    MaskedPaths: null,
    ReadonlyPaths: null,
    ...stripUndefined(h),
    Runtime: runtime,
    ...(h.RestartPolicy?.Name === "" ? { RestartPolicy: { Name: "no", MaximumRetryCount: 0 } } : {}),
    ...(!h.NetworkMode ? { NetworkMode: "default" } : {}),
    ...(!h.ShmSize ? { ShmSize: 64 * 1024 * 1024 } : {}),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function renameContainer(d: ContainerDeps, ref: string, newName: string): Promise<void> {
  const rec = d.store.resolve(ref);
  const name = validateName(newName);
  if (name === rec.name) throw invalid("Renaming a container with the same name as its current name");
  const other = d.store.byName(name);
  if (other) {
    // moby's rename wraps the name reservation's error.
    throw conflict(
      `Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${other.id}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
  }
  const old = rec.name;
  rec.name = name;
  d.events.emit("container", "rename", rec.id, eventAttrs(rec, { oldName: `/${old}` }));
  return d.store.save(rec);
}

export function viewContext(d: ContainerDeps, network: ViewContext["networkSettings"]): ViewContext {
  return {
    imageLabel: (rec) => {
      const img = d.images.store.get(rec.image);
      if (!img) return rec.image;
      try {
        if (d.images.store.resolve(rec.imageName).id === rec.image) return rec.imageName;
      } catch {
        // the name moved on or went away: show the ID like Docker
      }
      return rec.image.slice(7, 19);
    },
    paths: (rec) => {
      const p = containerPaths(d.store.containerDir(rec.id));
      return { logPath: p.log, hostsPath: p.hosts, hostnamePath: p.hostname, resolvConfPath: p.resolvConf };
    },
    graphDriver: (rec) => {
      const dir = d.snapshots.dirOf(rec.id);
      return { MergedDir: `${dir}/merged`, UpperDir: `${dir}/diff`, WorkDir: `${dir}/work` };
    },
    networkSettings: network,
  };
}

export function inspect(d: ContainerDeps, v: ViewContext, ref: string) {
  return inspectContainer(d.store.resolve(ref), v);
}

const PS_FILTERS = [
  "id",
  "name",
  "label",
  "status",
  "ancestor",
  "exited",
  "before",
  "since",
  "health",
  "network",
  "volume",
  "is-task",
  "publish",
  "expose",
];

export function list(
  d: ContainerDeps,
  v: ViewContext,
  opts: { all?: boolean; limit?: number; size?: boolean; filters: Filters },
) {
  checkFilterNames(opts.filters, PS_FILTERS);
  const f = opts.filters;
  let recs = d.store
    .list()
    .sort((a, b) => Date.parse(b.created) - Date.parse(a.created) || (a.id < b.id ? 1 : -1));
  for (const hs of f.get("health") ?? [])
    if (!["starting", "healthy", "unhealthy", "none"].includes(hs))
      throw invalid(`Unrecognised filter value for health: ${hs}`);
  const statusFilter = f.get("status");
  for (const s of statusFilter ?? []) {
    if (!["created", "restarting", "running", "removing", "paused", "exited", "dead"].includes(s)) {
      throw invalid(`Invalid filter 'status=${s}'`);
    }
  }
  const all = opts.all || (opts.limit !== undefined && opts.limit > 0) || !!statusFilter || f.has("exited");
  if (!all)
    recs = recs.filter(
      (r) => r.state.Status === "running" || r.state.Status === "paused" || r.state.Status === "restarting",
    );
  const publish = portFilter(f.get("publish"), "publish");
  const expose = portFilter(f.get("expose"), "expose");
  const isTask = f.get("is-task");
  if (isTask && !["true", "false"].includes(isTask[0] ?? ""))
    throw invalid(`Invalid filter 'is-task=${isTask[0]}'`);
  const beforeRef = f.get("before")?.[0];
  const sinceRef = f.get("since")?.[0];
  const before = beforeRef ? d.store.resolve(beforeRef) : undefined;
  const since = sinceRef ? d.store.resolve(sinceRef) : undefined;
  recs = recs.filter((r) => {
    if (before && Date.parse(r.created) >= Date.parse(before.created)) return false;
    if (since && Date.parse(r.created) <= Date.parse(since.created)) return false;
    const ids = f.get("id");
    if (ids && !ids.some((i) => r.id.startsWith(i))) return false;
    const names = f.get("name");
    if (names && !names.some((n) => new RegExp(n.replace(/^\//, "")).test(r.name))) return false;
    const labels = f.get("label");
    if (labels && !matchLabels(r.config.Labels, labels)) return false;
    if (statusFilter && !statusFilter.includes(r.state.Status)) return false;
    const exited = f.get("exited");
    if (exited && !(r.state.Status === "exited" && exited.map(Number).includes(r.state.ExitCode)))
      return false;
    const ancestors = f.get("ancestor");
    if (ancestors && !ancestors.some((a) => isAncestor(d, r, a))) return false;
    const health = f.get("health");
    if (health && !health.includes(r.state.Health?.Status ?? "none")) return false;
    // Swarm tasks: berth runs none.
    if (isTask && isTask[0] === "true") return false;
    return true;
  });
  if (publish.size || expose.size) recs = recs.filter((r) => matchPorts(r, publish, expose));
  let rows = recs.map((r) => psRow(r, v, opts.size));
  rows = rows.filter((row) => matchRow(row, f));
  if (opts.limit !== undefined && opts.limit > 0) rows = rows.slice(0, opts.limit);
  return rows;
}

/**
 * `publish` and `expose` as Docker documents them (`docker ps --filter publish=80` lists a
 * container with `0.0.0.0:32768->80/tcp`; moby's list since 23.0): a container port the
 * container publishes (HostConfig.PortBindings), or one it exposes (Config.ExposedPorts,
 * which a published port is too). Values are `port[/proto]` or a range.
 */
function matchPorts(rec: ContainerRecord, publish: Set<string>, expose: Set<string>): boolean {
  const published = Object.keys(rec.hostConfig.PortBindings ?? {});
  const exposed = [...Object.keys(rec.config.ExposedPorts ?? {}), ...published];
  const norm = (k: string) => (k.includes("/") ? k : `${k}/tcp`);
  return published.some((k) => publish.has(norm(k))) || exposed.some((k) => expose.has(norm(k)));
}

/**
 * The filters Docker applies to a listed container (moby's daemon/list.go): `volume` by a
 * mount's name (or source) or destination, `network` by name or ID prefix.
 */
function matchRow(row: ReturnType<typeof psRow>, f: Filters): boolean {
  const volumes = f.get("volume");
  if (
    volumes &&
    !volumes.some((val) => row.Mounts.some((m) => m.Destination === val || (m.Name ?? m.Source) === val))
  )
    return false;
  const networks = f.get("network");
  if (networks) {
    const nets = row.NetworkSettings.Networks as Record<string, { NetworkID?: string } | null>;
    const hit = networks.some(
      (val) => val in nets || Object.values(nets).some((n) => !!n?.NetworkID && n.NetworkID.startsWith(val)),
    );
    if (!hit) return false;
  }
  return true;
}

/** `publish`/`expose` filter values (`80`, `80/udp`, `8000-8010/tcp`) as a set of `port/proto`. */
function portFilter(values: string[] | undefined, name: string): Set<string> {
  const out = new Set<string>();
  for (const v of values ?? []) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/.exec(v);
    const lo = Number(m?.[1]);
    const hi = m?.[2] ? Number(m[2]) : lo;
    if (!m || lo > hi || hi > 65535) throw invalid(`Invalid filter '${name}=${v}'`);
    for (let p = lo; p <= hi; p++) out.add(`${p}/${m[3] ?? "tcp"}`);
  }
  return out;
}

function isAncestor(d: ContainerDeps, rec: ContainerRecord, ref: string): boolean {
  let img: { id: string };
  try {
    img = d.images.store.resolve(ref);
  } catch {
    return globMatch(ref, rec.imageName);
  }
  // The container's image or any image it was built from.
  let cur = d.images.store.get(rec.image);
  while (cur) {
    if (cur.id === img.id) return true;
    cur = cur.parent ? d.images.store.get(cur.parent) : undefined;
  }
  return false;
}
