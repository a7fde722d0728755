/**
 * Docker-shaped JSON views of images: `GET /images/json` summaries,
 * `GET /images/{name}/json` inspect and `GET /images/{name}/history`.
 */
import { familiar, parseReference } from "./reference.js";
function splitRefs(refs) {
    const tags = [];
    const digests = [];
    for (const r of refs) {
        const ref = parseReference(r);
        if (ref.digest)
            digests.push(familiar({ ...ref, tag: undefined }));
        else
            tags.push(familiar(ref));
    }
    return { tags: tags.sort(), digests: digests.sort() };
}
/** RepoDigests also list name@<manifest digest> for each tagged name when we hold the manifest. */
function repoDigests(f, tags, digests) {
    const out = new Set(digests);
    if (f.rec.manifest) {
        for (const t of tags) {
            const ref = parseReference(t);
            out.add(familiar({ ...ref, tag: undefined, digest: f.rec.manifest.digest }));
        }
    }
    return [...out];
}
export function createdSeconds(config) {
    const t = config.created ? Date.parse(config.created) : 0;
    return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}
export function summary(f) {
    const { tags, digests } = splitRefs(f.refs);
    const rd = repoDigests(f, tags, digests);
    return {
        Id: f.rec.id,
        ParentId: f.rec.parent ?? "",
        RepoTags: tags.length ? tags : ["<none>:<none>"],
        RepoDigests: rd.length ? rd : tags.length ? [] : ["<none>@<none>"],
        Created: createdSeconds(f.config),
        Size: f.size,
        SharedSize: -1,
        VirtualSize: f.size,
        Labels: f.config.config?.Labels ?? null,
        Containers: -1,
    };
}
const emptyContainerConfig = {
    Hostname: "",
    Domainname: "",
    User: "",
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: null,
    Cmd: null,
    Image: "",
    Volumes: null,
    WorkingDir: "",
    Entrypoint: null,
    OnBuild: null,
    Labels: null,
};
export function inspect(f) {
    const { tags, digests } = splitRefs(f.refs);
    const c = f.config;
    return {
        Id: f.rec.id,
        RepoTags: tags,
        RepoDigests: repoDigests(f, tags, digests),
        Parent: f.rec.parent ?? "",
        Comment: c.comment ?? "",
        Created: c.created ?? new Date(0).toISOString(),
        Container: c.container ?? "",
        ContainerConfig: { ...emptyContainerConfig, ...(c.container_config ?? {}) },
        DockerVersion: c.docker_version ?? "",
        Author: c.author ?? "",
        Config: { ...emptyContainerConfig, ...(c.config ?? {}) },
        Architecture: c.architecture,
        ...(c.variant ? { Variant: c.variant } : {}),
        Os: c.os,
        Size: f.size,
        VirtualSize: f.size,
        GraphDriver: { Name: "overlay2", Data: f.graphDriver },
        RootFS: { Type: "layers", Layers: c.rootfs.diff_ids },
        Metadata: {
            LastTagTime: f.rec.lastTagTime ? new Date(f.rec.lastTagTime).toISOString() : "0001-01-01T00:00:00Z",
        },
    };
}
/**
 * History rows newest first. `idOfPrefix(n)` names the local image whose
 * history is the first n entries (the image itself or a parent), as Docker
 * shows; other rows are "<missing>".
 */
export function history(f, idOfPrefix) {
    const entries = f.config.history?.length
        ? f.config.history
        : f.config.rootfs.diff_ids.map(() => ({ created: f.config.created, created_by: "" }));
    let layer = 0;
    const rows = entries.map((h, i) => {
        const size = h.empty_layer ? 0 : (f.layerSizes[layer++] ?? 0);
        const owner = idOfPrefix(i + 1);
        return {
            Id: owner?.id ?? "<missing>",
            Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
            CreatedBy: h.created_by ?? "",
            Tags: owner?.tags.length ? owner.tags : null,
            Size: size,
            Comment: h.comment ?? "",
        };
    });
    return rows.reverse();
}
//# sourceMappingURL=view.js.map