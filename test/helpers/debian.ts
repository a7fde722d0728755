/**
 * Test helper: a minimal Debian 12 root filesystem (debootstrap --variant=minbase), made
 * once from Debian's mirror and kept outside the repository between runs, and a local apt
 * repository of packages made on the spot, so a build's `apt-get install` runs for real
 * without reaching past this machine.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const BASE = "/var/tmp/berth-deb/rootfs";

/** A tar of the Debian rootfs, written to `dir`/debian.tar; throws when debootstrap fails. */
export function debianTar(dir: string): string {
  if (!existsSync(`${BASE}/usr/sbin/useradd`)) {
    const r = spawnSync(
      "debootstrap",
      ["--variant=minbase", "bookworm", BASE, "http://deb.debian.org/debian"],
      {
        encoding: "utf8",
      },
    );
    if (r.status !== 0) throw new Error(`debootstrap: ${r.stderr}`);
  }
  const tar = join(dir, "debian.tar");
  const r = spawnSync("tar", ["--numeric-owner", "-C", BASE, "-cf", tar, "."]);
  if (r.status !== 0) throw new Error(`tar of the Debian rootfs: ${r.stderr}`);
  return tar;
}

/**
 * A flat apt repository in `dir` (Packages and .deb files, for `deb [trusted=yes] URL ./`)
 * holding `berth-hello` 1.0 (/usr/bin/berth-hello prints "hello from a package"), which
 * depends on `berth-lib` (/usr/share/berth-lib/VERSION), so apt resolves a dependency.
 */
export function aptRepo(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const pkg = (name: string, files: Record<string, string>, depends?: string) => {
    const root = join(dir, "src", name);
    mkdirSync(join(root, "DEBIAN"), { recursive: true });
    writeFileSync(
      join(root, "DEBIAN/control"),
      `Package: ${name}\nVersion: 1.0\nArchitecture: all\nMaintainer: berth tests <tests@berth.invalid>\n${depends ? `Depends: ${depends}\n` : ""}Description: ${name} for berth's tests\n`,
    );
    for (const [path, body] of Object.entries(files)) {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), body);
      if (path.startsWith("usr/bin/")) chmodSync(join(root, path), 0o755);
    }
    const r = spawnSync("dpkg-deb", [
      "--root-owner-group",
      "--build",
      root,
      join(dir, `${name}_1.0_all.deb`),
    ]);
    if (r.status !== 0) throw new Error(`dpkg-deb: ${r.stderr}`);
  };
  pkg("berth-lib", { "usr/share/berth-lib/VERSION": "1.0\n" });
  pkg("berth-hello", { "usr/bin/berth-hello": "#!/bin/sh\necho hello from a package\n" }, "berth-lib");
  const r = spawnSync("sh", ["-c", "dpkg-scanpackages --multiversion . /dev/null > Packages"], { cwd: dir });
  if (r.status !== 0) throw new Error(`dpkg-scanpackages: ${r.stderr}`);
  return dir;
}
