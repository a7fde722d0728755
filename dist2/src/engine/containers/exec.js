/** Exec instances (`docker exec`): created, started once, inspected for the exit code. */
import { randomBytes } from "node:crypto";
import { resolveUser } from "../../runtime/user.js";
import { conflict, invalid, notFound } from "../../util/errors.js";
import { eventAttrs } from "./service.js";
import { parseDetachKeys, streamWriter } from "./stdio.js";
export class ExecManager {
    store;
    runtime;
    events;
    rootfsOf;
    execs = new Map();
    constructor(store, runtime, events, rootfsOf) {
        this.store = store;
        this.runtime = runtime;
        this.events = events;
        this.rootfsOf = rootfsOf;
    }
    create(ref, cfg) {
        const rec = this.store.resolve(ref);
        if (!Array.isArray(cfg.Cmd) || cfg.Cmd.length === 0)
            throw invalid("No exec command specified");
        if (rec.state.Status === "paused")
            throw conflict(`Container ${rec.id} is paused, unpause the container before exec`);
        if (rec.state.Status !== "running")
            throw conflict(`Container ${rec.id} is not running`);
        const id = randomBytes(32).toString("hex");
        this.execs.set(id, {
            id,
            containerId: rec.id,
            config: cfg,
            running: false,
            started: false,
            exitCode: null,
            pid: 0,
        });
        this.events.emit("container", `exec_create: ${cfg.Cmd.join(" ")}`, rec.id, eventAttrs(rec, { execID: id }));
        return { Id: id };
    }
    get(id) {
        const e = this.execs.get(id);
        if (!e)
            throw notFound(`No such exec instance: ${id}`);
        return e;
    }
    inspect(id) {
        const e = this.get(id);
        return {
            ID: e.id,
            Running: e.running,
            ExitCode: e.exitCode,
            ProcessConfig: {
                tty: e.config.Tty ?? false,
                entrypoint: e.config.Cmd[0],
                arguments: e.config.Cmd.slice(1),
                privileged: e.config.Privileged ?? false,
                ...(e.config.User ? { user: e.config.User } : {}),
            },
            OpenStdin: e.config.AttachStdin ?? false,
            OpenStderr: e.config.AttachStderr ?? false,
            OpenStdout: e.config.AttachStdout ?? false,
            CanRemove: false,
            ContainerID: e.containerId,
            DetachKeys: e.config.DetachKeys ?? "",
            Pid: e.pid,
        };
    }
    /** The checks of start(), run before a connection is hijacked so errors stay plain HTTP. */
    precheck(id) {
        const e = this.get(id);
        if (e.started)
            throw conflict(`Error: Exec command ${id} has already run`);
        const rec = this.store.resolve(e.containerId);
        if (rec.state.Status === "paused")
            throw conflict(`Container ${rec.id} is paused, unpause the container before exec`);
        if (rec.state.Status !== "running")
            throw conflict(`Container ${rec.id} is not running`);
    }
    /** Runs the exec; with `conn`, its stdio is attached there; resolves when the process ends (or at once if detached). */
    async start(id, conn, detach) {
        this.precheck(id);
        const e = this.get(id);
        const rec = this.store.resolve(e.containerId);
        e.started = true;
        const c = e.config;
        const user = await resolveUser(this.rootfsOf(rec), c.User || rec.config.User || "", rec.hostConfig.GroupAdd ?? []);
        const env = [...(rec.config.Env ?? [])];
        for (const kv of c.Env ?? []) {
            const k = kv.split("=")[0];
            const i = env.findIndex((x) => x.split("=")[0] === k);
            if (i >= 0)
                env[i] = kv;
            else
                env.push(kv);
        }
        const tty = c.Tty ?? false;
        const session = await this.runtime.exec(rec.id, {
            args: c.Cmd,
            env,
            cwd: c.WorkingDir || rec.config.WorkingDir || "/",
            user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
            tty,
            stdin: (c.AttachStdin ?? false) && !detach,
            privileged: c.Privileged ?? false,
        });
        e.running = true;
        e.pid = session.pid ?? 0;
        e.resize = session.resize;
        this.events.emit("container", `exec_start: ${c.Cmd.join(" ")}`, rec.id, eventAttrs(rec, { execID: id }));
        const finished = session.exited.then((code) => code, () => 126);
        void finished.then((code) => {
            e.running = false;
            e.exitCode = code;
            this.events.emit("container", "exec_die", rec.id, eventAttrs(rec, { execID: id, exitCode: String(code) }));
        });
        if (detach || !conn)
            return;
        const write = streamWriter(conn, tty);
        const pump = async (src, n, on) => {
            if (!src)
                return;
            for await (const chunk of src)
                if (on)
                    await write(n, chunk);
        };
        if (session.stdin && c.AttachStdin) {
            const keys = parseDetachKeys(c.DetachKeys);
            conn.on("data", (chunk) => {
                if (tty && keys.length && chunk.includes(keys)) {
                    conn.end();
                    return;
                }
                session.stdin.write(chunk);
            });
            conn.on("end", () => session.stdin.end());
        }
        conn.resume(); // hijack() handed it over paused, holding what the client sent early
        await Promise.allSettled([
            pump(session.stdout, 1, c.AttachStdout ?? true),
            pump(session.stderr, 2, c.AttachStderr ?? true),
        ]);
        await finished;
        if (!conn.destroyed)
            conn.end();
    }
    async resize(id, cols, rows) {
        const e = this.get(id);
        if (!e.running)
            throw conflict(`Exec ${id} is not running`);
        await e.resize?.(cols, rows);
    }
    /** Forget execs of a removed container. */
    forget(containerId) {
        for (const [id, e] of this.execs)
            if (e.containerId === containerId)
                this.execs.delete(id);
    }
}
//# sourceMappingURL=exec.js.map