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
export const tooLarge = (message: string) => new BerthError("TooLarge", message);

export function isKind(err: unknown, kind: ErrorKind): boolean {
  return err instanceof BerthError && err.kind === kind;
}

/** True for an fs error with the given code (ENOENT, EEXIST, ...). */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as NodeJS.ErrnoException).code === code;
}
