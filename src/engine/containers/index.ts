/**
 * The container service the API talks to: records (service.ts), running
 * (lifecycle.ts), streams (io.ts), exec (exec.ts) and views (view.ts).
 */

import type { Duplex, Writable } from "node:stream";
import type { Logger } from "pino";
import { readNetStats, readStats } from "../../runtime/cgroups.js";
import { conflict, invalid, notImplemented } from "../../util/errors.js";
import { dirSize } from "../../util/fs.js";
import type { Filters } from "../filters.js";
import { checkEndpoints } from "./checks.js";
import { ExecManager } from "./exec.js";
import { HealthMonitor } from "./health.js";
import { attachStreams, type LogOptions, streamLogs } from "./io.js";
import { Lifecycle, type StartHooks } from "./lifecycle.js";
import { dropLinksTo, refreshLinkers, renameInLinks } from "./links.js";
import { withShortIdAlias } from "./network.js";
import { containerCgroupsPath, validateResources } from "./resources.js";
import type { RuntimePort } from "./runtime-port.js";
import {
  type ContainerDeps,
  createContainer,
  eventAttrs,
  inspect,
  list,
  renameContainer,
  viewContext,
} from "./service.js";
import type { ContainerRecord, CreateRequest, HostConfig } from "./types.js";
import type { ViewContext } from "./view.js";

export class ContainerService {
  readonly life: Lifecycle;
  readonly execs: ExecManager;
  private readonly view: ViewContext;

  constructor(
    readonly d: ContainerDeps,
    readonly runtime: RuntimePort,
    hooks: StartHooks,
    bundleRoot: string,
    networkSettings: ViewContext["networkSettings"],
    log: Logger,
  ) {
    this.life = new Lifecycle(d, runtime, hooks, bundleRoot, log);
    this.execs = new ExecManager(d.store, runtime, d.events, (rec) => `${d.snapshots.dirOf(rec.id)}/merged`);
    this.view = viewContext(d, networkSettings);
    this.health = new HealthMonitor(
      d.store,
      runtime,
      d.events,
      (rec) => `${d.snapshots.dirOf(rec.id)}/merged`,
    );
    this.life.onRunning = (rec, readopted) => {
      this.health.start(rec, readopted);
      if (!readopted) void refreshLinkers(this.d.store, rec);
    };
    this.life.onStopped = (id) => this.health.stop(id);
  }

  readonly health: HealthMonitor;

  init() {
    return this.life.init();
  }

  create(req: CreateRequest, name?: string) {
    return createContainer(this.d, req, name);
  }

  inspect(ref: string) {
    const out = inspect(this.d, this.view, ref);
    out.ExecIDs = this.execs.idsOf(out.Id);
    return out;
  }

  /** inspect with SizeRw and SizeRootFs (bytes), as `GET /containers/{id}/json?size=1`. */
  async inspectWithSize(ref: string) {
    const out = this.inspect(ref);
    const sizes = await this.sizes(this.d.store.resolve(ref));
    return { ...out, SizeRw: sizes.rw, SizeRootFs: sizes.rootFs };
  }

  async list(opts: { all?: boolean; limit?: number; size?: boolean; filters: Filters }) {
    if (!opts.size) return list(this.d, this.view, opts);
    // Sizes walk each container's writable layer: done here, before the (synchronous) view.
    const sizes = new Map<string, { rw: number; rootFs: number }>();
    for (const rec of this.d.store.list()) sizes.set(rec.id, await this.sizes(rec));
    return list(this.d, { ...this.view, sizes: (rec) => sizes.get(rec.id) ?? { rw: 0, rootFs: 0 } }, opts);
  }

  /** Bytes in the container's writable layer, and with its image's layers. */
  async sizes(rec: ContainerRecord): Promise<{ rw: number; rootFs: number }> {
    const rw = await dirSize(`${this.d.snapshots.dirOf(rec.id)}/diff`);
    const img = this.d.images.store.get(rec.image);
    const image = img ? (await this.d.images.facts(img)).size : 0;
    return { rw, rootFs: rw + image };
  }

  /** `docker rename`; a running container answers to its new name on its networks' DNS at once. */
  async rename(ref: string, name: string) {
    const old = this.d.store.resolve(ref).name;
    await renameContainer(this.d, ref, name);
    const rec = this.d.store.resolve(name);
    for (const ep of this.network?.manager.endpoints.get(rec.id) ?? []) ep.name = rec.name;
    // Legacy links follow the container, not its old name.
    for (const r of renameInLinks(this.d.store, old, rec.name)) await this.d.store.save(r);
    for (const eps of this.network?.manager.endpoints.values() ?? [])
      for (const ep of eps)
        for (const [alias, target] of Object.entries(ep.links ?? {}))
          if (target === old) ep.links![alias] = rec.name;
  }

  start = (ref: string) => this.life.start(ref);
  stop = (ref: string, t?: number, signal?: string) => this.life.stop(ref, t, signal);
  kill = (ref: string, signal?: string) => this.life.kill(ref, signal);
  pause = (ref: string) => this.life.pause(ref);
  unpause = (ref: string) => this.life.unpause(ref);
  restart = (ref: string, t?: number) => this.life.restart(ref, t);
  wait = (ref: string, condition: string) => this.life.wait(ref, condition);

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean }) {
    const rec = this.d.store.resolve(ref);
    await this.life.remove(rec.id, opts);
    this.execs.forget(rec.id);
    for (const r of dropLinksTo(this.d.store, rec.name)) await this.d.store.save(r);
  }

  /** Throws NotImplemented (Docker's 501) when the container's log driver keeps nothing to read. */
  checkLogsReadable(ref: string): void {
    if (this.d.store.resolve(ref).hostConfig.LogConfig?.Type === "none")
      throw notImplemented("configured logging driver does not support reading");
  }

  /** `raw` writes the bytes without Docker's stream framing (websocket attach). */
  logs(ref: string, out: Writable, o: LogOptions, signal: AbortSignal, raw = false) {
    return streamLogs(this.d, this.d.store.resolve(ref), out, o, signal, raw);
  }

  attach(
    ref: string,
    conn: Duplex,
    o: { stdin: boolean; stdout: boolean; stderr: boolean; detachKeys?: string | null; raw?: boolean },
  ) {
    const rec = this.d.store.resolve(ref);
    // moby's ContainerAttach logs an attach event for every attach it accepts.
    if (!["paused", "removing", "dead"].includes(rec.state.Status))
      this.d.events.emit("container", "attach", rec.id, eventAttrs(rec));
    return attachStreams(
      this.life,
      (r) => this.runtime.attach(r.id, { tty: r.config.Tty ?? false }),
      rec,
      conn,
      o,
    );
  }

  async resize(ref: string, cols: number, rows: number) {
    const rec = this.d.store.resolve(ref);
    if (rec.state.Status !== "running" && rec.state.Status !== "paused") return;
    await this.runtime.resize(rec.id, cols, rows);
  }

  async top(ref: string, psArgs: string) {
    const rec = this.d.store.resolve(ref);
    if (rec.state.Status !== "running" && rec.state.Status !== "paused") {
      throw conflict(`Container ${rec.id} is not running`);
    }
    const pids = await this.runtime.ps(rec.id);
    const { psTable } = await import("./top.js");
    return psTable(pids, psArgs);
  }

  /** One stats sample in Docker's shape; `pre` is the previous sample (for CPU %). */
  async stats(ref: string, pre?: { cpu_stats: object; read: string }) {
    const rec = this.d.store.resolve(ref);
    const running = rec.state.Status === "running" || rec.state.Status === "paused";
    const zero = {
      cpu_stats: { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0, online_cpus: 0, throttling_data: {} },
      memory_stats: {},
      pids_stats: {},
      blkio_stats: {},
    };
    const path = containerCgroupsPath(rec.hostConfig.CgroupParent, rec.id, this.d.cgroupParent);
    const s = running && path ? await readStats(path) : zero;
    return {
      read: new Date().toISOString(),
      preread: pre?.read ?? "0001-01-01T00:00:00Z",
      ...s,
      precpu_stats: pre?.cpu_stats ?? { cpu_usage: { total_usage: 0 }, throttling_data: {} },
      num_procs: 0,
      storage_stats: {},
      name: `/${rec.name}`,
      id: rec.id,
      networks: running ? await readNetStats(rec.state.Pid) : {},
    };
  }

  /** `docker update`: new limits recorded and applied to a running container. */
  async update(ref: string, body: Partial<HostConfig>) {
    const rec = this.d.store.resolve(ref);
    const h = rec.hostConfig;
    const keys = [
      "Memory",
      "MemorySwap",
      "MemoryReservation",
      "CpuShares",
      "CpuPeriod",
      "CpuQuota",
      "NanoCpus",
      "CpusetCpus",
      "CpusetMems",
      "PidsLimit",
      "BlkioWeight",
      "KernelMemory",
    ] as const;
    if (body.Memory && !body.MemorySwap && h.MemorySwap && h.MemorySwap > 0 && h.MemorySwap < body.Memory) {
      throw invalid(
        "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time",
      );
    }
    const next: Record<string, unknown> = { ...h };
    for (const k of keys) {
      const v = body[k];
      if (v !== undefined && v !== null && v !== 0 && v !== "") next[k] = v;
    }
    // Checked as a whole before anything changes, so a refused update leaves the old limits.
    validateResources(next as HostConfig);
    const rp = body.RestartPolicy?.Name ? body.RestartPolicy : undefined;
    if (rp) {
      if (!["no", "always", "unless-stopped", "on-failure"].includes(rp.Name))
        throw invalid(`invalid restart policy '${rp.Name}'`);
      if ((rp.MaximumRetryCount ?? 0) < 0) throw invalid("maximum retry count cannot be negative");
      if (h.AutoRemove && rp.Name !== "no")
        throw invalid("Restart policy cannot be updated because AutoRemove is enabled for the container");
    }
    Object.assign(h, next);
    if (rp) h.RestartPolicy = rp;
    if (rec.state.Status === "running" || rec.state.Status === "paused") {
      const r: Record<string, unknown> = {};
      const memory: Record<string, number> = {};
      if (body.Memory) memory.limit = body.Memory;
      if (body.MemorySwap) memory.swap = body.MemorySwap;
      else if (body.Memory && (!h.MemorySwap || h.MemorySwap > 0)) memory.swap = body.Memory * 2;
      if (body.MemoryReservation) memory.reservation = body.MemoryReservation;
      if (Object.keys(memory).length) r.memory = memory;
      const cpu: Record<string, unknown> = {};
      if (body.CpuShares) cpu.shares = body.CpuShares;
      if (body.NanoCpus) {
        cpu.period = 100000;
        cpu.quota = Math.round((body.NanoCpus / 1e9) * 100000);
      }
      if (body.CpuPeriod) cpu.period = body.CpuPeriod;
      if (body.CpuQuota) cpu.quota = body.CpuQuota;
      if (body.CpusetCpus) cpu.cpus = body.CpusetCpus;
      if (body.CpusetMems) cpu.mems = body.CpusetMems;
      if (Object.keys(cpu).length) r.cpu = cpu;
      if (body.PidsLimit) r.pids = { limit: body.PidsLimit };
      if (body.BlkioWeight) r.blockIO = { weight: body.BlkioWeight };
      if (Object.keys(r).length) await this.runtime.update(rec.id, r);
      if (body.Memory && !body.MemorySwap && memory.swap) h.MemorySwap = memory.swap;
    }
    await this.d.store.save(rec);
    this.d.events.emit("container", "update", rec.id, { name: rec.name });
    return { Warnings: [] as string[] };
  }

  /** `docker network connect`: joins now if running, else at the next start. */
  async connectNetwork(
    ref: string,
    network: string,
    cfg: { Aliases?: string[]; IPAMConfig?: { IPv4Address?: string } },
  ) {
    const rec = this.d.store.resolve(ref);
    checkEndpoints(undefined, { [network]: cfg });
    if (rec.networking[network])
      throw conflict(`endpoint with name ${rec.name} already exists in network ${network}`);
    rec.networking[network] = { Aliases: cfg.Aliases ?? null, IPAMConfig: cfg.IPAMConfig ?? null };
    if (rec.state.Status === "running" && this.network) {
      const ep = await this.network.manager.reserve(rec.id, network, {
        name: rec.name,
        aliases: cfg.Aliases ?? [],
        ip: cfg.IPAMConfig?.IPv4Address,
      });
      await this.network.manager.wire(rec.id, rec.state.Pid, ep);
      rec.networking[network] = {
        ...withShortIdAlias(rec, network, rec.networking[network]!),
        IPAddress: ep.ip,
        IPPrefixLen: ep.prefixLen,
        Gateway: ep.gateway,
        MacAddress: ep.mac,
        EndpointID: ep.endpointId,
        NetworkID: ep.network,
      };
    }
    await this.d.store.save(rec);
  }

  async disconnectNetwork(ref: string, network: string) {
    const rec = this.d.store.resolve(ref);
    if (!rec.networking[network] && (rec.hostConfig.NetworkMode ?? "") !== network) {
      throw conflict(`container ${rec.id} is not connected to network ${network}`);
    }
    if (rec.state.Status === "running" && this.network)
      await this.network.manager.disconnect(rec.id, rec.state.Pid, network);
    delete rec.networking[network];
    await this.d.store.save(rec);
  }

  /** Set by the engine: the network port (for connect/disconnect). */
  network?: import("./network.js").BridgeNetworks;

  counts() {
    const c = { total: 0, running: 0, paused: 0, stopped: 0 };
    for (const r of this.d.store.list()) {
      c.total++;
      if (r.state.Status === "running" || r.state.Status === "restarting") c.running++;
      else if (r.state.Status === "paused") c.paused++;
      else c.stopped++;
    }
    return c;
  }

  containersUsing(imageId: string) {
    return this.d.store
      .list()
      .filter((r) => r.image === imageId)
      .map((r) => ({ id: r.id, running: r.state.Status === "running" || r.state.Status === "paused" }));
  }

  shutdown() {
    this.health.shutdown();
    return this.life.shutdown();
  }
}
