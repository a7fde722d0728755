/**
 * HEALTHCHECK / --health-*: while a container runs, its test command is
 * exec'd every Interval; State.Health follows Docker's rules (starting ->
 * healthy on a pass; unhealthy after Retries consecutive failures, failures
 * during StartPeriod not counted) and each change emits health_status.
 */

import { resolveUser } from "../../runtime/user.js";
import type { EventBus } from "../events.js";
import { containerEnv } from "./env.js";
import type { RuntimePort } from "./runtime-port.js";
import { eventAttrs } from "./service.js";
import type { ContainerStore } from "./store.js";
import type { ContainerRecord } from "./types.js";

const NS = 1e6; // ns per ms
const MAX_OUTPUT = 4096;

export class HealthMonitor {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly store: ContainerStore,
    private readonly runtime: RuntimePort,
    private readonly events: EventBus,
    private readonly rootfsOf: (rec: ContainerRecord) => string,
  ) {}

  private test(rec: ContainerRecord): string[] | undefined {
    const t = rec.config.Healthcheck?.Test;
    if (!t || t.length === 0 || t[0] === "NONE") return undefined;
    if (t[0] === "CMD-SHELL") return ["/bin/sh", "-c", t.slice(1).join(" ")];
    if (t[0] === "CMD") return t.slice(1);
    return undefined;
  }

  /**
   * Called when a container starts running, or is found running (or paused)
   * after a daemon restart (`readopted`: its health so far is kept).
   */
  start(rec: ContainerRecord, readopted = false): void {
    this.stop(rec.id);
    if (!this.test(rec)) return;
    if (!readopted || !rec.state.Health) rec.state.Health = { Status: "starting", FailingStreak: 0, Log: [] };
    const hc = rec.config.Healthcheck!;
    const interval = hc.Interval ? hc.Interval / NS : 30_000;
    const startedAt = Date.now();
    const tick = async () => {
      const cur = this.store.tryResolve(rec.id);
      const status = cur?.state.Status;
      // A paused container is skipped, not dropped: probes resume after unpause.
      if (status !== "running" && status !== "paused") {
        this.timers.delete(rec.id);
        return;
      }
      if (status === "running")
        await this.probe(cur!, Date.now() - startedAt < (hc.StartPeriod ?? 0) / NS).catch(() => {});
      if (this.timers.has(rec.id)) this.timers.set(rec.id, setTimeout(tick, interval));
    };
    this.timers.set(rec.id, setTimeout(tick, interval));
  }

  stop(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  private async probe(rec: ContainerRecord, inStartPeriod: boolean): Promise<void> {
    const hc = rec.config.Healthcheck!;
    const timeout = hc.Timeout ? hc.Timeout / NS : 30_000;
    const retries = hc.Retries || 3;
    const start = new Date();
    let output = "";
    let code: number;
    try {
      const user = await resolveUser(this.rootfsOf(rec), rec.config.User ?? "", []);
      const s = await this.runtime.exec(rec.id, {
        args: this.test(rec)!,
        env: containerEnv(rec.config),
        cwd: rec.config.WorkingDir || "/",
        user,
        tty: false,
        stdin: false,
        privileged: false,
      });
      const collect = async (src?: AsyncIterable<Buffer>) => {
        if (!src) return;
        for await (const c of src) if (output.length < MAX_OUTPUT) output += c.toString();
      };
      // A broken output stream only shortens the output kept.
      collect(s.stdout as AsyncIterable<Buffer>).catch(() => {});
      collect(s.stderr as AsyncIterable<Buffer> | undefined).catch(() => {});
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<number>((resolve) => {
        timer = setTimeout(() => {
          s.kill?.();
          output = `Health check exceeded timeout (${timeout / 1000}s)`;
          resolve(-1);
        }, timeout);
      });
      code = await Promise.race([s.exited, timedOut]);
      clearTimeout(timer);
    } catch (err) {
      code = -1;
      output = (err as Error).message;
    }
    const h = rec.state.Health ?? { Status: "starting", FailingStreak: 0, Log: [] };
    h.Log = [
      ...h.Log,
      { Start: start.toISOString(), End: new Date().toISOString(), ExitCode: code, Output: output },
    ].slice(-5);
    const before = h.Status;
    if (code === 0) {
      h.Status = "healthy";
      h.FailingStreak = 0;
    } else if (!inStartPeriod) {
      h.FailingStreak++;
      if (h.FailingStreak >= retries) h.Status = "unhealthy";
    }
    rec.state.Health = h;
    const cur = this.store.tryResolve(rec.id);
    if (cur?.state.Status !== "running") return;
    await this.store.save(rec);
    if (h.Status !== before)
      this.events.emit("container", `health_status: ${h.Status}`, rec.id, eventAttrs(rec));
  }

  shutdown(): void {
    for (const id of [...this.timers.keys()]) this.stop(id);
  }
}
