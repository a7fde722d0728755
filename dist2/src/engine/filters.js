/**
 * Docker's `filters` query parameter: JSON of name -> values, either
 * {"label":["a=b"]} or the legacy {"label":{"a=b":true}}.
 */
import { familiar, parseReference } from "../image/reference.js";
import { createdSeconds } from "../image/view.js";
import { invalid } from "../util/errors.js";
export function parseFilters(raw) {
    const out = new Map();
    if (!raw)
        return out;
    let obj;
    try {
        obj = JSON.parse(raw);
    }
    catch {
        throw invalid(`invalid filter: ${raw}`);
    }
    if (typeof obj !== "object" || obj === null)
        throw invalid(`invalid filter: ${raw}`);
    for (const [k, v] of Object.entries(obj)) {
        if (Array.isArray(v))
            out.set(k, v.map(String));
        else if (v && typeof v === "object")
            out.set(k, Object.keys(v));
        else
            throw invalid(`invalid filter '${k}'`);
    }
    return out;
}
export function checkFilterNames(f, allowed) {
    for (const k of f.keys())
        if (!allowed.includes(k))
            throw invalid(`invalid filter '${k}'`);
}
/** Go's path.Match subset: * ? [...] */
export function globMatch(pattern, s) {
    let re = "^";
    for (let i = 0; i < pattern.length; i++) {
        const ch = pattern[i];
        if (ch === "*")
            re += "[^/]*";
        else if (ch === "?")
            re += "[^/]";
        else if (ch === "[") {
            const end = pattern.indexOf("]", i + 1);
            if (end < 0)
                return false;
            let cls = pattern.slice(i + 1, end);
            if (cls.startsWith("^"))
                cls = `!${cls.slice(1)}`;
            re += `[${cls.startsWith("!") ? `^${cls.slice(1)}` : cls}]`;
            i = end;
        }
        else if (ch === "\\" && i + 1 < pattern.length)
            re += `\\${pattern[++i]}`;
        else
            re += ch.replace(/[.+^${}()|\\]/g, "\\$&");
    }
    return new RegExp(`${re}$`).test(s);
}
/** label=key or label=key=value against a label map. */
export function matchLabels(labels, wanted) {
    return wanted.every((w) => {
        const i = w.indexOf("=");
        if (i < 0)
            return labels != null && w in labels;
        return labels?.[w.slice(0, i)] === w.slice(i + 1);
    });
}
export function isTrue(v) {
    if (v === "true" || v === "1")
        return true;
    if (v === "false" || v === "0")
        return false;
    throw invalid(`Invalid filter value: ${v}`);
}
export async function matchesImageFilters(f, filters, images, forPrune = false) {
    checkFilterNames(filters, ["dangling", "label", "label!", "before", "since", "reference", "until"]);
    const dangling = filters.get("dangling");
    if (dangling?.length && !forPrune) {
        const want = isTrue(dangling[0]);
        if ((f.refs.filter((r) => !r.includes("@")).length === 0) !== want)
            return false;
    }
    const labels = f.config.config?.Labels;
    const label = filters.get("label");
    if (label && !matchLabels(labels, label))
        return false;
    const notLabel = filters.get("label!");
    if (notLabel?.some((l) => matchLabels(labels, [l])))
        return false;
    const created = createdSeconds(f.config);
    for (const b of filters.get("before") ?? []) {
        const other = await images.facts(images.store.resolve(b));
        if (created >= createdSeconds(other.config))
            return false;
    }
    for (const s of filters.get("since") ?? []) {
        const other = await images.facts(images.store.resolve(s));
        if (created <= createdSeconds(other.config))
            return false;
    }
    for (const u of filters.get("until") ?? []) {
        const t = /^\d+(\.\d+)?$/.test(u) ? Number(u) : Date.parse(u) / 1000;
        if (created >= t)
            return false;
    }
    const refFilter = filters.get("reference");
    if (refFilter?.length) {
        const names = f.refs.map((r) => parseReference(r)).filter((r) => r.tag);
        const ok = refFilter.some((pat) => names.some((r) => {
            const fam = familiar(r);
            const repo = familiar({ ...r, tag: undefined });
            return globMatch(pat, fam) || globMatch(pat, repo);
        }));
        if (!ok)
            return false;
    }
    return true;
}
//# sourceMappingURL=filters.js.map