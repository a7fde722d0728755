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
