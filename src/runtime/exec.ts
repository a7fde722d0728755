/**
 * `docker exec` through `conmon --exec` (what podman does) rather than a
 * foreground `runc exec`: conmon owns the pty (runc hands it the console
 * over its console socket), relays stdio over the same attach socket as
 * containers use (so TTY and non-TTY execs share one code path and resize
 * works through the ctl fifo), and reports the exit code (128+N for a signal)
 * on its sync pipe. The exec survives a berthd restart like its container.
 *
 * Flow: spawn conmon with start, attach and sync pipes; release its first
 * start read; wait for "attach socket ready"; connect; release the second
 * start read (only now does conmon run `runc exec`, so no output is lost);
 * the sync pipe then gives the pid (or runc's error), later the exit code.
 * Each exec has its own dir <stateDir>/exec/<uuid>/ (conmon's bundle dir:
 * the attach socket, ctl/winsz fifos, process.json, pid and exit files),
 * removed when the exec ends.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough, type Readable, type Writable } from "node:stream";
import type { ExecOptions } from "../engine/containers/runtime-port.js";
import { readJson } from "../util/fs.js";
import { type Attached, StdioHub } from "./attach.js";
import { effectiveCaps } from "./capabilities.js";
import { conmonArgs, spawnConmon } from "./conmon.js";
import { OciRuntimeError, runcMessage } from "./runc.js";

export interface ExecDeps {
  conmonPath: string;
  runtimePath: string;
  runcRoot: string;
  socketDir: string;
  execDir: string;
  /** The container's bundle: its config.json gives the exec's capabilities and security settings. */
  bundleDir?: string;
  logLevel?: string;
}

export interface ExecSession {
  pid?: number;
  stdin?: Writable;
  stdout: Readable;
  /** Absent with a TTY. */
  stderr?: Readable;
  resize(cols: number, rows: number): Promise<void>;
  /** The exit code: the process's, 128+N if signal N killed it, 127/126 if it could not start. */
  exited: Promise<number>;
  kill(): void;
  /** Set when runc could not start the process (its text is also written to stderr). */
  error?: OciRuntimeError;
}

interface ContainerProcess {
  capabilities?: Record<string, string[]>;
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  selinuxLabel?: string;
}

/**
 * Starts `o` in the container under a new conmon. `precheck` (the caller's
 * check that the container runs) is awaited before conmon is let go, so
 * it overlaps conmon's start; if it throws, conmon is killed and its error
 * thrown.
 */
export async function execProcess(
  d: ExecDeps,
  containerId: string,
  o: ExecOptions & { capAdd?: string[] },
  precheck: Promise<unknown> = Promise.resolve(),
): Promise<ExecSession> {
  const uuid = randomBytes(8).toString("hex");
  const dir = join(d.execDir, uuid);
  await mkdir(join(dir, "exit"), { recursive: true, mode: 0o700 });
  const base = d.bundleDir
    ? await readJson<{ process?: ContainerProcess }>(join(d.bundleDir, "config.json")).catch(() => undefined)
    : undefined;
  const processSpec = join(dir, "process.json");
  await writeFile(processSpec, JSON.stringify(processFor(o, base?.process)));
  const conmon = spawnConmon(
    d.conmonPath,
    conmonArgs({
      id: containerId,
      uuid,
      name: `${containerId}-exec`,
      runtimePath: d.runtimePath,
      runtimeArgs: ["--root", d.runcRoot],
      bundleDir: dir,
      pidFile: join(dir, "pid"),
      exitDir: join(dir, "exit"),
      socketDir: d.socketDir,
      terminal: o.tty,
      stdin: o.stdin,
      exec: { processSpec, attach: true },
      logLevel: d.logLevel,
    }),
    { cwd: dir, startPipe: true, attachPipe: true },
  );
  const fail = async (text: string): Promise<never> => {
    conmon.release();
    await rm(dir, { recursive: true, force: true });
    throw new Error(`exec in ${containerId}: ${text}`);
  };
  try {
    await precheck;
  } catch (err) {
    conmon.kill();
    conmon.release();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  conmon.start!.write("0");
  const ready = await conmon.attach!.next();
  if (!ready || ready.data < 0) return fail(ready?.message ?? (conmon.stderr() || "conmon exited"));
  let att: Attached;
  try {
    const hub = await StdioHub.open(join(d.socketDir, uuid, "attach"), {
      tty: o.tty,
      ctl: join(dir, "ctl"),
      keepWhenIdle: false,
    });
    att = hub.subscribe({ dropUnread: true });
  } catch (err) {
    conmon.start!.end();
    return fail(`attach: ${(err as Error).message}`);
  }
  conmon.start!.end("0");
  const started = await conmon.sync.next();
  if (!started || started.data <= 0) {
    // runc exec failed: conmon reports runc's stderr and exits.
    att.close();
    conmon.release();
    const error = new OciRuntimeError(
      "exec",
      runcMessage(started?.message ?? (conmon.stderr() || "conmon exited without reporting")),
    );
    await rm(dir, { recursive: true, force: true });
    const out = new PassThrough();
    const errStream = o.tty ? out : new PassThrough();
    errStream.end(o.tty ? `${error.message}\r\n` : `${error.message}\n`);
    if (errStream !== out) out.end();
    return {
      stdout: out,
      stderr: o.tty ? undefined : errStream,
      resize: async () => {},
      exited: Promise.resolve(error.exitCode),
      kill: () => {},
      error,
    };
  }
  const pid = started.data;
  const exited = (async () => {
    const m = await conmon.sync.next();
    conmon.release();
    let code = m && m.data >= 0 ? m.data : undefined;
    if (code === undefined) {
      const text = await readFile(join(dir, "exit", containerId), "utf8").catch(() => "");
      const n = Number.parseInt(text, 10);
      code = Number.isNaN(n) || n < 0 ? 255 : n;
    }
    // Let the last output through before the socket dir goes.
    await Promise.race([att.done, new Promise((r) => setTimeout(r, 2000))]);
    await rm(dir, { recursive: true, force: true });
    return code;
  })();
  return {
    pid,
    stdin: o.stdin ? att.stdin : undefined,
    stdout: att.stdout,
    stderr: att.stderr,
    resize: att.resize,
    exited,
    kill: () => {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    },
  };
}

function processFor(o: ExecOptions & { capAdd?: string[] }, base: ContainerProcess | undefined): object {
  let caps: Record<string, string[]>;
  if (o.privileged) {
    const all = effectiveCaps({ privileged: true });
    caps = { bounding: all, effective: all, permitted: all };
  } else if (base?.capabilities) {
    caps = { ...base.capabilities };
    for (const c of o.capAdd ?? []) {
      const name = c.toUpperCase().startsWith("CAP_") ? c.toUpperCase() : `CAP_${c.toUpperCase()}`;
      for (const set of ["bounding", "effective", "permitted"])
        if (!caps[set]?.includes(name)) caps[set] = [...(caps[set] ?? []), name];
    }
  } else {
    const set = effectiveCaps({ add: o.capAdd });
    caps = { bounding: set, effective: set, permitted: set };
  }
  return {
    terminal: o.tty,
    ...(o.tty && o.consoleSize
      ? { consoleSize: { height: o.consoleSize.rows, width: o.consoleSize.cols } }
      : {}),
    user: { uid: o.user.uid, gid: o.user.gid, additionalGids: o.user.additionalGids },
    args: o.args,
    env: o.env,
    cwd: o.cwd || "/",
    capabilities: caps,
    noNewPrivileges: base?.noNewPrivileges ?? false,
    ...(base?.apparmorProfile && !o.privileged ? { apparmorProfile: base.apparmorProfile } : {}),
    ...(base?.selinuxLabel ? { selinuxLabel: base.selinuxLabel } : {}),
  };
}
