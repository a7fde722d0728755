/**
 * layer/securejoin: paths resolved inside a root, by openat2 and by the
 * O_PATH walk (the fallback for kernels without openat2, and the resolver
 * of views with overlaid mounts) alike: absolute and relative links, chains,
 * `..` clamped at the root, magic links, missing components, mkdir -p
 * inside the root, and overlaid mounts.
 */
import assert from "node:assert/strict";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { closeFd, fdPath, openBeneath, openInRoot, openTree, statFd } from "../../src/layer/securejoin.js";
import { O_CLOEXEC, O_PATH, openat } from "../../src/sys/libc.js";

describe("securejoin", () => {
  let work: string;
  let root: string;
  let host: string;
  let rootFd: number;

  before(() => {
    work = mkdtempSync("/tmp/berth-sj-");
    root = join(work, "root");
    host = join(work, "host");
    mkdirSync(join(root, "a", "b"), { recursive: true });
    mkdirSync(join(root, root), { recursive: true }); // the root's own copy of the host path
    mkdirSync(host);
    writeFileSync(join(host, "secret"), "host\n");
    writeFileSync(join(root, "a", "b", "f"), "inside\n");
    writeFileSync(join(root, root, "marker"), "root's copy\n");
    symlinkSync(host, join(root, "abs")); // means <root>/<host>: missing
    symlinkSync(`${"../".repeat(20)}${host.slice(1)}`, join(root, "rel"));
    symlinkSync("c2", join(root, "c1"));
    symlinkSync("/a/b", join(root, "c2"));
    symlinkSync("/proc/self/root", join(root, "magic"));
    symlinkSync(root, join(root, "self")); // leads to the root's own copy
    symlinkSync("loop2", join(root, "loop1"));
    symlinkSync("loop1", join(root, "loop2"));
    rootFd = openTree(root);
  });
  after(() => {
    closeFd(rootFd);
    rmSync(work, { recursive: true, force: true });
  });

  const where = (fd: number) => readlinkSync(fdPath(fd));

  for (const walk of [false, true]) {
    const how = walk ? "the O_PATH walk" : "openat2";
    it(`${how}: links resolve inside the root, never on the host`, () => {
      for (const p of ["abs/secret", "rel/secret", "magic/etc/passwd", "../../../../etc/passwd"])
        assert.throws(() => openInRoot(rootFd, p, { walk }), /ENOENT|No such file/, p);
      const chain = openInRoot(rootFd, "c1/f", { walk });
      assert.equal(readFileSync(fdPath(chain.fd), "utf8"), "inside\n");
      closeFd(chain.fd);
      const self = openInRoot(rootFd, "self/marker", { walk });
      assert.equal(where(self.fd), join(root, root, "marker"));
      closeFd(self.fd);
      const up = openInRoot(rootFd, "a/../../../a/b/f", { walk });
      assert.equal(where(up.fd), join(root, "a", "b", "f"));
      closeFd(up.fd);
      assert.throws(() => openInRoot(rootFd, "loop1", { walk }), /ELOOP|symbolic links/);
    });

    it(`${how}: follow:false opens the link itself`, () => {
      const r = openInRoot(rootFd, "abs", { follow: false, walk });
      assert.ok(statFd(r.fd).isSymbolicLink());
      closeFd(r.fd);
    });
  }

  it("the walk reports canonical paths and makes missing directories inside the root", () => {
    const r = openInRoot(rootFd, "c1/new/deeper", { mkdirs: true });
    assert.equal(r.path, "/a/b/new/deeper");
    assert.equal(where(r.fd), join(root, "a", "b", "new", "deeper"));
    closeFd(r.fd);
    const h = openInRoot(rootFd, "abs/made", { mkdirs: true });
    assert.equal(where(h.fd), join(root, host, "made"));
    closeFd(h.fd);
    assert.deepEqual(readdirSync(host), ["secret"]);
  });

  it("openBeneath follows no link at all (a lower layer looked up as overlayfs does)", () => {
    for (const p of ["abs/secret", "c1/f", "rel/secret", "self/marker", "../root/a"])
      assert.equal(openBeneath(root, p), undefined, p);
    const f = openBeneath(root, "a/b/f");
    assert.ok(f !== undefined);
    assert.equal(where(f), join(root, "a", "b", "f"));
    closeFd(f);
    const link = openBeneath(root, "c2");
    assert.ok(link !== undefined && statFd(link).isSymbolicLink());
    closeFd(link);
  });

  it("overlaid mounts replace what the tree has at their canonical path", () => {
    const vol = join(work, "vol");
    mkdirSync(vol);
    writeFileSync(join(vol, "v"), "volume\n");
    const volFd = openat(-100, vol, O_PATH | O_CLOEXEC);
    try {
      const view = { fd: rootFd, mounts: new Map([["/a/b", { fd: volFd, rw: false }]]) };
      const r = openInRoot(view, "c1/v");
      assert.equal(readFileSync(fdPath(r.fd), "utf8"), "volume\n");
      assert.deepEqual(r.mount, { path: "/a/b", rw: false });
      closeFd(r.fd);
      assert.throws(() => openInRoot(view, "a/b/f"), /ENOENT|No such file/);
      const outside = openInRoot(view, "a");
      assert.equal(outside.mount, undefined);
      closeFd(outside.fd);
    } finally {
      closeFd(volFd);
    }
  });
});
