/**
 * Running containers: start, stop, kill, pause, restart, remove, wait, and
 * what happens when a container's process exits (recorded from conmon's exit
 * file; restart policy or --rm applied). Also re-adopts containers at start.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { BerthError, conflict, invalid, notModified } from "../../util/errors.js";
import { parseSignal } from "./config.js";
import { containerPaths } from "./files.js";
import { logLimits } from "./logconfig.js";
import type { AttachStreams, ExitStatus, RuntimePort } from "./runtime-port.js";
import { type ContainerDeps, eventAttrs } from "./service.js";
import type { ContainerRecord } from "./types.js";

/** Builds what `start` needs that depends on other modules (network, volumes, OCI spec). */
export interface StartHooks {
  /** Prepares mounts/network and returns the OCI spec for the container's root at `rootfs`. */
  prepare(rec: ContainerRecord, rootfs: string): Promise<object>;
  /** After the runtime created the container (its namespaces exist), before it starts. */
  created(rec: ContainerRecord, pid: number): Promise<void>;
  /** Undoes prepare (network, volume mounts); must be idempotent. */
  release(rec: ContainerRecord): Promise<void>;
  /** On rm: anonymous volumes with -v, etc. */
  removed(rec: ContainerRecord, removeVolumes: boolean): Promise<void>;
}

type Waiter = {
  condition: "next-exit" | "removed";
  resolve: (s: { StatusCode: number; Error?: { Message: string } }) => void;
};

export class Lifecycle {
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly pendingAttach = new Map<string, ((a: AttachStreams | Error) => void)[]>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(
    private readonly d: ContainerDeps,
    private readonly runtime: RuntimePort,
    private readonly hooks: StartHooks,
    private readonly bundleRoot: string,
    private readonly log: Logger,
  ) {}

  /** One operation at a time per container (start vs exit handling vs rm). */
  private serialize<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.busy.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.busy.set(
      id,
      next.catch(() => {}),
    );
    return next;
  }

  async init(): Promise<void> {
    this.runtime.watchExits((id) => this.exited(id));
    for (const rec of this.d.store.list()) {
      const st = rec.state.Status;
      if (st !== "running" && st !== "paused" && st !== "restarting") continue;
      const rt = await this.runtime.state(rec.id).catch(() => undefined);
      if (rt && (rt.status === "running" || rt.status === "paused")) {
        rec.state.Status = rt.status;
        rec.state.Pid = rt.pid;
        await this.d.store.save(rec);
        this.onRunning?.(rec, true);
        this.log.info({ id: rec.id }, "re-adopted running container");
      } else {
        await this.handleExit(rec.id, true);
      }
    }
    // Restart policies honoured after a daemon restart.
    for (const rec of this.d.store.list()) {
      const p = rec.hostConfig.RestartPolicy?.Name;
      if (
        rec.state.Status === "exited" &&
        !rec.manuallyStopped &&
        (p === "always" || p === "unless-stopped")
      ) {
        void this.start(rec.id).catch((err) => this.log.warn({ err, id: rec.id }, "restart at boot failed"));
      }
      if (rec.hostConfig.AutoRemove && rec.state.Status === "exited") {
        void this.remove(rec.id, { force: true, volumes: true }).catch(() => {});
      }
    }
  }

  bundleDir(id: string): string {
    return join(this.bundleRoot, id);
  }

  async start(ref: string): Promise<void> {
    const rec = this.d.store.resolve(ref);
    return this.serialize(rec.id, () => this.startLocked(rec));
  }

  private async startLocked(rec: ContainerRecord): Promise<void> {
    if (rec.state.Status === "paused") throw conflict("cannot start a paused container, try unpause instead");
    if (rec.state.Status === "running") throw notModified("container already started");
    if (rec.state.Status === "removing")
      throw conflict(`container is marked for removal and cannot be started`);
    const timer = this.restartTimers.get(rec.id);
    if (timer) {
      clearTimeout(timer);
      this.restartTimers.delete(rec.id);
    }
    const paths = containerPaths(this.d.store.containerDir(rec.id));
    let pid: number;
    try {
      const rootfs = await this.d.snapshots.mount(rec.id);
      const spec = await this.hooks.prepare(rec, rootfs);
      ({ pid } = await this.runtime.create({
        id: rec.id,
        bundleDir: this.bundleDir(rec.id),
        spec,
        logPath: paths.log,
        terminal: rec.config.Tty ?? false,
        openStdin: rec.config.OpenStdin ?? false,
        stdinOnce: rec.config.StdinOnce ?? false,
        log: logLimits(rec.hostConfig.LogConfig ?? { Type: "json-file", Config: {} }),
      }));
      await this.hooks.created(rec, pid);
    } catch (err) {
      await this.failStart(rec, err as Error);
      throw startError(err as Error);
    }
    await this.connectPendingAttach(rec);
    try {
      await this.runtime.start(rec.id);
    } catch (err) {
      await this.failStart(rec, err as Error);
      throw startError(err as Error);
    }
    rec.state = {
      ...rec.state,
      Status: "running",
      Pid: pid,
      ExitCode: 0,
      Error: "",
      OOMKilled: false,
      StartedAt: new Date().toISOString(),
    };
    rec.hasBeenStarted = true;
    rec.manuallyStopped = false;
    await this.d.store.save(rec);
    this.d.events.emit("container", "start", rec.id, eventAttrs(rec));
    this.onRunning?.(rec);
    // An exit before this point was queued behind this start (serialize) by the exit watcher,
    // which also rescans: no `runc state` here.
  }

  /** Records a start failure like Docker: exit code 127/126/128 and the error text. */
  private async failStart(rec: ContainerRecord, err: Error): Promise<void> {
    const msg = err.message;
    const code = /executable file not found|no such file or directory/.test(msg)
      ? 127
      : /permission denied|is a directory/.test(msg)
        ? 126
        : 128;
    await this.runtime.delete(rec.id).catch(() => {});
    await this.hooks.release(rec).catch(() => {});
    await this.d.snapshots.unmount(rec.id).catch(() => {});
    rec.state = {
      ...rec.state,
      Status: rec.hasBeenStarted ? "exited" : "created",
      Pid: 0,
      ExitCode: code,
      Error: msg,
    };
    await this.d.store.save(rec);
    this.failPendingAttach(rec.id, err);
    // The container never ran: next-exit waiters keep waiting (as in Docker); --rm removes it.
    if (rec.hostConfig.AutoRemove) void this.remove(rec.id, { force: true, volumes: true }).catch(() => {});
  }

  /** Called when a container is (again) running and when it stops (health checks). */
  onRunning?: (rec: ContainerRecord, readopted?: boolean) => void;
  onStopped?: (id: string) => void;

  /** handleExit in the background: its failure (e.g. ENOSPC saving the record) is logged, never unhandled. */
  private exited(id: string): void {
    this.handleExit(id).catch((err) => this.log.error({ err, id }, "handling a container's exit failed"));
  }

  async handleExit(id: string, atBoot = false): Promise<void> {
    const rec = this.d.store.tryResolve(id);
    if (!rec) return;
    await this.serialize(id, async () => {
      if (
        rec.state.Status !== "running" &&
        rec.state.Status !== "paused" &&
        rec.state.Status !== "restarting"
      )
        return;
      // A restart is already scheduled: this exit was handled (a second exit notice).
      if (rec.state.Status === "restarting" && this.restartTimers.has(rec.id)) return;
      // conmon writes the exit file after reaping the process: with it, no `runc state` is needed.
      let found = await this.runtime.exitStatus(id).catch(() => undefined);
      const rt = atBoot || found ? undefined : await this.runtime.state(id).catch(() => undefined);
      if (rt && (rt.status === "running" || rt.status === "paused")) return; // not gone yet
      // runc reports "stopped" as soon as the process is gone; conmon writes the exit
      // code a moment later (after reaping it): wait for that rather than record 255.
      for (let i = 0; i < (found || atBoot ? 0 : 50); i++) {
        found = await this.runtime.exitStatus(id).catch(() => undefined);
        if (found) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const st: ExitStatus = found ?? { exitCode: 255, finishedAt: new Date(), oomKilled: false };
      await this.runtime.delete(id).catch((err) => this.log.warn({ err, id }, "runtime delete failed"));
      rec.state = {
        ...rec.state,
        Status: "exited",
        Pid: 0,
        ExitCode: st.exitCode,
        OOMKilled: st.oomKilled,
        FinishedAt: st.finishedAt.toISOString(),
      };
      this.onStopped?.(id);
      if (rec.state.Health) rec.state.Health = { ...rec.state.Health, Status: "unhealthy" };
      // As moby's handleContainerExit: die, then the cleanup (network disconnect events, unmounts).
      if (st.oomKilled) this.d.events.emit("container", "oom", id, eventAttrs(rec));
      this.d.events.emit("container", "die", id, eventAttrs(rec, { exitCode: String(st.exitCode) }));
      await this.hooks.release(rec).catch((err) => this.log.warn({ err, id }, "release failed"));
      await this.d.snapshots.unmount(id).catch((err) => this.log.warn({ err, id }, "unmount failed"));
      // The exit is real whether or not the disk takes the record: waiters still hear of it.
      await this.d.store.save(rec).catch((err) => this.log.error({ err, id }, "saving the exit failed"));
      this.notify(id, "next-exit", { StatusCode: st.exitCode });
      this.applyPolicy(rec);
    });
  }

  private applyPolicy(rec: ContainerRecord): void {
    const policy = rec.hostConfig.RestartPolicy ?? { Name: "no" };
    const max = policy.MaximumRetryCount ?? 0;
    const code = rec.state.ExitCode;
    const restart =
      !rec.manuallyStopped &&
      (policy.Name === "always" ||
        policy.Name === "unless-stopped" ||
        (policy.Name === "on-failure" && code !== 0 && (max === 0 || rec.restartCount < max)));
    if (restart) {
      // Docker's back-off: 100ms doubling, reset when a run lasted over 10 s.
      const ran = Date.parse(rec.state.FinishedAt) - Date.parse(rec.state.StartedAt);
      const attempt = ran > 10_000 ? 0 : Math.min(rec.restartCount, 10);
      const delay = Math.min(100 * 2 ** attempt, 60_000);
      rec.state.Status = "restarting";
      this.d.store.save(rec).catch((err) => this.log.error({ err, id: rec.id }, "saving the state failed"));
      clearTimeout(this.restartTimers.get(rec.id));
      const t = setTimeout(() => {
        this.restartTimers.delete(rec.id);
        if (rec.manuallyStopped) {
          rec.state.Status = "exited";
          this.d.store
            .save(rec)
            .catch((err) => this.log.error({ err, id: rec.id }, "saving the state failed"));
          return;
        }
        rec.restartCount++;
        rec.state.Status = "exited";
        this.start(rec.id)
          .then(() => this.d.events.emit("container", "restart", rec.id, eventAttrs(rec)))
          .catch((err) => this.log.warn({ err, id: rec.id }, "restart failed"));
      }, delay);
      this.restartTimers.set(rec.id, t);
      return;
    }
    if (rec.hostConfig.AutoRemove) {
      void this.remove(rec.id, { force: true, volumes: true }).catch((err) =>
        this.log.warn({ err, id: rec.id }, "auto-remove failed"),
      );
    }
  }

  private isRunning(rec: ContainerRecord): boolean {
    return rec.state.Status === "running" || rec.state.Status === "paused";
  }

  /** Resolves when the container's current run ends (or at once if it isn't running). */
  waitExit(id: string, timeoutMs?: number): Promise<boolean> {
    const rec = this.d.store.tryResolve(id);
    if (!rec || !this.isRunning(rec)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w: Waiter = { condition: "next-exit", resolve: () => resolve(true) };
      this.addWaiter(id, w);
      if (timeoutMs !== undefined) {
        setTimeout(() => {
          this.removeWaiter(id, w);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  async wait(
    ref: string,
    condition: string,
  ): Promise<{ StatusCode: number; Error?: { Message: string } | null }> {
    const rec = this.d.store.resolve(ref);
    const cond = condition || "not-running";
    if (!["not-running", "next-exit", "removed"].includes(cond))
      throw invalid(`invalid condition: "${cond}"`);
    if (cond === "not-running" && !this.isRunning(rec) && rec.state.Status !== "restarting") {
      return { StatusCode: rec.state.ExitCode, Error: null };
    }
    return new Promise((resolve) =>
      this.addWaiter(rec.id, { condition: cond === "removed" ? "removed" : "next-exit", resolve }),
    );
  }

  private addWaiter(id: string, w: Waiter): void {
    const list = this.waiters.get(id) ?? [];
    list.push(w);
    this.waiters.set(id, list);
  }

  private removeWaiter(id: string, w: Waiter): void {
    const list = this.waiters.get(id)?.filter((x) => x !== w) ?? [];
    this.waiters.set(id, list);
  }

  private notify(
    id: string,
    condition: Waiter["condition"],
    s: { StatusCode: number; Error?: { Message: string } },
  ) {
    const list = this.waiters.get(id) ?? [];
    const keep: Waiter[] = [];
    for (const w of list) {
      if (w.condition === condition) w.resolve(s);
      else keep.push(w);
    }
    this.waiters.set(id, keep);
  }

  async stop(ref: string, timeoutSec?: number, signal?: string): Promise<void> {
    const rec = this.d.store.resolve(ref);
    // Whatever state it is in, a user stop means no more restarts.
    rec.manuallyStopped = true;
    const timer = this.restartTimers.get(rec.id);
    if (timer) {
      clearTimeout(timer);
      this.restartTimers.delete(rec.id);
      rec.state.Status = "exited";
      await this.d.store.save(rec);
      return;
    }
    // A restart may be in flight: let it finish, then stop what it started.
    await this.serialize(rec.id, async () => {});
    rec.manuallyStopped = true; // the start we waited for cleared it
    if (!this.isRunning(rec)) {
      if (rec.state.Status === "restarting") rec.state.Status = "exited";
      await this.d.store.save(rec);
      throw notModified("container already stopped");
    }
    await this.d.store.save(rec);
    const sig = parseSignal(signal || rec.config.StopSignal, 15);
    const timeout = timeoutSec ?? rec.config.StopTimeout ?? 10;
    this.d.events.emit("container", "kill", rec.id, eventAttrs(rec, { signal: String(sig) }));
    await this.runtime.kill(rec.id, sig).catch(() => {});
    if (rec.state.Status === "paused") await this.runtime.resume(rec.id).catch(() => {});
    const exited = timeout < 0 ? await this.waitExit(rec.id) : await this.waitExit(rec.id, timeout * 1000);
    if (!exited) {
      this.d.events.emit("container", "kill", rec.id, eventAttrs(rec, { signal: "9" }));
      await this.runtime.kill(rec.id, 9, true).catch(() => {});
      await this.waitExit(rec.id, 30_000);
    }
    this.d.events.emit("container", "stop", rec.id, eventAttrs(rec));
  }

  async kill(ref: string, signal?: string): Promise<void> {
    const rec = this.d.store.resolve(ref);
    const sig = parseSignal(signal, 9);
    if (!this.isRunning(rec)) throw conflict(`Container ${rec.id} is not running`);
    if (sig === 9 || sig === 15 || sig === 2) {
      rec.manuallyStopped = true;
      await this.d.store.save(rec);
    }
    this.d.events.emit("container", "kill", rec.id, eventAttrs(rec, { signal: String(sig) }));
    await this.runtime.kill(rec.id, sig, sig === 9);
    if (sig === 9) await this.waitExit(rec.id, 10_000);
  }

  async pause(ref: string): Promise<void> {
    const rec = this.d.store.resolve(ref);
    if (rec.state.Status === "paused") throw conflict(`Container ${rec.id} is already paused`);
    if (rec.state.Status !== "running") throw conflict(`Container ${rec.id} is not running`);
    await this.runtime.pause(rec.id);
    rec.state.Status = "paused";
    await this.d.store.save(rec);
    this.d.events.emit("container", "pause", rec.id, eventAttrs(rec));
  }

  async unpause(ref: string): Promise<void> {
    const rec = this.d.store.resolve(ref);
    if (rec.state.Status !== "paused") throw conflict(`Container ${rec.id} is not paused`);
    await this.runtime.resume(rec.id);
    rec.state.Status = "running";
    await this.d.store.save(rec);
    this.d.events.emit("container", "unpause", rec.id, eventAttrs(rec));
  }

  async restart(ref: string, timeoutSec?: number): Promise<void> {
    const rec = this.d.store.resolve(ref);
    if (this.isRunning(rec)) await this.stop(rec.id, timeoutSec);
    await this.start(rec.id);
    rec.restartCount = 0;
    this.d.events.emit("container", "restart", rec.id, eventAttrs(rec));
  }

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean }): Promise<void> {
    const rec = this.d.store.resolve(ref);
    if (rec.state.Status === "removing") return;
    if (this.isRunning(rec) || rec.state.Status === "restarting") {
      if (!opts.force) {
        throw conflict(
          `You cannot remove a ${rec.state.Status} container ${rec.id}. Stop the container before attempting removal or force remove`,
        );
      }
      const timer = this.restartTimers.get(rec.id);
      if (timer) clearTimeout(timer);
      rec.manuallyStopped = true;
      rec.hostConfig.AutoRemove = false; // we remove it here, not the exit handler
      if (this.isRunning(rec)) {
        await this.runtime.kill(rec.id, 9, true).catch(() => {});
        // As moby's forced removal (daemon.Kill): a kill event with SIGKILL before the die.
        this.d.events.emit("container", "kill", rec.id, eventAttrs(rec, { signal: "9" }));
        if (rec.state.Status === "paused") await this.runtime.resume(rec.id).catch(() => {});
        await this.waitExit(rec.id, 15_000);
      }
    }
    await this.serialize(rec.id, async () => {
      rec.state.Status = "removing";
      // On disk first: a crash from here on leaves a "removing" record, whose removal the next start finishes.
      await this.d.store.save(rec).catch(() => {}); // best effort: a full disk must not block freeing it
      await this.runtime.delete(rec.id).catch(() => {});
      await this.hooks.release(rec).catch(() => {});
      await this.d.snapshots.remove(rec.id);
      await rm(this.bundleDir(rec.id), { recursive: true, force: true });
      await this.d.store.delete(rec.id);
      await this.hooks.removed(rec, opts.volumes ?? false);
      this.d.events.emit("container", "destroy", rec.id, eventAttrs(rec));
      this.notify(rec.id, "next-exit", { StatusCode: rec.state.ExitCode });
      this.notify(rec.id, "removed", { StatusCode: rec.state.ExitCode });
      this.waiters.delete(rec.id);
    });
    await this.d.images.gc();
  }

  /** An attach made before start: fulfilled once conmon is up (between create and start). */
  attachWhenStarted(id: string): Promise<AttachStreams> {
    return new Promise((resolve, reject) => {
      const list = this.pendingAttach.get(id) ?? [];
      list.push((a) => (a instanceof Error ? reject(a) : resolve(a)));
      this.pendingAttach.set(id, list);
    });
  }

  private async connectPendingAttach(rec: ContainerRecord): Promise<void> {
    const list = this.pendingAttach.get(rec.id) ?? [];
    this.pendingAttach.delete(rec.id);
    for (const fulfil of list) {
      try {
        fulfil(await this.runtime.attach(rec.id, { tty: rec.config.Tty ?? false }));
      } catch (err) {
        fulfil(err as Error);
      }
    }
  }

  private failPendingAttach(id: string, err: Error): void {
    const list = this.pendingAttach.get(id) ?? [];
    this.pendingAttach.delete(id);
    for (const f of list) f(err);
  }

  async shutdown(): Promise<void> {
    for (const t of this.restartTimers.values()) clearTimeout(t);
  }
}

/**
 * A start that failed because of the container's own configuration (its command is missing
 * or cannot be executed, exit code 127/126) is the caller's error, 400, as moby's
 * translateContainerdStartErr; anything else stays what it was.
 */
function startError(err: Error): Error {
  if (err instanceof BerthError) return err;
  return /executable file not found|no such file or directory|permission denied|is a directory/.test(
    err.message,
  )
    ? invalid(err.message, err)
    : err;
}
