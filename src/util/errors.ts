/**
 * Typed errors shared by every module. The API layer maps each kind to one
 * HTTP status in one place (api/errors.ts); nothing below the API knows HTTP.
 */
export type ErrorKind =
  | "NotFound"
  | "Conflict"
  | "InvalidParameter"
  | "Forbidden"
  | "NotModified"
  | "Unavailable"
  | "Unauthorized"
  | "NotImplemented";

export class BerthError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = kind;
  }
}

export const notFound = (message: string) => new BerthError("NotFound", message);
export const conflict = (message: string) => new BerthError("Conflict", message);
export const invalid = (message: string) => new BerthError("InvalidParameter", message);
export const forbidden = (message: string) => new BerthError("Forbidden", message);
export const notModified = (message: string) => new BerthError("NotModified", message);
export const notImplemented = (message: string) => new BerthError("NotImplemented", message);

export function isKind(err: unknown, kind: ErrorKind): boolean {
  return err instanceof BerthError && err.kind === kind;
}

/** True for an fs error with the given code (ENOENT, EEXIST, ...). */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as NodeJS.ErrnoException).code === code;
}

/** strerror texts (as Go, and so Docker, prints them) of the errors a full or failing disk gives. */
const DISK_ERRORS: Record<string, string> = {
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
export function withPath(err: unknown, path: string, op = "write"): unknown {
  const e = err as NodeJS.ErrnoException;
  const text = typeof e?.code === "string" ? DISK_ERRORS[e.code] : undefined;
  // Named already (by Node for open/mkdir, or by an inner withPath): the innermost path is the precise one.
  if (!text || e.path !== undefined) return err;
  const out = new Error(`${op} ${path}: ${text}`, { cause: err }) as NodeJS.ErrnoException;
  out.code = e.code;
  out.errno = e.errno;
  out.path = path;
  return out;
}
