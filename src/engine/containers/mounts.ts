/**
 * A container's mounts: -v/--volume binds, --mount, --tmpfs, image VOLUMEs
 * (anonymous volumes) and --volumes-from, resolved at create time into
 * rec.mounts (what inspect shows) and turned into OCI mounts at start.
 */
import { lstat, mkdir } from "node:fs/promises";
import type { OciMount } from "../../runtime/spec.js";
import { invalid } from "../../util/errors.js";
import { copyUpFromRoot, isEmptyDir } from "../../volume/copyup.js";
import type { VolumeStore } from "../../volume/store.js";
import type { MountPort } from "./prepare.js";
import type { ContainerStore } from "./store.js";
import type { ContainerRecord, MountPoint } from "./types.js";

function parseTmpfsOptions(opts: string): string[] {
  return opts
    .split(",")
    .filter(Boolean)
    .map((o) => o.trim());
}

const RW_MODES = ["rw", "ro"];
const LABEL_MODES = ["z", "Z"];
const PROPAGATION_MODES = ["shared", "rshared", "slave", "rslave", "private", "rprivate"];
const COPY_MODES = ["nocopy"];
const CONSISTENCY_MODES = ["consistent", "cached", "delegated"];

/**
 * The mode of a `-v src:dst:mode` bind (HostConfig.Binds), as moby's
 * linuxValidMountMode: comma-separated words, at most one each of rw|ro,
 * z|Z, a propagation, nocopy and a consistency. Throws InvalidParameter
 * "invalid mode: <mode>" otherwise.
 */
export function parseBindMode(mode: string): { ro: boolean; propagation?: string; nocopy: boolean } {
  if (!mode) return { ro: false, nocopy: false };
  const words = mode.split(",");
  for (const set of [RW_MODES, LABEL_MODES, PROPAGATION_MODES, COPY_MODES, CONSISTENCY_MODES]) {
    if (words.filter((w) => set.includes(w)).length > 1) throw invalid(`invalid mode: ${mode}`);
  }
  const known = [RW_MODES, LABEL_MODES, PROPAGATION_MODES, COPY_MODES, CONSISTENCY_MODES].flat();
  if (words.some((w) => !known.includes(w))) throw invalid(`invalid mode: ${mode}`);
  return {
    ro: words.includes("ro"),
    propagation: words.find((w) => PROPAGATION_MODES.includes(w)),
    nocopy: words.includes("nocopy"),
  };
}

export class VolumeMounts implements MountPort {
  constructor(
    private readonly volumes: VolumeStore,
    private readonly store: ContainerStore,
  ) {}

  /** Create time: decide every mount and create the volumes it needs. */
  async resolve(rec: ContainerRecord): Promise<void> {
    const h = rec.hostConfig;
    const out: MountPoint[] = [];
    const seen = new Set<string>();
    const add = (m: MountPoint) => {
      if (seen.has(m.Destination)) throw invalid(`Duplicate mount point: ${m.Destination}`);
      seen.add(m.Destination);
      out.push(m);
    };
    for (const b of h.Binds ?? []) {
      const parts = b.split(":");
      if (parts.length < 2 || parts.length > 3) throw invalid(`invalid volume specification: '${b}'`);
      const [src, dst, mode = ""] = parts as [string, string, string?];
      if (!dst.startsWith("/"))
        throw invalid(
          `invalid volume specification: '${b}': invalid mount config for type "volume": invalid mount path: '${dst}' mount path must be absolute`,
        );
      const { ro, propagation } = parseBindMode(mode);
      if (src.startsWith("/")) {
        // -v creates a missing host directory, as Docker does.
        if (!(await lstat(src).catch(() => undefined))) await mkdir(src, { recursive: true });
        add({
          Type: "bind",
          Source: src,
          Destination: dst,
          Mode: mode,
          RW: !ro,
          Propagation: propagation ?? "rprivate",
        });
      } else {
        const v = await this.volumes.create({ Name: src });
        add({
          Type: "volume",
          Name: v.Name,
          Source: v.Mountpoint,
          Destination: dst,
          Driver: "local",
          Mode: mode || "z",
          RW: !ro,
          Propagation: "",
        });
      }
    }
    for (const m of h.Mounts ?? []) {
      const dst = m.Target;
      // Messages as moby's errMountConfig (volume/mounts/linux_parser.go).
      const bad = (why: string) => invalid(`invalid mount config for type "${m.Type ?? ""}": ${why}`);
      if (!dst) throw bad("field Target must not be empty");
      if (!dst.startsWith("/")) throw bad(`invalid mount path: '${dst}' mount path must be absolute`);
      if (m.Type === "bind") {
        if (!m.Source || !(await lstat(m.Source).catch(() => undefined))) {
          throw invalid(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
        }
        add({
          Type: "bind",
          Source: m.Source,
          Destination: dst,
          Mode: "",
          RW: !m.ReadOnly,
          Propagation: m.BindOptions?.Propagation || "rprivate",
        });
      } else if (m.Type === "volume") {
        const v = await this.volumes.create(
          {
            Name: m.Source,
            Driver: m.VolumeOptions?.DriverConfig?.Name,
            DriverOpts: m.VolumeOptions?.DriverConfig?.Options,
            Labels: m.VolumeOptions?.Labels,
          },
          !m.Source,
        );
        add({
          Type: "volume",
          Name: v.Name,
          Source: v.Mountpoint,
          Destination: dst,
          Driver: "local",
          Mode: m.VolumeOptions?.NoCopy ? "z,nocopy" : "z",
          RW: !m.ReadOnly,
          Propagation: "",
          ...(m.Source ? {} : { anonymous: true }),
        });
      } else if (m.Type === "tmpfs") {
        const o: string[] = [];
        if (m.TmpfsOptions?.SizeBytes) o.push(`size=${m.TmpfsOptions.SizeBytes}`);
        if (m.TmpfsOptions?.Mode) o.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
        add({
          Type: "tmpfs",
          Source: "",
          Destination: dst,
          Mode: "",
          RW: !m.ReadOnly,
          Propagation: "",
          tmpfsOptions: o.join(","),
        });
      } else {
        throw bad("mount type unknown");
      }
    }
    for (const ref of h.VolumesFrom ?? []) {
      const [name, mode] = ref.split(":");
      const other = this.store.resolve(name!);
      for (const m of other.mounts) {
        if (seen.has(m.Destination)) continue;
        add({ ...m, anonymous: false, ...(mode ? { RW: mode !== "ro", Mode: mode } : {}) });
      }
    }
    // Image VOLUMEs and `-v /path`: anonymous volumes unless something is mounted there.
    for (const dst of Object.keys(rec.config.Volumes ?? {})) {
      if (seen.has(dst) || Object.hasOwn(h.Tmpfs ?? {}, dst)) continue;
      const v = await this.volumes.create({}, true);
      add({
        Type: "volume",
        Name: v.Name,
        Source: v.Mountpoint,
        Destination: dst,
        Driver: "local",
        Mode: "",
        RW: true,
        Propagation: "",
        anonymous: true,
      });
    }
    rec.mounts = out;
  }

  async setup(rec: ContainerRecord, rootfs: string): Promise<OciMount[]> {
    const out: OciMount[] = [];
    for (const m of rec.mounts) {
      if (m.Type === "tmpfs") {
        out.push({
          destination: m.Destination,
          type: "tmpfs",
          source: "tmpfs",
          // As moby's WithMounts: noexec,nosuid,nodev for every tmpfs, --mount's too.
          options: [
            "nosuid",
            "nodev",
            "noexec",
            ...parseTmpfsOptions(m.tmpfsOptions ?? ""),
            ...(m.RW ? [] : ["ro"]),
          ],
        });
        continue;
      }
      if (m.Type === "volume" && m.Name) {
        await this.volumes.mountDevice(m.Name);
        const v = this.volumes.get(m.Name);
        // First use: fill an empty volume from what the image has at that path.
        if (!m.Mode.includes("nocopy") && (await isEmptyDir(v.Mountpoint))) {
          await copyUpFromRoot(rootfs, m.Destination, v.Mountpoint);
        }
      }
      const propagation = m.Propagation && m.Propagation !== "" ? m.Propagation : "rprivate";
      out.push({
        destination: m.Destination,
        type: "bind",
        source: m.Source,
        options: ["rbind", propagation, m.RW ? "rw" : "ro"],
      });
    }
    for (const [dst, opts] of Object.entries(rec.hostConfig.Tmpfs ?? {})) {
      out.push({
        destination: dst,
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "nodev", "noexec", ...parseTmpfsOptions(opts)],
      });
    }
    return out;
  }

  /** Stop time: device volumes no other running container uses are unmounted. */
  async release(rec: ContainerRecord): Promise<void> {
    for (const m of rec.mounts) {
      if (m.Type !== "volume" || !m.Name || !this.volumes.has(m.Name)) continue;
      const others = this.store
        .list()
        .filter((r) => r.id !== rec.id && ["running", "paused"].includes(r.state.Status))
        .some((r) => r.mounts.some((o) => o.Type === "volume" && o.Name === m.Name));
      if (!others) await this.volumes.unmountDevice(m.Name);
    }
  }

  async removed(rec: ContainerRecord, removeVolumes: boolean): Promise<void> {
    if (!removeVolumes) return;
    for (const m of rec.mounts) {
      if (m.Type === "volume" && m.anonymous && m.Name) {
        await this.volumes.remove(m.Name, true).catch(() => {});
      }
    }
  }

  /** IDs of containers using a volume (for `volume rm`). */
  users(name: string): string[] {
    return this.store
      .list()
      .filter((r) => r.mounts.some((m) => m.Type === "volume" && m.Name === name))
      .map((r) => r.id);
  }
}
