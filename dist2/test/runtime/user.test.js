/** resolveUser against a rootfs's /etc/passwd and /etc/group, never leaving the rootfs. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { resolveUser } from "../../src/runtime/user.js";
describe("runtime: resolveUser", () => {
    let dir;
    let root;
    before(() => {
        dir = mkdtempSync("/tmp/berth-test-user-");
        root = join(dir, "rootfs");
        mkdirSync(join(root, "etc"), { recursive: true });
        writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n# comment\napp:x:1000:1000:app:/home/app:/bin/sh\nnohome:x:1001:1001::/:/bin/sh\n");
        writeFileSync(join(root, "etc/group"), "root:x:0:\nstaff:x:50:app,other\napp:x:1000:\ndocker:x:999:\n");
    });
    after(() => rmSync(dir, { recursive: true, force: true }));
    it("defaults to root", async () => {
        assert.deepEqual(await resolveUser(root, ""), { uid: 0, gid: 0, additionalGids: [], home: "/root" });
    });
    it("resolves a name, with the user's supplementary groups", async () => {
        assert.deepEqual(await resolveUser(root, "app"), {
            uid: 1000,
            gid: 1000,
            additionalGids: [50],
            home: "/home/app",
        });
    });
    it("resolves a uid, known or not", async () => {
        assert.deepEqual(await resolveUser(root, "1000"), {
            uid: 1000,
            gid: 1000,
            additionalGids: [50],
            home: "/home/app",
        });
        assert.deepEqual(await resolveUser(root, "4242"), { uid: 4242, gid: 0, additionalGids: [], home: "/" });
    });
    it("resolves name:group and uid:gid", async () => {
        assert.deepEqual(await resolveUser(root, "app:docker"), {
            uid: 1000,
            gid: 999,
            additionalGids: [],
            home: "/home/app",
        });
        assert.deepEqual(await resolveUser(root, "1000:77"), {
            uid: 1000,
            gid: 77,
            additionalGids: [],
            home: "/home/app",
        });
    });
    it("adds --group-add groups by name or id", async () => {
        const u = await resolveUser(root, "app", ["docker", "12345"]);
        assert.deepEqual(u.additionalGids, [50, 999, 12345]);
    });
    it("fails like Docker on unknown names", async () => {
        await assert.rejects(resolveUser(root, "nobody"), /unable to find user nobody: no matching entries in passwd file/);
        await assert.rejects(resolveUser(root, "app:nogroup"), /unable to find group nogroup: no matching entries in group file/);
        await assert.rejects(resolveUser(root, "app", ["nogroup"]), /Unable to find group nogroup/);
        await assert.rejects(resolveUser(root, "99999999999"), /range/);
    });
    it("follows symlinks only inside the rootfs", async () => {
        const evil = join(dir, "evil");
        mkdirSync(join(evil, "etc"), { recursive: true });
        // An absolute link to the host's /etc/passwd resolves to <rootfs>/etc/passwd.real, not the host's.
        writeFileSync(join(evil, "etc/passwd.real"), "inside:x:7:7::/in:/bin/sh\n");
        symlinkSync("/etc/passwd.real", join(evil, "etc/passwd"));
        assert.equal((await resolveUser(evil, "inside")).uid, 7);
        // A relative link climbing out is clamped at the rootfs too: the host's root user is not found there.
        const evil2 = join(dir, "evil2");
        mkdirSync(join(evil2, "etc"), { recursive: true });
        symlinkSync("../../../../../../etc/passwd", join(evil2, "etc/passwd"));
        await assert.rejects(resolveUser(evil2, "root"), /no matching entries in passwd file/);
        // A link loop is an error, not a hang.
        const loop = join(dir, "loop");
        mkdirSync(join(loop, "etc"), { recursive: true });
        symlinkSync("/etc/passwd", join(loop, "etc/passwd"));
        assert.deepEqual(await resolveUser(loop, ""), { uid: 0, gid: 0, additionalGids: [], home: "/" });
    });
});
//# sourceMappingURL=user.test.js.map