/**
 * systemd integration, as dockerd does it: sockets passed by socket
 * activation (sd_listen_fds: LISTEN_PID, LISTEN_FDS, fds from 3) serve
 * `-H fd://` (all of them) or `-H fd://N` (that one), and readiness goes to
 * NOTIFY_SOCKET (sd_notify: "READY=1", a datagram on a unix socket) once the
 * API serves. Both are no-ops outside systemd.
 */
import { sendUnixDatagram, setCloexec } from "../sys/libc.js";

const SD_LISTEN_FDS_START = 3;
let notifySocket: string | undefined;

/**
 * The fds systemd passed to this process (empty when none, or when they were
 * meant for another pid). Marks them close-on-exec and clears LISTEN_* from
 * the environment so that no child (conmon, runc, a container) inherits them.
 */
export function takeActivationFds(env = process.env): number[] {
  // NOTIFY_SOCKET too must not reach runc (it would make the container's notify socket).
  notifySocket = env.NOTIFY_SOCKET;
  delete env.NOTIFY_SOCKET;
  const pid = Number(env.LISTEN_PID);
  const n = Number(env.LISTEN_FDS);
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (pid !== process.pid || !Number.isInteger(n) || n <= 0) return [];
  const fds = Array.from({ length: n }, (_, i) => SD_LISTEN_FDS_START + i);
  for (const fd of fds) setCloexec(fd);
  return fds;
}

/**
 * The fds an `fd://` or `fd://N` address names among `available`. Throws when
 * there are none, or N was not passed, as dockerd does.
 */
export function fdsForHost(host: string, available: number[]): number[] {
  const spec = host.slice("fd://".length);
  if (available.length === 0)
    throw new Error(`no sockets found via socket activation: make sure the service was started by systemd`);
  if (spec === "") return available;
  const fd = Number(spec);
  if (!Number.isInteger(fd) || !available.includes(fd))
    throw new Error(`too few socket activated files passed in by systemd: fd ${spec} was not passed`);
  return [fd];
}

/**
 * Sends `state` (e.g. "READY=1", "STOPPING=1") to systemd's NOTIFY_SOCKET (as
 * found by takeActivationFds); returns false when there is none (not run by
 * systemd as Type=notify). Throws SyscallError when the send fails.
 */
export function sdNotify(state: string): boolean {
  const path = notifySocket;
  if (!path) return false;
  sendUnixDatagram(path, Buffer.from(state));
  return true;
}
