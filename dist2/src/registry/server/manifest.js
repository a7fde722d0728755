/** Parsing and checking of pushed manifests (Docker schema 2 and OCI image manifests and indexes). */
import { fail } from "./errors.js";
import { validDigest } from "./storage.js";
export const MEDIA = {
    dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
    dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
    ociManifest: "application/vnd.oci.image.manifest.v1+json",
    ociIndex: "application/vnd.oci.image.index.v1+json",
};
const IMAGE_TYPES = new Set([MEDIA.dockerManifest, MEDIA.ociManifest]);
const INDEX_TYPES = new Set([MEDIA.dockerList, MEDIA.ociIndex]);
function descriptor(v, where) {
    const d = v;
    if (!d ||
        typeof d !== "object" ||
        typeof d.mediaType !== "string" ||
        typeof d.digest !== "string" ||
        !validDigest(d.digest) ||
        typeof d.size !== "number" ||
        !Number.isSafeInteger(d.size) ||
        d.size < 0)
        throw fail("MANIFEST_INVALID", `invalid descriptor in ${where}`, { descriptor: v });
    return d;
}
function descriptors(v, where) {
    if (!Array.isArray(v))
        throw fail("MANIFEST_INVALID", `${where} must be an array`);
    return v.map((d) => descriptor(d, where));
}
/** The media type the manifest declares, else the request's Content-Type, else what its shape says. */
function mediaTypeOf(m, contentType) {
    const header = contentType?.split(";")[0].trim().toLowerCase();
    const known = (t) => !!t && (IMAGE_TYPES.has(t) || INDEX_TYPES.has(t));
    if (typeof m.mediaType === "string") {
        if (known(header) && header !== m.mediaType)
            throw fail("MANIFEST_INVALID", `mediaType ${m.mediaType} does not match Content-Type ${header}`);
        return m.mediaType;
    }
    if (known(header))
        return header;
    return Array.isArray(m.manifests) ? MEDIA.ociIndex : MEDIA.ociManifest;
}
export function parseManifest(body, contentType) {
    let m;
    try {
        m = JSON.parse(body.toString("utf8"));
    }
    catch {
        throw fail("MANIFEST_INVALID", "manifest is not valid JSON");
    }
    if (!m || typeof m !== "object" || Array.isArray(m))
        throw fail("MANIFEST_INVALID", "manifest is not an object");
    if (m.schemaVersion !== 2)
        throw fail("MANIFEST_INVALID", "only schemaVersion 2 manifests are accepted");
    const mediaType = mediaTypeOf(m, contentType);
    const out = { mediaType, blobs: [], children: [] };
    if (IMAGE_TYPES.has(mediaType)) {
        const config = descriptor(m.config, "config");
        out.blobs = [config, ...descriptors(m.layers ?? [], "layers")];
        out.configMediaType = config.mediaType;
    }
    else if (INDEX_TYPES.has(mediaType)) {
        out.children = descriptors(m.manifests, "manifests");
    }
    else {
        throw fail("MANIFEST_INVALID", `unsupported manifest media type ${mediaType}`);
    }
    if (m.subject !== undefined)
        out.subject = descriptor(m.subject, "subject");
    if (typeof m.artifactType === "string")
        out.artifactType = m.artifactType;
    if (m.annotations && typeof m.annotations === "object")
        out.annotations = m.annotations;
    return out;
}
/** Blobs that must be in the repository: foreign layers (with urls) are fetched elsewhere. */
export function requiredBlobs(p) {
    return p.blobs.filter((d) => !(Array.isArray(d.urls) && d.urls.length > 0));
}
/** The descriptor the referrers API lists for a manifest (artifactType falls back to the config's type). */
export function referrerDescriptor(p, digest, size) {
    const d = { mediaType: p.mediaType, digest, size };
    const artifactType = p.artifactType ?? (IMAGE_TYPES.has(p.mediaType) ? p.configMediaType : undefined);
    if (artifactType)
        d.artifactType = artifactType;
    if (p.annotations)
        d.annotations = p.annotations;
    return d;
}
/** Every digest a stored manifest keeps alive (for the garbage collector); lenient on bad input. */
export function referencedDigests(body) {
    try {
        const m = JSON.parse(body.toString("utf8"));
        const all = [m.config, ...(m.layers ?? []), ...(m.manifests ?? [])];
        return all
            .map((d) => d?.digest)
            .filter((d) => typeof d === "string" && validDigest(d));
    }
    catch {
        return [];
    }
}
//# sourceMappingURL=manifest.js.map