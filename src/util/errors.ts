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
  | "NotImplemented"
  | "TooLarge";

/** The stable code of each kind, as undici's UND_ERR_* codes: for logs and callers, never parsed from messages. */
export const ERROR_CODES: Record<ErrorKind, string> = {
  NotFound: "BERTH_ERR_NOT_FOUND",
  Conflict: "BERTH_ERR_CONFLICT",
  InvalidParameter: "BERTH_ERR_INVALID_PARAMETER",
  Forbidden: "BERTH_ERR_FORBIDDEN",
  NotModified: "BERTH_ERR_NOT_MODIFIED",
  Unavailable: "BERTH_ERR_UNAVAILABLE",
  Unauthorized: "BERTH_ERR_UNAUTHORIZED",
  NotImplemented: "BERTH_ERR_NOT_IMPLEMENTED",
  TooLarge: "BERTH_ERR_TOO_LARGE",
};

/**
 * An error of a deliberate kind: `kind` decides the HTTP status (api/errors.ts),
 * `code` is its stable code, `cause` the lower error it explains, if any.
 */
export class BerthError extends Error {
  readonly code: string;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    // No own `cause` property when there is none (logs would show `cause: undefined`).
    super(message, options?.cause === undefined ? undefined : options);
    this.name = kind;
    this.code = ERROR_CODES[kind];
  }
}

export const notFound = (message: string, cause?: unknown) => new BerthError("NotFound", message, { cause });
export const conflict = (message: string, cause?: unknown) => new BerthError("Conflict", message, { cause });
export const invalid = (message: string, cause?: unknown) =>
  new BerthError("InvalidParameter", message, { cause });
export const forbidden = (message: string, cause?: unknown) =>
  new BerthError("Forbidden", message, { cause });
export const notModified = (message: string) => new BerthError("NotModified", message);
export const notImplemented = (message: string) => new BerthError("NotImplemented", message);
export const tooLarge = (message: string) => new BerthError("TooLarge", message);
export const unavailable = (message: string, cause?: unknown) =>
  new BerthError("Unavailable", message, { cause });

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
