/** OCI image-spec and Docker schema2 document shapes that berth reads and writes. */
export const MediaType = {
    OciIndex: "application/vnd.oci.image.index.v1+json",
    OciManifest: "application/vnd.oci.image.manifest.v1+json",
    OciConfig: "application/vnd.oci.image.config.v1+json",
    OciLayer: "application/vnd.oci.image.layer.v1.tar",
    OciLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
    OciLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
    DockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
    DockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
    DockerConfig: "application/vnd.docker.container.image.v1+json",
    DockerLayer: "application/vnd.docker.image.rootfs.diff.tar",
    DockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
    DockerForeignLayerGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
};
export function isIndexType(mediaType) {
    return mediaType === MediaType.OciIndex || mediaType === MediaType.DockerManifestList;
}
export function isManifestType(mediaType) {
    return mediaType === MediaType.OciManifest || mediaType === MediaType.DockerManifest;
}
export function isGzipLayer(mediaType) {
    return mediaType.endsWith("gzip");
}
/** The host platform in OCI words. */
export function hostPlatform() {
    const arch = {
        x64: "amd64",
        arm64: "arm64",
        arm: "arm",
        ia32: "386",
        ppc64: "ppc64le",
        s390x: "s390x",
    };
    return { architecture: arch[process.arch] ?? process.arch, os: "linux" };
}
//# sourceMappingURL=types.js.map