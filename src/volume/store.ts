/**
 * Local named volumes: <root>/volumes/<name>/_data holds the data and
 * <root>/volumes/<name>/volume.json the metadata (written atomically).
 * A volume's life is independent of containers; the engine tells the store
 * which containers use a volume so `rm` can refuse while it is in use.
 * Like Docker's local driver, `-o type=… -o device=… -o o=…` volumes are
 * mounted on _data while a running container uses them (see mountDevice).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { Type } from "@sinclair/typebox";
import { conflict, invalid, notFound } from "../util/errors.js";
import { readJson, writeJsonAtomic } from "../util/fs.js";
import { chownToContainerRoot, remap } from "../util/idmap.js";
import { mismatch, StringMap } from "../util/schema.js";

/** What a volume record on disk must hold before it is served (definitions/Volume). */
const VolumeRecordSchema = Type.Object({
  Name: Type.String(),
  Driver: Type.String(),
  Mountpoint: Type.String(),
  CreatedAt: Type.String(),
  Labels: Type.Optional(StringMap),
  Options: Type.Optional(StringMap),
});

export interface Volume {
  Name: string;
  Driver: "local";
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Scope: "local";
  Options: Record<string, string> | null;
  /** berth: made for one container (image VOLUME or `-v /path`), removed by `rm -v`. */
  anonymous?: boolean;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** The local driver's options, as Docker's. */
const LOCAL_OPTIONS = new Set(["type", "device", "o"]);
const run = promisify(execFile);

/** Whether a path is a mount point now (in this mount namespace). */
async function isMountPoint(path: string): Promise<boolean> {
  const info = await readFile("/proc/self/mountinfo", "utf8");
  // Field 5 is the mount point, with spaces and the like octal-escaped.
  const escaped = path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
  return info.split("\n").some((line) => line.split(" ")[4] === escaped);
}

export class VolumeStore {
  private readonly dir: string;
  private readonly volumes = new Map<string, Volume>();
  /** Volume name -> IDs of containers using it (set by the engine). */
  usage: (name: string) => string[] = () => [];

  constructor(root: string) {
    this.dir = join(root, "volumes");
  }

  /**
   * Loads every volume record; one whose fields clients could not decode
   * (`Labels: ["a"]` breaks `docker volume ls`) is reported and left unserved.
   */
  async init(report: (msg: string) => void = () => {}): Promise<void> {
    // Remapped containers must be able to walk to their volumes.
    await mkdir(this.dir, { recursive: true, mode: remap() ? 0o711 : 0o700 });
    for (const name of await readdir(this.dir)) {
      const v = await readJson<Volume>(join(this.dir, name, "volume.json"));
      if (!v)
        await rm(join(this.dir, name), { recursive: true, force: true }); // creation never finished
      else {
        const problem =
          mismatch(VolumeRecordSchema, v) ?? (v.Name !== name ? "Name: not the directory's name" : undefined);
        if (problem)
          report(`skipping volume ${name}: its record does not fit what clients decode (${problem})`);
        else this.volumes.set(v.Name, v);
      }
    }
  }

  async create(
    o: {
      Name?: string;
      Driver?: string;
      DriverOpts?: Record<string, string>;
      Labels?: Record<string, string>;
    },
    anonymous = false,
  ): Promise<Volume> {
    const name = o.Name || randomBytes(32).toString("hex");
    if (!NAME.test(name)) {
      throw invalid(
        `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      );
    }
    if (o.Driver && o.Driver !== "local")
      throw notFound(
        `create ${name}: error looking up volume plugin ${o.Driver}: plugin "${o.Driver}" not found`,
      );
    const existing = this.volumes.get(name);
    if (existing) return existing;
    const opts = o.DriverOpts && Object.keys(o.DriverOpts).length ? o.DriverOpts : null;
    for (const key of Object.keys(opts ?? {}))
      if (!LOCAL_OPTIONS.has(key)) throw invalid(`create ${name}: invalid option key: "${key}"`);
    if (opts?.type && !opts.device) throw invalid(`create ${name}: missing required option: "device"`);
    if (opts?.device && !opts.type) throw invalid(`create ${name}: missing required option: "type"`);
    const v: Volume = {
      Name: name,
      Driver: "local",
      Mountpoint: join(this.dir, name, "_data"),
      CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      Labels: o.Labels ?? {},
      Scope: "local",
      Options: opts,
      ...(anonymous ? { anonymous: true } : {}),
    };
    await mkdir(v.Mountpoint, { recursive: true, mode: 0o755 });
    await chownToContainerRoot(v.Mountpoint);
    await writeJsonAtomic(join(this.dir, name, "volume.json"), v);
    this.volumes.set(name, v);
    return v;
  }

  get(name: string): Volume {
    const v = this.volumes.get(name);
    if (!v) throw notFound(`get ${name}: no such volume`);
    return v;
  }

  has(name: string): boolean {
    return this.volumes.has(name);
  }

  list(): Volume[] {
    return [...this.volumes.values()];
  }

  async remove(name: string, force = false): Promise<void> {
    const v = this.volumes.get(name);
    if (!v) {
      if (force) return;
      throw notFound(`get ${name}: no such volume`);
    }
    const users = this.usage(name);
    if (users.length) throw conflict(`remove ${name}: volume is in use - [${users.join(", ")}]`);
    await this.unmountDevice(name);
    this.volumes.delete(name);
    await rm(join(this.dir, name), { recursive: true, force: true });
  }

  /**
   * Mounts a volume's device (its type/device/o options) on its mount point if it is not
   * mounted yet; volumes without a device are plain directories and need nothing.
   */
  async mountDevice(name: string): Promise<void> {
    const v = this.get(name);
    const o = v.Options;
    if (!o?.type || !o.device || (await isMountPoint(v.Mountpoint))) return;
    const args = ["-t", o.type, ...(o.o ? ["-o", o.o] : []), o.device, v.Mountpoint];
    await run("mount", args).catch((e: { stderr?: string; message: string }) => {
      throw invalid(
        `error while mounting volume '${v.Mountpoint}': failed to mount local volume: ${(e.stderr || e.message).trim()}`,
      );
    });
  }

  /** Unmounts a volume's device once no running container uses it. */
  async unmountDevice(name: string): Promise<void> {
    const v = this.volumes.get(name);
    if (!v?.Options?.type || !(await isMountPoint(v.Mountpoint))) return;
    await run("umount", [v.Mountpoint]).catch(() => run("umount", ["-l", v.Mountpoint]));
  }

  /** Bytes used by a volume's data (for `system df`). */
  async size(name: string): Promise<number> {
    const walk = async (p: string): Promise<number> => {
      const st = await stat(p).catch(() => undefined);
      if (!st) return 0;
      if (!st.isDirectory()) return st.size;
      let total = 0;
      for (const c of await readdir(p)) total += await walk(join(p, c));
      return total;
    };
    return walk(this.get(name).Mountpoint);
  }
}

/** The API's JSON for a volume (berth-only fields dropped). */
export function volumeJson(v: Volume) {
  const { anonymous: _anon, ...rest } = v;
  return rest;
}
