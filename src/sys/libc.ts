/**
 * The one bridge to syscalls Node lacks (mount, flock, mknod, xattrs,
 * openat2/openat/readlinkat for fd-relative path walks, unix datagrams for
 * sd_notify). Built on koffi's libc FFI; every other module imports these
 * typed wrappers and never koffi itself. Every call here is a short,
 * non-blocking syscall made on the calling thread: nothing waits on libuv's pool.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: koffi's typings are loose by design
const koffi: any = require("koffi");
const libc = koffi.load("libc.so.6");

const c = {
  mount: libc.func(
    "int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)",
  ),
  umount2: libc.func("int umount2(const char *target, int flags)"),
  flock: libc.func("int flock(int fd, int op)"),
  mknod: libc.func("int mknod(const char *path, uint32_t mode, uint64_t dev)"),
  lsetxattr: libc.func(
    "int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)",
  ),
  lgetxattr: libc.func(
    "intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)",
  ),
  llistxattr: libc.func("intptr_t llistxattr(const char *path, _Out_ void *list, size_t size)"),
  socket: libc.func("int socket(int domain, int type, int protocol)"),
  close: libc.func("int close(int fd)"),
  syscall4: libc.func("long syscall(long nr, ...)"),
  openat: libc.func("int openat(int dirfd, const char *path, int flags, uint32_t mode)"),
  readlinkat: libc.func("intptr_t readlinkat(int dirfd, const char *path, _Out_ void *buf, size_t size)"),
  fcntl: libc.func("int fcntl(int fd, int cmd, int arg)"),
  setxattr: libc.func(
    "int setxattr(const char *path, const char *name, const void *value, size_t size, int flags)",
  ),
  strerror: libc.func("const char *strerror(int errnum)"),
};

export class SyscallError extends Error {
  constructor(
    readonly syscall: string,
    readonly errno: number,
    detail: string,
  ) {
    super(`${syscall} ${detail}: ${c.strerror(errno)}`);
    this.name = "SyscallError";
  }
  get code(): string {
    return errnoName(this.errno);
  }
}

const errnoNames: Record<number, string> = Object.fromEntries(
  Object.entries(koffi.os.errno as Record<string, number>).map(([k, v]) => [v, k]),
);
function errnoName(n: number): string {
  return errnoNames[n] ?? `E${n}`;
}

function check(ret: number | bigint, syscall: string, detail: string): number {
  const n = Number(ret);
  if (n < 0) throw new SyscallError(syscall, koffi.errno(), detail);
  return n;
}

export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_REMOUNT = 32;
export const MS_BIND = 4096;
export const MS_REC = 16384;
export const MS_PRIVATE = 1 << 18;
export const MNT_DETACH = 2;

export function mount(
  source: string,
  target: string,
  fstype: string | null,
  flags: number,
  data: string | null,
) {
  check(c.mount(source, target, fstype, flags, data), "mount", `${fstype ?? ""} ${target}`);
}

export function umount(target: string, flags = 0): void {
  check(c.umount2(target, flags), "umount", target);
}

export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

/** flock(2) on an open fd; throws SyscallError (code EWOULDBLOCK) when held elsewhere with LOCK_NB. */
export function flock(fd: number, op: number): void {
  check(c.flock(fd, op), "flock", `fd ${fd}`);
}

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  check(c.mknod(path, mode, makedev(major, minor)), "mknod", path);
}

/** Sets an extended attribute on the path itself (not a symlink's target). */
export function lsetxattr(path: string, name: string, value: Uint8Array): void {
  check(c.lsetxattr(path, name, value, value.length, 0), "setxattr", `${path} ${name}`);
}

/** The value of an xattr, or undefined when it is not set. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const buf = Buffer.alloc(65536);
  const n = Number(c.lgetxattr(path, name, buf, buf.length));
  if (n < 0) {
    const e = koffi.errno();
    if (e === koffi.os.errno.ENODATA || e === koffi.os.errno.ENOTSUP) return undefined;
    throw new SyscallError("getxattr", e, `${path} ${name}`);
  }
  return buf.subarray(0, n);
}

export function llistxattr(path: string): string[] {
  const buf = Buffer.alloc(65536);
  const n = Number(c.llistxattr(path, buf, buf.length));
  if (n < 0) {
    const e = koffi.errno();
    if (e === koffi.os.errno.ENOTSUP) return [];
    throw new SyscallError("listxattr", e, path);
  }
  return buf
    .subarray(0, n)
    .toString("utf8")
    .split("\0")
    .filter((s) => s.length > 0);
}

const AF_UNIX = 1;
const SOCK_CLOEXEC = 0o2000000;

function sockaddrUn(path: string): Buffer {
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(AF_UNIX, 0);
  const p = Buffer.from(path);
  if (p.length > 107) throw new Error(`socket path too long: ${path}`);
  p.copy(addr, 2);
  return addr;
}

const SOCK_DGRAM = 2;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;
const dgram = {
  sendto: libc.func(
    "intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t alen)",
  ),
  fcntl: libc.func("int fcntl(int fd, int cmd, int arg)"),
};

/**
 * Sends one datagram to the unix socket at `path` ("@name" is the abstract
 * namespace, as systemd's NOTIFY_SOCKET writes it) without blocking: Node's
 * dgram module has no unix datagram sockets. Throws SyscallError.
 */
export function sendUnixDatagram(path: string, data: Buffer): void {
  const abstract = path.startsWith("@");
  const addr = sockaddrUn(abstract ? `\0${path.slice(1)}` : path);
  // An abstract name's length is exact (no trailing NUL counts).
  const len = abstract ? 2 + Buffer.byteLength(path) : addr.length;
  const fd = check(c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket", path);
  try {
    check(dgram.sendto(fd, data, data.length, MSG_DONTWAIT | MSG_NOSIGNAL, addr, len), "sendto", path);
  } finally {
    c.close(fd);
  }
}

/** Marks an inherited fd close-on-exec (socket-activation fds must not reach containers). */
export function setCloexec(fd: number): void {
  const flags = check(dgram.fcntl(fd, F_GETFD, 0), "fcntl", `fd ${fd}`);
  check(dgram.fcntl(fd, F_SETFD, flags | FD_CLOEXEC), "fcntl", `fd ${fd}`);
}

/* --- fd-relative path resolution (used by layer/securejoin.ts) --- */

/** open(2) flags Node's fs.constants lacks (same values on x86_64 and arm64). */
export const O_PATH = 0o10000000;
export const O_CLOEXEC = 0o2000000;
/** openat2(2) resolve flags (linux/openat2.h). */
export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;
/** Syscall number of openat2: the same on every architecture (added in 5.6). */
const SYS_openat2 = 437;

/**
 * openat2(2): opens `path` relative to `dirfd` with `resolve` restrictions.
 * Returns the new fd; throws SyscallError (code ENOSYS on kernels < 5.6,
 * EXDEV/ELOOP when a restriction is hit, EAGAIN when a rename raced).
 */
export function openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number {
  const how = Buffer.alloc(24);
  how.writeBigUInt64LE(BigInt(flags), 0);
  how.writeBigUInt64LE(BigInt(mode), 8);
  how.writeBigUInt64LE(BigInt(resolve), 16);
  const r = c.syscall4(SYS_openat2, "int", dirfd, "str", path, "void *", how, "size_t", 24);
  return check(r, "openat2", path);
}

/** openat(2); throws SyscallError. */
export function openat(dirfd: number, path: string, flags: number, mode = 0): number {
  return check(c.openat(dirfd, path, flags, mode), "openat", path);
}

/** readlinkat(2) on `dirfd`/`path` (an O_PATH fd of a symlink with path ""). */
export function readlinkat(dirfd: number, path = ""): string {
  const buf = Buffer.alloc(4096);
  const n = check(c.readlinkat(dirfd, path, buf, buf.length), "readlinkat", path || `fd ${dirfd}`);
  return buf.subarray(0, n).toString("utf8");
}

const F_DUPFD_CLOEXEC = 1030;

/** A close-on-exec duplicate of `fd`. */
export function dupFd(fd: number): number {
  return check(c.fcntl(fd, F_DUPFD_CLOEXEC, 0), "fcntl", `fd ${fd}`);
}

/** close(2), ignoring errors (the fd is gone either way). */
export function closeFd(fd: number): void {
  c.close(fd);
}

/** setxattr(2), following the path (for /proc/self/fd/N magic links to a directory). */
export function setxattr(path: string, name: string, value: Uint8Array): void {
  check(c.setxattr(path, name, value, value.length, 0), "setxattr", `${path} ${name}`);
}
