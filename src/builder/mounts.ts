/**
 * `RUN --mount` (BuildKit's syntax, served by the classic builder):
 * type=cache (a directory kept per id across builds; sharing shared, private
 * or locked), type=bind (from the context or a stage/image; read-only unless
 * rw, and then writes are thrown away), type=tmpfs and type=secret (a file
 * from `berth build --secret`, mounted read-only, never committed). Each
 * becomes a HostConfig mount of the RUN container; `scrub` lists the targets
 * whose stubs must not reach the layer.
 */
import { randomBytes } from "node:crypto";
import { chmod, chown, cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { canonicalInRoot } from "../layer/rootpath.js";
import type { SyscallError } from "../sys/libc.js";
import { invalid } from "../util/errors.js";
import { hostGid, hostUid, remap } from "../util/idmap.js";
import type { ImageRoot } from "./backend.js";
import type { StepContext } from "./types.js";

export interface PreparedMounts {
  mounts: Record<string, unknown>[];
  /** Mount targets (container paths) whose stubs are removed before commit. */
  scrub: string[];
  /** What the cache key must include: each mount's spec, and the content of bind sources. */
  keyParts: string[];
  release(): Promise<void>;
}

const locks = new Map<string, Promise<void>>();
const inUse = new Map<string, number>();

function parseSpec(spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of spec.split(",")) {
    if (!field) continue;
    const i = field.indexOf("=");
    const k = (i < 0 ? field : field.slice(0, i)).toLowerCase();
    out[k] = i < 0 ? "true" : field.slice(i + 1);
  }
  if (out.dst) out.target = out.dst;
  if (out.destination) out.target = out.destination;
  if (out.src) out.source = out.src;
  if (out.readonly) out.ro = out.readonly;
  return out;
}

const truthy = (v?: string) => v !== undefined && v !== "false" && v !== "0";

/** Sets up every `--mount` of a RUN step; `expand` processes the flag's words. */
export async function prepareMounts(
  specs: string[],
  workdir: string,
  c: StepContext,
  expand: (s: string) => string,
): Promise<PreparedMounts> {
  const mounts: Record<string, unknown>[] = [];
  const scrub: string[] = [];
  const keyParts: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const release = async () => {
    for (const f of cleanups.reverse()) await f().catch(() => {});
  };
  try {
    for (const raw of specs) {
      const m = parseSpec(expand(raw));
      const type = m.type ?? "bind";
      if (type === "ssh") throw invalid(`RUN --mount=type=ssh is not supported by berth's builder`);
      if (!["cache", "bind", "tmpfs", "secret"].includes(type))
        throw invalid(`RUN --mount: unsupported mount type ${type}`);
      const target0 = m.target ?? (type === "secret" ? `/run/secrets/${m.id ?? ""}` : undefined);
      if (!target0 || target0 === "/run/secrets/") throw invalid(`RUN --mount=${raw}: target is required`);
      const target = posix.resolve(workdir || "/", target0);
      const mode = m.mode ? Number.parseInt(m.mode, 8) : undefined;
      const uid = m.uid ? Number(m.uid) : 0;
      const gid = m.gid ? Number(m.gid) : 0;
      keyParts.push(`${type}:${JSON.stringify(m)}`);
      if (type === "cache") {
        if (m.from) throw invalid(`RUN --mount=type=cache,from= is not supported by berth's builder`);
        const id = m.id ?? target;
        const sharing = m.sharing ?? "shared";
        if (!["shared", "private", "locked"].includes(sharing))
          throw invalid(`RUN --mount: invalid sharing mode ${sharing}`);
        let dir = await c.cache.mountDir(id, mode ?? 0o755);
        if (sharing === "locked") {
          // One step at a time holds a locked cache; the others queue.
          const prev = locks.get(id) ?? Promise.resolve();
          let unlock!: () => void;
          const mine = new Promise<void>((r) => {
            unlock = r;
          });
          const chained = prev.then(() => mine);
          locks.set(id, chained);
          await prev;
          cleanups.push(async () => {
            unlock();
            if (locks.get(id) === chained) locks.delete(id);
          });
        } else if (sharing === "private" && (inUse.get(id) ?? 0) > 0) {
          // In use elsewhere: this step gets a fresh, throwaway directory.
          dir = await mkdtemp(join(c.tmpDir, "cache-private-"));
          const d = dir;
          cleanups.push(() => rm(d, { recursive: true, force: true }));
        }
        // Owned by the step's root (or uid=/gid=) as the host stores it: under userns-remap
        // and rootless, container root is a subordinate id that could not write it otherwise.
        if (m.uid || m.gid || remap()) await chown(dir, hostUid(uid), hostGid(gid));
        inUse.set(id, (inUse.get(id) ?? 0) + 1);
        cleanups.push(async () => {
          inUse.set(id, (inUse.get(id) ?? 1) - 1);
        });
        mounts.push({ Type: "bind", Source: dir, Target: target, ReadOnly: truthy(m.ro) });
      } else if (type === "bind") {
        const source = m.source ?? "/";
        let root = c.ctx.dir;
        if (m.from) {
          const img =
            (await c.stageImage(m.from)) ??
            (await c.backend.resolveImage(m.from, { pull: false, say: c.say }));
          const view: ImageRoot = await c.backend.imageRoot(img);
          cleanups.push(() => view.release());
          root = view.path;
          keyParts.push(img);
        }
        // runc mounts a path: the canonical one (no link left in it) inside a tree nobody
        // writes during the build (the context, an image's view).
        let src: string;
        try {
          src = canonicalInRoot(root, source);
        } catch (err) {
          const code = (err as SyscallError).code;
          if (code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP")
            throw invalid(`RUN --mount=type=bind: source ${source}: file does not exist`);
          throw err;
        }
        if (!m.from) {
          const rel = posix.relative(root, src) || ".";
          keyParts.push(await c.cache.hashSources([{ path: src, memoKey: rel }], c.hashStats));
        }
        if (truthy(m.rw)) {
          // Writes to a bind mount are discarded: the container gets a copy.
          const copy = await mkdtemp(join(c.tmpDir, "bind-rw-"));
          cleanups.push(() => rm(copy, { recursive: true, force: true }));
          await cp(src, join(copy, "src"), { recursive: true, verbatimSymlinks: true });
          src = join(copy, "src");
        }
        mounts.push({ Type: "bind", Source: src, Target: target, ReadOnly: !truthy(m.rw) });
      } else if (type === "tmpfs") {
        const size = m.size ? Number(m.size) : undefined;
        mounts.push({ Type: "tmpfs", Target: target, TmpfsOptions: size ? { SizeBytes: size } : {} });
      } else if (type === "secret") {
        const id = m.id ?? posix.basename(target);
        const data = c.o.secrets.get(id);
        if (!data) {
          if (truthy(m.required)) throw invalid(`secret ${id} not found`);
          continue;
        }
        // Under userns-remap and rootless, runc mounts the file as the remapped root, which
        // must walk to it: searchable dirs, and a name nobody can list.
        const walk = remap() ? 0o711 : 0o700;
        await mkdir(c.secretDir, { recursive: true, mode: walk });
        await chmod(c.secretDir, walk);
        const dir = await mkdtemp(join(c.secretDir, "secret-"));
        await chmod(dir, walk);
        cleanups.push(() => rm(dir, { recursive: true, force: true }));
        const file = join(dir, randomBytes(8).toString("hex"));
        await writeFile(file, data, { mode: mode ?? 0o400 });
        await chown(file, hostUid(uid), hostGid(gid));
        mounts.push({ Type: "bind", Source: file, Target: target, ReadOnly: true });
      } else if (type === "ssh") {
        throw invalid(`RUN --mount=type=ssh is not supported by berth's builder`);
      } else {
        throw invalid(`RUN --mount: unsupported mount type ${type}`);
      }
      scrub.push(target);
    }
  } catch (err) {
    await release();
    throw err;
  }
  return { mounts, scrub, keyParts, release };
}
