/**
 * Applies a layer tar to a directory, overlayfs-style, safely.
 *
 * Layer rules (OCI image-spec): `.wh.<name>` deletes <name> from lower
 * layers -> an overlay whiteout (char device 0:0); `.wh..wh..opq` hides the
 * lower contents of its directory -> xattr trusted.overlay.opaque=y.
 *
 * Safety: every entry path is made relative to the target (absolute paths are
 * re-rooted, `..` may not climb out), and no entry is written through a
 * symlink: each parent component must be a real directory inside the target.
 * Hardlink targets obey the same rules. A hostile tar gets a clear
 * InvalidParameter error naming the entry; on error the caller removes the
 * target directory (a half-applied layer is never used).
 */
import { chmodSync, closeSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, rmSync, symlinkSync, utimesSync, writeSync, } from "node:fs";
import { posix } from "node:path";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from "../sys/libc.js";
import { invalid, withPath } from "../util/errors.js";
import { hostGid, hostUid, remap } from "../util/idmap.js";
const WHITEOUT_PREFIX = ".wh.";
const OPAQUE = ".wh..wh..opq";
/** Normalizes an entry name to a safe relative path ("" for the root itself). */
export function safeRelative(name) {
    const clean = posix.normalize(`/${name}`).replace(/^\/+/, "").replace(/\/+$/, "");
    // posix.normalize of "/..." can't climb above "/", but check the raw name so errors are explicit.
    const raw = posix.normalize(name.replace(/^\/+/, ""));
    if (raw === ".." || raw.startsWith("../"))
        throw invalid(`layer entry ${JSON.stringify(name)}: path escapes the layer`);
    return clean === "." ? "" : clean;
}
/*
 * Metadata calls below are synchronous on purpose: a layer has thousands of
 * small entries, and a round trip through libuv's thread pool per call made
 * extraction ~10x slower than the syscalls themselves.
 */
/** Ensures every component of `rel`'s parent is a real directory under root (creating missing ones). */
function ensureParent(root, rel, entryName, known) {
    const parts = posix
        .dirname(rel)
        .split("/")
        .filter((p) => p && p !== ".");
    let cur = root;
    for (const p of parts) {
        cur = posix.join(cur, p);
        if (known.has(cur))
            continue; // checked, and nothing replaced it since (removeExisting forgets)
        const st = lstatSync(cur, { throwIfNoEntry: false });
        if (!st) {
            mkdirSync(cur, { mode: 0o755 });
        }
        else if (st.isSymbolicLink()) {
            throw invalid(`layer entry ${JSON.stringify(entryName)}: path escapes through symlink ${posix.relative(root, cur)}`);
        }
        else if (!st.isDirectory()) {
            throw invalid(`layer entry ${JSON.stringify(entryName)}: ${posix.relative(root, cur)} is not a directory`);
        }
        known.add(cur);
    }
}
function removeExisting(path, keepDir, known) {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st)
        return "none";
    if (st.isDirectory() && keepDir)
        return "dir";
    rmSync(path, { recursive: true, force: true });
    // Directories under what was removed are no longer known to be safe.
    for (const k of known)
        if (k === path || k.startsWith(`${path}/`))
            known.delete(k);
    return st.isDirectory() ? "dir" : "other";
}
/** Applies a layer (whiteouts converted); returns the bytes of regular file content written. */
export function applyLayer(input, dir) {
    return extract(input, dir, { whiteouts: true, preserveOwners: true });
}
/** Extracts a plain archive into an existing directory (docker cp, ADD of a local tar). */
export function extractArchive(input, dir, opts = {}) {
    return extract(input, dir, {
        whiteouts: false,
        noOverwriteDirNonDir: opts.noOverwriteDirNonDir,
        preserveOwners: opts.preserveOwners ?? true,
    });
}
async function extract(input, dir, opts) {
    const ex = tar.extract();
    let size = 0;
    const state = { dirTimes: [], known: new Set() };
    const work = (async () => {
        for await (const entry of ex) {
            const h = entry.header;
            try {
                size += await applyEntry(dir, h, entry, opts, state);
            }
            catch (err) {
                throw withPath(err, posix.join(dir, h.name));
            }
            finally {
                entry.resume();
            }
        }
    })();
    try {
        await Promise.all([pipeline(input, ex), work]);
    }
    catch (err) {
        // Nothing reads the rest: end the source too, so no file or process stays open.
        input.destroy();
        ex.destroy();
        throw err;
    }
    // Directory mtimes last: writing their children changed them.
    for (const d of state.dirTimes.reverse()) {
        try {
            utimesSync(d.path, d.mtime, d.mtime);
        }
        catch {
            // removed by a later entry
        }
    }
    return { size };
}
async function applyEntry(root, h, body, opts, state) {
    const { known } = state;
    const rel = safeRelative(h.name);
    const base = posix.basename(rel);
    if (opts.whiteouts && base.startsWith(WHITEOUT_PREFIX)) {
        ensureParent(root, rel, h.name, known);
        const parent = posix.join(root, posix.dirname(rel));
        if (base === OPAQUE) {
            lsetxattr(parent, "trusted.overlay.opaque", Buffer.from("y"));
            return 0;
        }
        if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`))
            return 0; // aufs metadata
        const victim = base.slice(WHITEOUT_PREFIX.length);
        if (victim === "" || victim === "." || victim === "..")
            throw invalid(`layer entry ${JSON.stringify(h.name)}: invalid whiteout`);
        const target = posix.join(parent, victim);
        removeExisting(target, false, known);
        mknod(target, S_IFCHR | 0o000, 0, 0);
        return 0;
    }
    if (rel === "") {
        // The root entry: only its metadata matters.
        if (h.type === "directory")
            setMeta(root, h, opts, state, true);
        return 0;
    }
    ensureParent(root, rel, h.name, known);
    const path = posix.join(root, rel);
    const mode = (h.mode ?? 0o644) & 0o7777;
    switch (h.type) {
        case "directory": {
            const was = removeExisting(path, true, known);
            if (was === "other" && opts.noOverwriteDirNonDir)
                throw invalid(`cannot overwrite non-directory ${rel} with directory`);
            if (was !== "dir")
                mkdirSync(path, { mode: 0o700 });
            setMeta(path, h, opts, state, true);
            return 0;
        }
        case "file":
        case "contiguous-file": {
            const was = removeExisting(path, false, known);
            if (was === "dir" && opts.noOverwriteDirNonDir)
                throw invalid(`cannot overwrite directory ${rel} with non-directory`);
            await writeFileFrom(body, path);
            setMeta(path, h, opts, state, false);
            return h.size ?? 0;
        }
        case "symlink": {
            removeExisting(path, false, known);
            symlinkSync(h.linkname ?? "", path);
            setMeta(path, h, opts, state, false, true);
            return 0;
        }
        case "link": {
            const targetRel = safeRelative(h.linkname ?? "");
            if (targetRel === "")
                throw invalid(`layer entry ${JSON.stringify(h.name)}: hardlink to the layer root`);
            ensureParent(root, targetRel, h.name, known);
            const target = posix.join(root, targetRel);
            const st = lstatSync(target, { throwIfNoEntry: false });
            if (!st)
                throw invalid(`layer entry ${JSON.stringify(h.name)}: hardlink target ${h.linkname} not found in the layer`);
            if (st.isDirectory())
                throw invalid(`layer entry ${JSON.stringify(h.name)}: hardlink to a directory`);
            removeExisting(path, false, known);
            linkSync(target, path);
            return 0;
        }
        case "character-device":
        case "block-device":
        case "fifo": {
            removeExisting(path, false, known);
            const kind = h.type === "fifo" ? S_IFIFO : h.type === "block-device" ? S_IFBLK : S_IFCHR;
            mknod(path, kind | mode, h.devmajor ?? 0, h.devminor ?? 0);
            setMeta(path, h, opts, state, false);
            return 0;
        }
        default:
            // pax/gnu headers are folded in by tar-stream; anything else (sockets) is skipped.
            return 0;
    }
}
function setMeta(path, h, opts, state, isDir, isLink = false) {
    // Ownership is stored in the host's id space (shifted under userns-remap);
    // entries that don't keep their owners belong to the container's root.
    if (opts.preserveOwners)
        lchownSync(path, hostUid(h.uid ?? 0), hostGid(h.gid ?? 0));
    else if (remap())
        lchownSync(path, hostUid(0), hostGid(0));
    // chmod after chown: chown clears setuid/setgid bits.
    if (!isLink)
        chmodSync(path, (h.mode ?? (isDir ? 0o755 : 0o644)) & 0o7777);
    for (const [k, v] of Object.entries((h.pax ?? {}))) {
        if (!k.startsWith("SCHILY.xattr."))
            continue;
        const name = k.slice("SCHILY.xattr.".length);
        try {
            lsetxattr(path, name, Buffer.from(v, "latin1"));
        }
        catch {
            // e.g. trusted.* on a filesystem without support: keep going, like Docker
        }
    }
    const mtime = h.mtime ?? new Date(0);
    if (isDir) {
        state.dirTimes.push({ path, mtime });
        return;
    }
    try {
        lutimesSync(path, mtime, mtime);
    }
    catch {
        // e.g. a symlink on a filesystem without lutimes: the time is cosmetic
    }
}
/** Writes an entry's body to a new file (never through an existing one: O_EXCL). */
async function writeFileFrom(body, path) {
    const fd = openSync(path, "wx", 0o600);
    try {
        for await (const chunk of body) {
            for (let off = 0; off < chunk.length;)
                off += writeSync(fd, chunk, off);
        }
    }
    finally {
        closeSync(fd);
    }
}
//# sourceMappingURL=apply.js.map