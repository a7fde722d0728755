/** Exec instances (`docker exec`): created, started once, inspected for the exit code. */

import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import { resolveUser } from "../../runtime/user.js";
import { conflict, invalid, notFound } from "../../util/errors.js";
import type { EventBus } from "../events.js";
import { containerEnv } from "./env.js";
import type { RuntimePort } from "./runtime-port.js";
import { eventAttrs } from "./service.js";
import { forwardStdin, parseDetachKeys, streamWriter } from "./stdio.js";
import type { ContainerStore } from "./store.js";
import type { ContainerRecord } from "./types.js";

export interface ExecConfig {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  Env?: string[] | null;
  Cmd: string[];
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

interface ExecInstance {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  resize?: (cols: number, rows: number) => Promise<void> | void;
  /** A size asked for before the process was up (the CLI resizes right after start). */
  pendingSize?: [cols: number, rows: number];
  /** Called when a size arrives while the process is starting. */
  onSize?: () => void;
}

/** How long a TTY exec waits for the client's first resize, so the process starts at the right size. */
const FIRST_RESIZE_WAIT_MS = 300;

export class ExecManager {
  private readonly execs = new Map<string, ExecInstance>();

  constructor(
    private readonly store: ContainerStore,
    private readonly runtime: RuntimePort,
    private readonly events: EventBus,
    private readonly rootfsOf: (rec: ContainerRecord) => string,
  ) {}

  create(ref: string, cfg: ExecConfig): { Id: string } {
    const rec = this.store.resolve(ref);
    if (!Array.isArray(cfg.Cmd) || cfg.Cmd.length === 0) throw invalid("No exec command specified");
    if (rec.state.Status === "paused")
      throw conflict(`Container ${rec.id} is paused, unpause the container before exec`);
    if (rec.state.Status !== "running") throw conflict(`Container ${rec.id} is not running`);
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
    this.events.emit(
      "container",
      `exec_create: ${cfg.Cmd.join(" ")}`,
      rec.id,
      eventAttrs(rec, { execID: id }),
    );
    return { Id: id };
  }

  get(id: string): ExecInstance {
    const e = this.execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  inspect(id: string) {
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
  precheck(id: string): void {
    const e = this.get(id);
    if (e.started) throw conflict(`Error: Exec command ${id} has already run`);
    const rec = this.store.resolve(e.containerId);
    if (rec.state.Status === "paused")
      throw conflict(`Container ${rec.id} is paused, unpause the container before exec`);
    if (rec.state.Status !== "running") throw conflict(`Container ${rec.id} is not running`);
  }

  /** Runs the exec; with `conn`, its stdio is attached there; resolves when the process ends (or at once if detached). */
  async start(id: string, conn: Duplex | undefined, detach: boolean): Promise<void> {
    this.precheck(id);
    const e = this.get(id);
    try {
      await this.run(e, id, conn, detach);
    } catch (err) {
      // The process never started (an unknown user, a runtime refusal): the exec ends with
      // 126, "cannot be invoked"; an attached client reads why on its output stream, framed
      // like any other output, as Docker's exec start writes it.
      const neverRan = !e.running && e.exitCode === null;
      if (neverRan) e.exitCode = 126;
      if (!conn) throw err;
      conn.on("error", () => {});
      if (neverRan && !conn.destroyed) {
        const message = Buffer.from(`${(err as Error).message}\r\n`);
        await streamWriter(conn, e.config.Tty ?? false)(1, message).catch(() => {});
      }
      conn.end();
    }
  }

  private async run(e: ExecInstance, id: string, conn: Duplex | undefined, detach: boolean): Promise<void> {
    const rec = this.store.resolve(e.containerId);
    e.started = true;
    const c = e.config;
    const user = await resolveUser(
      this.rootfsOf(rec),
      c.User || rec.config.User || "",
      rec.hostConfig.GroupAdd ?? [],
    );
    const tty = c.Tty ?? false;
    // As Docker: HOSTNAME, TERM=xterm on a TTY, the container's Env, then the exec's
    // (a bare "NAME" unsets NAME).
    const env = containerEnv(rec.config, { tty, extra: c.Env ?? [] });
    // The docker CLI sends the terminal's size right after start: wait briefly for it.
    if (tty && conn && !e.pendingSize)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, FIRST_RESIZE_WAIT_MS);
        e.onSize = () => {
          clearTimeout(t);
          resolve();
        };
      });
    e.onSize = undefined;
    const session = await this.runtime.exec(rec.id, {
      args: c.Cmd,
      env,
      cwd: c.WorkingDir || rec.config.WorkingDir || "/",
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      tty,
      stdin: (c.AttachStdin ?? false) && !detach,
      privileged: c.Privileged ?? false,
      consoleSize: e.pendingSize ? { cols: e.pendingSize[0], rows: e.pendingSize[1] } : undefined,
      checked: true, // precheck() above, on the record
    });
    e.running = true;
    e.pid = session.pid ?? 0;
    e.resize = session.resize;
    if (e.pendingSize) await Promise.resolve(session.resize(...e.pendingSize)).catch(() => {});
    this.events.emit("container", `exec_start: ${c.Cmd.join(" ")}`, rec.id, eventAttrs(rec, { execID: id }));
    const finished = session.exited.then(
      (code) => code,
      () => 126,
    );
    void finished.then((code) => {
      e.running = false;
      e.exitCode = code;
      this.events.emit(
        "container",
        "exec_die",
        rec.id,
        eventAttrs(rec, { execID: id, exitCode: String(code) }),
      );
    });
    if (detach || !conn) return;

    const write = streamWriter(conn, tty);
    const pump = async (src: AsyncIterable<Buffer> | undefined, n: 1 | 2, on: boolean) => {
      if (!src) return;
      for await (const chunk of src) if (on) await write(n, chunk);
    };
    conn.on("error", () => {});
    if (session.stdin && c.AttachStdin) {
      const stdin = session.stdin;
      // Docker's exec attach: stdin EOF closes the process's stdin, or with a TTY ends the session's output.
      forwardStdin(conn, stdin, {
        detachKeys: tty ? parseDetachKeys(c.DetachKeys) : Buffer.alloc(0),
        onDetach: () => conn.end(),
        onEnd: () => (tty ? undefined : stdin.end()),
      });
    } else conn.on("data", () => {});
    conn.resume(); // hijack() handed it over paused, holding what the client sent early
    await Promise.allSettled([
      pump(session.stdout as AsyncIterable<Buffer>, 1, c.AttachStdout ?? true),
      pump(session.stderr as AsyncIterable<Buffer> | undefined, 2, c.AttachStderr ?? true),
    ]);
    await finished;
    if (!conn.destroyed) conn.end();
  }

  async resize(id: string, cols: number, rows: number): Promise<void> {
    const e = this.get(id);
    if (e.started && !e.running && e.exitCode !== null) throw conflict(`Exec ${id} is not running`);
    e.pendingSize = [cols, rows];
    e.onSize?.();
    await e.resize?.(cols, rows);
  }

  /**
   * The execs of a container not yet over (created or running): inspect's
   * ExecIDs, null when none, as moby's container.GetExecIDs.
   */
  idsOf(containerId: string): string[] | null {
    const ids = [...this.execs.values()]
      .filter((e) => e.containerId === containerId && (!e.started || e.running))
      .map((e) => e.id);
    return ids.length ? ids : null;
  }

  /** Forget execs of a removed container. */
  forget(containerId: string): void {
    for (const [id, e] of this.execs) if (e.containerId === containerId) this.execs.delete(id);
  }
}
