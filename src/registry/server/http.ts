/** Small response and request helpers shared by the route handlers. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { DistributionError, fail } from "./errors.js";

export type Headers = Record<string, string | number>;

export function send(
  res: ServerResponse,
  status: number,
  headers: Headers = {},
  body?: string | Buffer,
): void {
  const h: Headers = { ...headers, "Content-Length": body === undefined ? 0 : Buffer.byteLength(body) };
  res.writeHead(status, h);
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Headers = {}): void {
  send(res, status, { "Content-Type": "application/json; charset=utf-8", ...headers }, JSON.stringify(value));
}

/** The whole request body, refused past `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new DistributionError(413, "SIZE_INVALID", `body larger than ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * A single `bytes=` range over `size` bytes: null to serve the whole body (no or multi-range header),
 * throws RANGE_INVALID (416) when it cannot be satisfied.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (m[2] === "" || suffix === 0) throw rangeError(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) throw rangeError(size);
  return { start, end };
}

function rangeError(size: number): DistributionError {
  const e = fail("RANGE_INVALID", "requested range not satisfiable");
  return new DistributionError(e.status, e.code, e.message, { size }, { "Content-Range": `bytes */${size}` });
}

/** Items after `last`, at most `n` of them; `next` is the last item returned when more remain. */
export function paginate(items: string[], q: URLSearchParams): { page: string[]; n?: number; next?: string } {
  const last = q.get("last");
  let rest = last ? items.filter((i) => i > last) : items;
  const nText = q.get("n");
  if (nText === null || nText === "") return { page: rest };
  const n = Number(nText);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new DistributionError(400, "PAGINATION_NUMBER_INVALID", `invalid n=${nText}`);
  const more = rest.length > n;
  rest = rest.slice(0, n);
  return more && n > 0 ? { page: rest, n, next: rest[rest.length - 1] } : { page: rest, n };
}

export function nextLink(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}
