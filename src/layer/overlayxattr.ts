/**
 * overlayfs keeps its metadata (opaque dirs, redirects) in xattrs: trusted.overlay.*
 * when mounted by root, user.overlay.* when mounted inside a user namespace with the
 * `userxattr` option (kernel 5.11+), where trusted.* cannot be written. Rootless berthd
 * switches once at start, before any layer is unpacked.
 */
let user = false;

/** Use user.overlay.* (rootless) instead of trusted.overlay.*. */
export function useUserOverlayXattrs(on: boolean): void {
  user = on;
}

/** True when overlay mounts need the `userxattr` option. */
export function userOverlayXattrs(): boolean {
  return user;
}

/** The xattr that marks an opaque directory in an upper or layer dir. */
export function opaqueXattr(): string {
  return user ? "user.overlay.opaque" : "trusted.overlay.opaque";
}

/** overlayfs' own xattrs, in either namespace: never read from nor written into a tar. */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.");
}
