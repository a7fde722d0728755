/**
 * Hostile layer tars never write outside the target directory, and fail
 * with an error naming the entry. Also: whiteouts and opaque dirs become
 * overlayfs whiteouts that really hide lower files when mounted.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import tar from "tar-stream";
import { applyLayer } from "../../src/layer/apply.js";
import { MNT_DETACH, mount, umount } from "../../src/sys/libc.js";
function makeTar(entries) {
    const pack = tar.pack();
    for (const e of entries) {
        const type = e.type ?? "file";
        pack.entry({ name: e.name, type, linkname: e.linkname, mode: type === "directory" ? 0o755 : 0o644 }, e.body ?? "");
    }
    pack.finalize();
    return pack;
}
describe("layer apply: hostile tars", () => {
    let base;
    let outside;
    let target;
    before(() => {
        base = mkdtempSync("/tmp/berth-layer-");
        outside = join(base, "outside");
        mkdirSync(outside);
        writeFileSync(join(outside, "victim"), "keep me");
    });
    after(() => rmSync(base, { recursive: true, force: true }));
    const fresh = () => {
        target = join(base, `t${Math.random().toString(16).slice(2)}`);
        mkdirSync(target);
        return target;
    };
    const outsideUntouched = () => {
        assert.deepEqual(readdirSync(outside).sort(), ["victim"]);
        assert.ok(existsSync(join(outside, "victim")));
    };
    it("rejects ../ that climbs out", async () => {
        await assert.rejects(applyLayer(makeTar([{ name: "../outside/evil", body: "x" }]), fresh()), /escapes/);
        await assert.rejects(applyLayer(makeTar([{ name: "a/../../outside/evil", body: "x" }]), fresh()), /escapes/);
        outsideUntouched();
    });
    it("re-roots absolute paths inside the target", async () => {
        const t = fresh();
        await applyLayer(makeTar([{ name: `${outside}/evil`, body: "x" }]), t);
        assert.ok(existsSync(join(t, outside.slice(1), "evil")));
        outsideUntouched();
    });
    it("never writes through a symlink", async () => {
        const t = fresh();
        await assert.rejects(applyLayer(makeTar([
            { name: "link", type: "symlink", linkname: outside },
            { name: "link/pwned", body: "x" },
        ]), t), /through symlink/);
        outsideUntouched();
        // A symlink already in the directory (e.g. from a previous entry) is not followed either.
        const t2 = fresh();
        symlinkSync(outside, join(t2, "pre"));
        await assert.rejects(applyLayer(makeTar([{ name: "pre/pwned", body: "x" }]), t2), /through symlink/);
        outsideUntouched();
    });
    it("refuses hardlinks to files outside", async () => {
        await assert.rejects(applyLayer(makeTar([{ name: "hl", type: "link", linkname: "../outside/victim" }]), fresh()), /escapes/);
        await assert.rejects(applyLayer(makeTar([{ name: "hl", type: "link", linkname: "/etc/passwd" }]), fresh()), /not found in the layer/);
        outsideUntouched();
    });
    it("refuses whiteouts aimed outside or through symlinks", async () => {
        await assert.rejects(applyLayer(makeTar([{ name: "../outside/.wh.victim" }]), fresh()), /escapes/);
        await assert.rejects(applyLayer(makeTar([{ name: "l", type: "symlink", linkname: outside }, { name: "l/.wh.victim" }]), fresh()), /through symlink/);
        outsideUntouched();
    });
    it("turns whiteouts and opaque dirs into overlay whiteouts that hide lower files", async () => {
        const lower = fresh();
        await applyLayer(makeTar([
            { name: "etc/", type: "directory" },
            { name: "etc/gone", body: "old" },
            { name: "etc/kept", body: "old" },
            { name: "opq/", type: "directory" },
            { name: "opq/hidden", body: "old" },
        ]), lower);
        const upper = fresh();
        await applyLayer(makeTar([{ name: "etc/.wh.gone" }, { name: "opq/.wh..wh..opq" }, { name: "opq/new", body: "n" }]), upper);
        const merged = fresh();
        mount("overlay", merged, "overlay", 1 /* MS_RDONLY */, `lowerdir=${upper}:${lower}`);
        try {
            assert.deepEqual(readdirSync(join(merged, "etc")), ["kept"]);
            assert.deepEqual(readdirSync(join(merged, "opq")), ["new"]);
        }
        finally {
            umount(merged, MNT_DETACH);
        }
    });
});
//# sourceMappingURL=hostile.test.js.map