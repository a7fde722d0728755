/**
 * Docker's `filters` query parameter: JSON of name -> values, either
 * {"label":["a=b"]} or the legacy {"label":{"a=b":true}}.
 */

import { familiar, parseReference } from "../image/reference.js";
import type { ImageFacts } from "../image/view.js";
import { createdSeconds } from "../image/view.js";
import { invalid } from "../util/errors.js";

export type Filters = Map<string, string[]>;

export function parseFilters(raw: string | null | undefined): Filters {
  const out: Filters = new Map();
  if (!raw) return out;
  let obj: unknown;
  try {
    obj = JSON.parse(raw);
  } catch {
    throw invalid(`invalid filter: ${raw}`);
  }
  if (typeof obj !== "object" || obj === null) throw invalid(`invalid filter: ${raw}`);
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (Array.isArray(v)) out.set(k, v.map(String));
    else if (v && typeof v === "object") out.set(k, Object.keys(v));
    else throw invalid(`invalid filter '${k}'`);
  }
  return out;
}

export function checkFilterNames(f: Filters, allowed: string[]): void {
  for (const k of f.keys()) if (!allowed.includes(k)) throw invalid(`invalid filter '${k}'`);
}

/** Go's path.Match subset: * ? [...] */
export function globMatch(pattern: string, s: string): boolean {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else if (ch === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) return false;
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith("^")) cls = `!${cls.slice(1)}`;
      re += `[${cls.startsWith("!") ? `^${cls.slice(1)}` : cls}]`;
      i = end;
    } else if (ch === "\\" && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else re += ch.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`${re}$`).test(s);
}

/** label=key or label=key=value against a label map. */
export function matchLabels(labels: Record<string, string> | null | undefined, wanted: string[]): boolean {
  return wanted.every((w) => {
    const i = w.indexOf("=");
    if (i < 0) return labels != null && w in labels;
    return labels?.[w.slice(0, i)] === w.slice(i + 1);
  });
}

export function isTrue(v: string): boolean {
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw invalid(`Invalid filter value: ${v}`);
}

interface ImageResolver {
  store: { resolve(name: string): { id: string } };
  facts(rec: { id: string }): Promise<ImageFacts>;
}

export async function matchesImageFilters(
  f: ImageFacts,
  filters: Filters,
  images: ImageResolver,
  forPrune = false,
): Promise<boolean> {
  checkFilterNames(filters, ["dangling", "label", "label!", "before", "since", "reference", "until"]);
  const dangling = filters.get("dangling");
  if (dangling?.length && !forPrune) {
    const want = isTrue(dangling[0]!);
    if ((f.refs.filter((r) => !r.includes("@")).length === 0) !== want) return false;
  }
  const labels = f.config.config?.Labels;
  const label = filters.get("label");
  if (label && !matchLabels(labels, label)) return false;
  const notLabel = filters.get("label!");
  if (notLabel?.some((l) => matchLabels(labels, [l]))) return false;
  const created = createdSeconds(f.config);
  for (const b of filters.get("before") ?? []) {
    const other = await images.facts(images.store.resolve(b) as never);
    if (created >= createdSeconds(other.config)) return false;
  }
  for (const s of filters.get("since") ?? []) {
    const other = await images.facts(images.store.resolve(s) as never);
    if (created <= createdSeconds(other.config)) return false;
  }
  for (const u of filters.get("until") ?? []) {
    // A duration ("1h"), Unix seconds or a date, as prune's until everywhere.
    if (created >= untilTime(u) / 1000) return false;
  }
  const refFilter = filters.get("reference");
  if (refFilter?.length) {
    const names = f.refs.map((r) => parseReference(r)).filter((r) => r.tag);
    const ok = refFilter.some((pat) =>
      names.some((r) => {
        const fam = familiar(r);
        const repo = familiar({ ...r, tag: undefined });
        return globMatch(pat, fam) || globMatch(pat, repo);
      }),
    );
    if (!ok) return false;
  }
  return true;
}

const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/**
 * A prune `until` value as Docker's timetypes.GetTimestamp reads it: a Go
 * duration before now ("24h", "1h30m"), Unix seconds, or an RFC 3339 date.
 * Returns milliseconds since the epoch; throws InvalidParameter otherwise.
 */
export function untilTime(v: string, now = Date.now()): number {
  if (DURATION.test(v)) {
    let ms = 0;
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    return now - ms;
  }
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = /^\d{4}-\d\d-\d\d/.test(v) ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(t)) throw invalid(`invalid filter 'until=${v}': not a duration, Unix timestamp or date`);
  return t;
}

/**
 * The filters of the prune operations (`until`, `label`, `label!`), as
 * Docker's: an object is pruned when created before every `until`, carrying
 * every `label` and none of the `label!`. Throws InvalidParameter on another filter name.
 */
export function pruneFilter(
  f: Filters,
): (o: { labels: Record<string, string> | null | undefined; created: string }) => boolean {
  checkFilterNames(f, ["until", "label", "label!"]);
  const until = (f.get("until") ?? []).map((v) => untilTime(v));
  const labels = f.get("label");
  const notLabels = f.get("label!") ?? [];
  return (o) =>
    until.every((t) => Date.parse(o.created) < t) &&
    (!labels || matchLabels(o.labels, labels)) &&
    !notLabels.some((l) => matchLabels(o.labels, [l]));
}

/**
 * Docker's filters.Match: the filter value is a regular expression searched
 * in `source` (so `name=web` matches `webapp`, `name=^web$` only `web`); a
 * value that is not a valid expression matches nothing.
 */
export function matchPattern(pattern: string, source: string): boolean {
  try {
    return new RegExp(pattern).test(source);
  } catch {
    return false;
  }
}
