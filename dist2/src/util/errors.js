export class BerthError extends Error {
    kind;
    constructor(kind, message, options) {
        super(message, options);
        this.kind = kind;
        this.name = kind;
    }
}
export const notFound = (message) => new BerthError("NotFound", message);
export const conflict = (message) => new BerthError("Conflict", message);
export const invalid = (message) => new BerthError("InvalidParameter", message);
export const forbidden = (message) => new BerthError("Forbidden", message);
export const notModified = (message) => new BerthError("NotModified", message);
export function isKind(err, kind) {
    return err instanceof BerthError && err.kind === kind;
}
/** True for an fs error with the given code (ENOENT, EEXIST, ...). */
export function isErrno(err, code) {
    return typeof err === "object" && err !== null && err.code === code;
}
/** strerror texts (as Go, and so Docker, prints them) of the errors a full or failing disk gives. */
const DISK_ERRORS = {
    ENOSPC: "no space left on device",
    EDQUOT: "disk quota exceeded",
    EIO: "input/output error",
    EROFS: "read-only file system",
    EFBIG: "file too large",
};
/**
 * A disk error (ENOSPC, EDQUOT, EIO, EROFS, EFBIG) from `op` on `path`,
 * reworded to name the path ("write /var/lib/berth/...: no space left on
 * device"): Node leaves it out of write/fsync errors. The code and errno are
 * kept; any other error is returned unchanged.
 */
export function withPath(err, path, op = "write") {
    const e = err;
    const text = typeof e?.code === "string" ? DISK_ERRORS[e.code] : undefined;
    // Named already (by Node for open/mkdir, or by an inner withPath): the innermost path is the precise one.
    if (!text || e.path !== undefined)
        return err;
    const out = new Error(`${op} ${path}: ${text}`, { cause: err });
    out.code = e.code;
    out.errno = e.errno;
    out.path = path;
    return out;
}
//# sourceMappingURL=errors.js.map