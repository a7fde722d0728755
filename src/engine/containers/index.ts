/**
 * The container service the API talks to: records (service.ts), running
 * (lifecycle.ts), streams (io.ts), exec (exec.ts) and views (view.ts).
 */
import type { Duplex, Writable } from "node:stream";
import type { Logger } from "pino";
import { conflict } from "../../util/errors.js";
import type { Filters } from "../filters.js";
import { ExecManager } from "./exec.js";
import { attachStreams, type LogOptions, streamLogs } from "./io.js";
import { Lifecycle, type StartHooks } from "./lifecycle.js";
import type { RuntimePort } from "./runtime-port.js";
import {
  type ContainerDeps,
  createContainer,
  inspect,
  list,
  renameContainer,
  viewContext,
} from "./service.js";
import type { CreateRequest } from "./types.js";
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
  }

  init() {
    return this.life.init();
  }

  create(req: CreateRequest, name?: string) {
    return createContainer(this.d, req, name);
  }

  inspect(ref: string) {
    const out = inspect(this.d, this.view, ref);
    out.ExecIDs = null;
    return out;
  }

  list(opts: { all?: boolean; limit?: number; size?: boolean; filters: Filters }) {
    return list(this.d, this.view, opts);
  }

  rename(ref: string, name: string) {
    return renameContainer(this.d, ref, name);
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
  }

  logs(ref: string, out: Writable, o: LogOptions, signal: AbortSignal) {
    return streamLogs(this.d, this.d.store.resolve(ref), out, o, signal);
  }

  attach(ref: string, conn: Duplex, o: { stdin: boolean; stdout: boolean; stderr: boolean; detachKeys?: string | null }) {
    const rec = this.d.store.resolve(ref);
    return attachStreams(
      this.life,
      (r) => this.runtime.attach(r.id, { stdin: r.config.OpenStdin ?? false, tty: r.config.Tty ?? false }),
      rec,
      conn,
      o,
    );
  }

  async resize(ref: string, cols: number, rows: number) {
    const rec = this.d.store.resolve(ref);
    if (rec.state.Status !== "running") return;
    const a = await this.runtime.attach(rec.id, { stdin: false, tty: rec.config.Tty ?? false });
    await a.resize(cols, rows);
    a.close();
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
    return this.life.shutdown();
  }
}
