/**
 * Image references normalised as Docker does:
 *   busybox            -> docker.io/library/busybox:latest
 *   localhost:5000/a/b:t, name@sha256:<hex>, registry.io/x/y:tag@sha256:<hex>
 * `familiar` gives back the short form users see (busybox:latest).
 */
import { invalid } from "../util/errors.js";
export const DEFAULT_DOMAIN = "docker.io";
const LEGACY_DOMAIN = "index.docker.io";
const OFFICIAL_PREFIX = "library/";
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;
/** Parses and normalises a reference; with no tag and no digest, `latest` is NOT added (see withDefaultTag). */
export function parseReference(input) {
    const s = input.trim();
    if (s === "")
        throw invalid("invalid reference format");
    let rest = s;
    let digest;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
        if (!DIGEST.test(digest))
            throw invalid(`invalid reference format: invalid digest "${digest}"`);
    }
    let tag;
    const lastColon = rest.lastIndexOf(":");
    if (lastColon > rest.lastIndexOf("/")) {
        tag = rest.slice(lastColon + 1);
        rest = rest.slice(0, lastColon);
        if (!TAG.test(tag))
            throw invalid(`invalid reference format: invalid tag "${tag}"`);
    }
    let domain = DEFAULT_DOMAIN;
    let path = rest;
    const slash = rest.indexOf("/");
    if (slash >= 0) {
        const first = rest.slice(0, slash);
        if (first.includes(".") ||
            first.includes(":") ||
            first === "localhost" ||
            first !== first.toLowerCase()) {
            domain = first;
            path = rest.slice(slash + 1);
            if (!DOMAIN.test(domain))
                throw invalid(`invalid reference format: invalid registry "${domain}"`);
        }
    }
    if (domain === LEGACY_DOMAIN)
        domain = DEFAULT_DOMAIN;
    if (domain === DEFAULT_DOMAIN && !path.includes("/"))
        path = OFFICIAL_PREFIX + path;
    if (path !== path.toLowerCase())
        throw invalid("invalid reference format: repository name must be lowercase");
    const parts = path.split("/");
    if (parts.some((p) => !COMPONENT.test(p)))
        throw invalid("invalid reference format");
    if (domain.length + path.length > 255)
        throw invalid("invalid reference format: repository name too long");
    return { domain, path, tag, digest };
}
export function withDefaultTag(ref) {
    return ref.tag || ref.digest ? ref : { ...ref, tag: "latest" };
}
/** docker.io/library/busybox */
export function repository(ref) {
    return `${ref.domain}/${ref.path}`;
}
/** Canonical string: docker.io/library/busybox:latest or ...@sha256:... */
export function canonical(ref) {
    let s = repository(ref);
    if (ref.tag)
        s += `:${ref.tag}`;
    if (ref.digest)
        s += `@${ref.digest}`;
    return s;
}
/** The short form Docker shows: busybox, myuser/app, localhost:5000/a/b */
export function familiarRepository(ref) {
    if (ref.domain !== DEFAULT_DOMAIN)
        return repository(ref);
    return ref.path.startsWith(OFFICIAL_PREFIX) ? ref.path.slice(OFFICIAL_PREFIX.length) : ref.path;
}
export function familiar(ref) {
    let s = familiarRepository(ref);
    if (ref.tag)
        s += `:${ref.tag}`;
    if (ref.digest)
        s += `@${ref.digest}`;
    return s;
}
/** True when `s` looks like an image ID or ID prefix rather than a name. */
export function looksLikeId(s) {
    return /^(sha256:)?[a-f0-9]{1,64}$/.test(s);
}
//# sourceMappingURL=reference.js.map