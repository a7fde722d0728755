/** The distribution-spec error body and the status each error code goes with. */

export class DistributionError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const STATUS: Record<string, number> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  TAG_INVALID: 400,
  RANGE_INVALID: 416,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
};

/** An error with the spec's usual status for `code`. */
export function fail(code: string, message: string, detail?: unknown): DistributionError {
  return new DistributionError(STATUS[code] ?? 400, code, message, detail);
}

export function errorBody(e: DistributionError): string {
  const err: Record<string, unknown> = { code: e.code, message: e.message };
  if (e.detail !== undefined) err.detail = e.detail;
  return JSON.stringify({ errors: [err] });
}
