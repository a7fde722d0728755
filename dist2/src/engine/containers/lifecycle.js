/**
 * Running containers: start, stop, kill, pause, restart, remove, wait, and
 * what happens when a container's process exits (recorded from conmon's exit
 * file; restart policy or --rm applied). Also re-adopts containers at start.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { conflict, invalid, notModified } from "../../util/errors.js";
import { parseSignal } from "./config.js";
import { containerPaths } from "./files.js";
import { eventAttrs } from "./service.js";
export class Lifecycle {
    d;
    runtime;
    hooks;
    bundleRoot;
    log;
    waiters = new Map();
    pendingAttach = new Map();
    restartTimers = new Map();
    busy = new Map();
    constructor(d, runtime, hooks, bundleRoot, log) {
        this.d = d;
        this.runtime = runtime;
        this.hooks = hooks;
        this.bundleRoot = bundleRoot;
        this.log = log;
    }
    /** One operation at a time per container (start vs exit handling vs rm). */
    serialize(id, fn) {
        const prev = this.busy.get(id) ?? Promise.resolve();
        const next = prev.then(fn, fn);
        this.busy.set(id, next.catch(() => { }));
        return next;
    }
    async init() {
        this.runtime.watchExits((id) => this.exited(id));
        for (const rec of this.d.store.list()) {
            const st = rec.state.Status;
            if (st !== "running" && st !== "paused" && st !== "restarting")
                continue;
            const rt = await this.runtime.state(rec.id).catch(() => undefined);
            if (rt && (rt.status === "running" || rt.status === "paused")) {
                rec.state.Status = rt.status;
                rec.state.Pid = rt.pid;
                await this.d.store.save(rec);
                if (rt.status === "running")
                    this.onRunning?.(rec);
                this.log.info({ id: rec.id }, "re-adopted running container");
            }
            else {
                await this.handleExit(rec.id, true);
            }
        }
        // Restart policies honoured after a daemon restart.
        for (const rec of this.d.store.list()) {
            const p = rec.hostConfig.RestartPolicy?.Name;
            if (rec.state.Status === "exited" &&
                !rec.manuallyStopped &&
                (p === "always" || p === "unless-stopped")) {
                void this.start(rec.id).catch((err) => this.log.warn({ err, id: rec.id }, "restart at boot failed"));
            }
            if (rec.hostConfig.AutoRemove && rec.state.Status === "exited") {
                void this.remove(rec.id, { force: true, volumes: true }).catch(() => { });
            }
        }
    }
    bundleDir(id) {
        return join(this.bundleRoot, id);
    }
    async start(ref) {
        const rec = this.d.store.resolve(ref);
        return this.serialize(rec.id, () => this.startLocked(rec));
    }
    async startLocked(rec) {
        if (rec.state.Status === "paused")
            throw conflict("cannot start a paused container, try unpause instead");
        if (rec.state.Status === "running")
            throw notModified("container already started");
        if (rec.state.Status === "removing")
            throw conflict(`container is marked for removal and cannot be started`);
        const timer = this.restartTimers.get(rec.id);
        if (timer) {
            clearTimeout(timer);
            this.restartTimers.delete(rec.id);
        }
        const paths = containerPaths(this.d.store.containerDir(rec.id));
        try {
            const rootfs = await this.d.snapshots.mount(rec.id);
            const spec = await this.hooks.prepare(rec, rootfs);
            const { pid } = await this.runtime.create({
                id: rec.id,
                bundleDir: this.bundleDir(rec.id),
                spec,
                logPath: paths.log,
                terminal: rec.config.Tty ?? false,
                openStdin: rec.config.OpenStdin ?? false,
                stdinOnce: rec.config.StdinOnce ?? false,
            });
            await this.hooks.created(rec, pid);
        }
        catch (err) {
            await this.failStart(rec, err);
            throw err;
        }
        await this.connectPendingAttach(rec);
        try {
            await this.runtime.start(rec.id);
        }
        catch (err) {
            await this.failStart(rec, err);
            throw err;
        }
        const st = await this.runtime.state(rec.id);
        rec.state = {
            ...rec.state,
            Status: "running",
            Pid: st?.pid ?? 0,
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
        // It may have exited before we recorded it as running.
        if (!st || st.status === "stopped")
            this.exited(rec.id);
    }
    /** Records a start failure like Docker: exit code 127/126/128 and the error text. */
    async failStart(rec, err) {
        const msg = err.message;
        const code = /executable file not found|no such file or directory/.test(msg)
            ? 127
            : /permission denied|is a directory/.test(msg)
                ? 126
                : 128;
        await this.runtime.delete(rec.id).catch(() => { });
        await this.hooks.release(rec).catch(() => { });
        await this.d.snapshots.unmount(rec.id).catch(() => { });
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
        if (rec.hostConfig.AutoRemove)
            void this.remove(rec.id, { force: true, volumes: true }).catch(() => { });
    }
    /** Called when a container is (again) running and when it stops (health checks). */
    onRunning;
    onStopped;
    /** handleExit in the background: its failure (e.g. ENOSPC saving the record) is logged, never unhandled. */
    exited(id) {
        this.handleExit(id).catch((err) => this.log.error({ err, id }, "handling a container's exit failed"));
    }
    async handleExit(id, atBoot = false) {
        const rec = this.d.store.tryResolve(id);
        if (!rec)
            return;
        await this.serialize(id, async () => {
            if (rec.state.Status !== "running" &&
                rec.state.Status !== "paused" &&
                rec.state.Status !== "restarting")
                return;
            // A restart is already scheduled: this exit was handled (a second exit notice).
            if (rec.state.Status === "restarting" && this.restartTimers.has(rec.id))
                return;
            const rt = atBoot ? undefined : await this.runtime.state(id).catch(() => undefined);
            if (rt && (rt.status === "running" || rt.status === "paused"))
                return; // not gone yet
            const st = (await this.runtime.exitStatus(id).catch(() => undefined)) ?? {
                exitCode: 255,
                finishedAt: new Date(),
                oomKilled: false,
            };
            await this.runtime.delete(id).catch((err) => this.log.warn({ err, id }, "runtime delete failed"));
            await this.hooks.release(rec).catch((err) => this.log.warn({ err, id }, "release failed"));
            await this.d.snapshots.unmount(id).catch((err) => this.log.warn({ err, id }, "unmount failed"));
            rec.state = {
                ...rec.state,
                Status: "exited",
                Pid: 0,
                ExitCode: st.exitCode,
                OOMKilled: st.oomKilled,
                FinishedAt: st.finishedAt.toISOString(),
            };
            this.onStopped?.(id);
            if (rec.state.Health)
                rec.state.Health = { ...rec.state.Health, Status: "unhealthy" };
            // The exit is real whether or not the disk takes the record: waiters and events still hear of it.
            await this.d.store.save(rec).catch((err) => this.log.error({ err, id }, "saving the exit failed"));
            if (st.oomKilled)
                this.d.events.emit("container", "oom", id, eventAttrs(rec));
            this.d.events.emit("container", "die", id, eventAttrs(rec, { exitCode: String(st.exitCode) }));
            this.notify(id, "next-exit", { StatusCode: st.exitCode });
            this.applyPolicy(rec);
        });
    }
    applyPolicy(rec) {
        const policy = rec.hostConfig.RestartPolicy ?? { Name: "no" };
        const max = policy.MaximumRetryCount ?? 0;
        const code = rec.state.ExitCode;
        const restart = !rec.manuallyStopped &&
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
            void this.remove(rec.id, { force: true, volumes: true }).catch((err) => this.log.warn({ err, id: rec.id }, "auto-remove failed"));
        }
    }
    isRunning(rec) {
        return rec.state.Status === "running" || rec.state.Status === "paused";
    }
    /** Resolves when the container's current run ends (or at once if it isn't running). */
    waitExit(id, timeoutMs) {
        const rec = this.d.store.tryResolve(id);
        if (!rec || !this.isRunning(rec))
            return Promise.resolve(true);
        return new Promise((resolve) => {
            const w = { condition: "next-exit", resolve: () => resolve(true) };
            this.addWaiter(id, w);
            if (timeoutMs !== undefined) {
                setTimeout(() => {
                    this.removeWaiter(id, w);
                    resolve(false);
                }, timeoutMs);
            }
        });
    }
    async wait(ref, condition) {
        const rec = this.d.store.resolve(ref);
        const cond = condition || "not-running";
        if (!["not-running", "next-exit", "removed"].includes(cond))
            throw invalid(`invalid condition: "${cond}"`);
        if (cond === "not-running" && !this.isRunning(rec) && rec.state.Status !== "restarting") {
            return { StatusCode: rec.state.ExitCode, Error: null };
        }
        return new Promise((resolve) => this.addWaiter(rec.id, { condition: cond === "removed" ? "removed" : "next-exit", resolve }));
    }
    addWaiter(id, w) {
        const list = this.waiters.get(id) ?? [];
        list.push(w);
        this.waiters.set(id, list);
    }
    removeWaiter(id, w) {
        const list = this.waiters.get(id)?.filter((x) => x !== w) ?? [];
        this.waiters.set(id, list);
    }
    notify(id, condition, s) {
        const list = this.waiters.get(id) ?? [];
        const keep = [];
        for (const w of list) {
            if (w.condition === condition)
                w.resolve(s);
            else
                keep.push(w);
        }
        this.waiters.set(id, keep);
    }
    async stop(ref, timeoutSec, signal) {
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
        await this.serialize(rec.id, async () => { });
        rec.manuallyStopped = true; // the start we waited for cleared it
        if (!this.isRunning(rec)) {
            if (rec.state.Status === "restarting")
                rec.state.Status = "exited";
            await this.d.store.save(rec);
            throw notModified("container already stopped");
        }
        await this.d.store.save(rec);
        const sig = parseSignal(signal || rec.config.StopSignal, 15);
        const timeout = timeoutSec ?? rec.config.StopTimeout ?? 10;
        this.d.events.emit("container", "kill", rec.id, eventAttrs(rec, { signal: String(sig) }));
        await this.runtime.kill(rec.id, sig).catch(() => { });
        if (rec.state.Status === "paused")
            await this.runtime.resume(rec.id).catch(() => { });
        const exited = timeout < 0 ? await this.waitExit(rec.id) : await this.waitExit(rec.id, timeout * 1000);
        if (!exited) {
            this.d.events.emit("container", "kill", rec.id, eventAttrs(rec, { signal: "9" }));
            await this.runtime.kill(rec.id, 9, true).catch(() => { });
            await this.waitExit(rec.id, 30_000);
        }
        this.d.events.emit("container", "stop", rec.id, eventAttrs(rec));
    }
    async kill(ref, signal) {
        const rec = this.d.store.resolve(ref);
        const sig = parseSignal(signal, 9);
        if (!this.isRunning(rec))
            throw conflict(`Container ${rec.id} is not running`);
        if (sig === 9 || sig === 15 || sig === 2) {
            rec.manuallyStopped = true;
            await this.d.store.save(rec);
        }
        this.d.events.emit("container", "kill", rec.id, eventAttrs(rec, { signal: String(sig) }));
        await this.runtime.kill(rec.id, sig, sig === 9);
        if (sig === 9)
            await this.waitExit(rec.id, 10_000);
    }
    async pause(ref) {
        const rec = this.d.store.resolve(ref);
        if (rec.state.Status === "paused")
            throw conflict(`Container ${rec.id} is already paused`);
        if (rec.state.Status !== "running")
            throw conflict(`Container ${rec.id} is not running`);
        await this.runtime.pause(rec.id);
        rec.state.Status = "paused";
        await this.d.store.save(rec);
        this.d.events.emit("container", "pause", rec.id, eventAttrs(rec));
    }
    async unpause(ref) {
        const rec = this.d.store.resolve(ref);
        if (rec.state.Status !== "paused")
            throw conflict(`Container ${rec.id} is not paused`);
        await this.runtime.resume(rec.id);
        rec.state.Status = "running";
        await this.d.store.save(rec);
        this.d.events.emit("container", "unpause", rec.id, eventAttrs(rec));
    }
    async restart(ref, timeoutSec) {
        const rec = this.d.store.resolve(ref);
        if (this.isRunning(rec))
            await this.stop(rec.id, timeoutSec);
        await this.start(rec.id);
        rec.restartCount = 0;
        this.d.events.emit("container", "restart", rec.id, eventAttrs(rec));
    }
    async remove(ref, opts) {
        const rec = this.d.store.resolve(ref);
        if (rec.state.Status === "removing")
            return;
        if (this.isRunning(rec) || rec.state.Status === "restarting") {
            if (!opts.force) {
                throw conflict(`You cannot remove a ${rec.state.Status} container ${rec.id}. Stop the container before attempting removal or force remove`);
            }
            const timer = this.restartTimers.get(rec.id);
            if (timer)
                clearTimeout(timer);
            rec.manuallyStopped = true;
            rec.hostConfig.AutoRemove = false; // we remove it here, not the exit handler
            if (this.isRunning(rec)) {
                await this.runtime.kill(rec.id, 9, true).catch(() => { });
                if (rec.state.Status === "paused")
                    await this.runtime.resume(rec.id).catch(() => { });
                await this.waitExit(rec.id, 15_000);
            }
        }
        await this.serialize(rec.id, async () => {
            rec.state.Status = "removing";
            // On disk first: a crash from here on leaves a "removing" record, whose removal the next start finishes.
            await this.d.store.save(rec).catch(() => { }); // best effort: a full disk must not block freeing it
            await this.runtime.delete(rec.id).catch(() => { });
            await this.hooks.release(rec).catch(() => { });
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
    attachWhenStarted(id) {
        return new Promise((resolve, reject) => {
            const list = this.pendingAttach.get(id) ?? [];
            list.push((a) => (a instanceof Error ? reject(a) : resolve(a)));
            this.pendingAttach.set(id, list);
        });
    }
    async connectPendingAttach(rec) {
        const list = this.pendingAttach.get(rec.id) ?? [];
        this.pendingAttach.delete(rec.id);
        for (const fulfil of list) {
            try {
                fulfil(await this.runtime.attach(rec.id, {
                    stdin: rec.config.OpenStdin ?? false,
                    tty: rec.config.Tty ?? false,
                }));
            }
            catch (err) {
                fulfil(err);
            }
        }
    }
    failPendingAttach(id, err) {
        const list = this.pendingAttach.get(id) ?? [];
        this.pendingAttach.delete(id);
        for (const f of list)
            f(err);
    }
    async shutdown() {
        for (const t of this.restartTimers.values())
            clearTimeout(t);
    }
}
//# sourceMappingURL=lifecycle.js.map