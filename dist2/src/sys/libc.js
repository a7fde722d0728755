/**
 * The one bridge to syscalls Node lacks (mount, flock, mknod, xattrs,
 * SOCK_SEQPACKET sockets). Built on koffi's libc FFI; every other module
 * imports these typed wrappers and never koffi itself.
 * Calls that may block (connect, read on a seqpacket socket) run on koffi's
 * worker threads via `.async` so the event loop never stalls.
 */
import { createRequire } from "node:module";
import { promisify } from "node:util";
const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: koffi's typings are loose by design
const koffi = require("koffi");
const libc = koffi.load("libc.so.6");
const c = {
    mount: libc.func("int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)"),
    umount2: libc.func("int umount2(const char *target, int flags)"),
    flock: libc.func("int flock(int fd, int op)"),
    mknod: libc.func("int mknod(const char *path, uint32_t mode, uint64_t dev)"),
    lsetxattr: libc.func("int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)"),
    lgetxattr: libc.func("intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)"),
    llistxattr: libc.func("intptr_t llistxattr(const char *path, _Out_ void *list, size_t size)"),
    socket: libc.func("int socket(int domain, int type, int protocol)"),
    connect: libc.func("int connect(int fd, const void *addr, uint32_t len)"),
    read: libc.func("intptr_t read(int fd, _Out_ void *buf, size_t count)"),
    write: libc.func("intptr_t write(int fd, const void *buf, size_t count)"),
    shutdown: libc.func("int shutdown(int fd, int how)"),
    close: libc.func("int close(int fd)"),
    strerror: libc.func("const char *strerror(int errnum)"),
};
export class SyscallError extends Error {
    syscall;
    errno;
    constructor(syscall, errno, detail) {
        super(`${syscall} ${detail}: ${c.strerror(errno)}`);
        this.syscall = syscall;
        this.errno = errno;
        this.name = "SyscallError";
    }
    get code() {
        return errnoName(this.errno);
    }
}
const errnoNames = Object.fromEntries(Object.entries(koffi.os.errno).map(([k, v]) => [v, k]));
function errnoName(n) {
    return errnoNames[n] ?? `E${n}`;
}
function check(ret, syscall, detail) {
    const n = Number(ret);
    if (n < 0)
        throw new SyscallError(syscall, koffi.errno(), detail);
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
export function mount(source, target, fstype, flags, data) {
    check(c.mount(source, target, fstype, flags, data), "mount", `${fstype ?? ""} ${target}`);
}
export function umount(target, flags = 0) {
    check(c.umount2(target, flags), "umount", target);
}
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;
/** flock(2) on an open fd; throws SyscallError (code EWOULDBLOCK) when held elsewhere with LOCK_NB. */
export function flock(fd, op) {
    check(c.flock(fd, op), "flock", `fd ${fd}`);
}
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;
export function makedev(major, minor) {
    const ma = BigInt(major);
    const mi = BigInt(minor);
    return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}
export function mknod(path, mode, major = 0, minor = 0) {
    check(c.mknod(path, mode, makedev(major, minor)), "mknod", path);
}
/** Sets an extended attribute on the path itself (not a symlink's target). */
export function lsetxattr(path, name, value) {
    check(c.lsetxattr(path, name, value, value.length, 0), "setxattr", `${path} ${name}`);
}
/** The value of an xattr, or undefined when it is not set. */
export function lgetxattr(path, name) {
    const buf = Buffer.alloc(65536);
    const n = Number(c.lgetxattr(path, name, buf, buf.length));
    if (n < 0) {
        const e = koffi.errno();
        if (e === koffi.os.errno.ENODATA || e === koffi.os.errno.ENOTSUP)
            return undefined;
        throw new SyscallError("getxattr", e, `${path} ${name}`);
    }
    return buf.subarray(0, n);
}
export function llistxattr(path) {
    const buf = Buffer.alloc(65536);
    const n = Number(c.llistxattr(path, buf, buf.length));
    if (n < 0) {
        const e = koffi.errno();
        if (e === koffi.os.errno.ENOTSUP)
            return [];
        throw new SyscallError("listxattr", e, path);
    }
    return buf
        .subarray(0, n)
        .toString("utf8")
        .split("\0")
        .filter((s) => s.length > 0);
}
const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;
function sockaddrUn(path) {
    const addr = Buffer.alloc(110);
    addr.writeUInt16LE(AF_UNIX, 0);
    const p = Buffer.from(path);
    if (p.length > 107)
        throw new Error(`socket path too long: ${path}`);
    p.copy(addr, 2);
    return addr;
}
const connectAsync = promisify(c.connect.async);
const readAsync = promisify(c.read.async);
const writeAsync = promisify(c.write.async);
/**
 * A connected SOCK_SEQPACKET unix socket (conmon's attach socket): each read
 * returns one packet; 0 bytes means the peer closed.
 */
export class SeqPacketSocket {
    fd;
    closed = false;
    constructor(fd) {
        this.fd = fd;
    }
    static async connect(path) {
        const fd = check(c.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), "socket", path);
        const addr = sockaddrUn(path);
        const ret = Number(await connectAsync(fd, addr, addr.length));
        if (ret < 0) {
            const e = koffi.errno();
            c.close(fd);
            throw new SyscallError("connect", e, path);
        }
        return new SeqPacketSocket(fd);
    }
    /** The next packet, or null at end of stream. */
    async read(max = 8192) {
        if (this.closed)
            return null;
        const buf = Buffer.alloc(max);
        const n = Number(await readAsync(this.fd, buf, max));
        if (n < 0) {
            if (this.closed)
                return null;
            throw new SyscallError("read", koffi.errno(), "attach socket");
        }
        return n === 0 ? null : buf.subarray(0, n);
    }
    async write(data) {
        const n = Number(await writeAsync(this.fd, data, data.length));
        if (n < 0)
            throw new SyscallError("write", koffi.errno(), "attach socket");
    }
    /** Half-close: the peer sees EOF on its read side. */
    shutdownWrite() {
        if (!this.closed)
            c.shutdown(this.fd, 1);
    }
    close() {
        if (this.closed)
            return;
        this.closed = true;
        c.shutdown(this.fd, 2);
        c.close(this.fd);
    }
}
//# sourceMappingURL=libc.js.map