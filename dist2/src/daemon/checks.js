/** Start-up checks: fail early with a clear message when the host can't run berth. */
import { access, constants, readFile } from "node:fs/promises";
export async function checkHost(cfg) {
    if (process.getuid?.() !== 0)
        throw new Error("berthd must run as root");
    const runtime = cfg.runtimes[cfg.defaultRuntime];
    if (!runtime)
        throw new Error(`unknown default runtime ${cfg.defaultRuntime}`);
    const need = [
        [runtime, `the OCI runtime ${cfg.defaultRuntime} (apt-get install ${cfg.defaultRuntime})`],
        [cfg.conmon, "conmon, the container monitor (apt-get install conmon)"],
    ];
    for (const [path, what] of need) {
        try {
            await access(path, constants.X_OK);
        }
        catch {
            throw new Error(`required binary missing: ${path}: ${what}`);
        }
    }
    const fs = await readFile("/proc/filesystems", "utf8");
    if (!/\toverlay$/m.test(fs)) {
        throw new Error("the kernel does not support overlayfs (no 'overlay' in /proc/filesystems; try modprobe overlay)");
    }
}
//# sourceMappingURL=checks.js.map