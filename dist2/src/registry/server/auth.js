/** HTTP Basic auth against an htpasswd file (bcrypt $2y$/$2b$/$2a$ and {SHA} entries). */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import bcrypt from "bcryptjs";
export const CHALLENGE = 'Basic realm="berth-registry"';
export class Htpasswd {
    file;
    entries = new Map();
    mtimeMs = -1;
    /** Credentials already verified, keyed by a hash of user, password and entry: bcrypt is slow by design. */
    verified = new Set();
    constructor(file) {
        this.file = file;
    }
    /** Re-reads the file when it changed, so users can be added without a restart. */
    async load() {
        const s = await stat(this.file);
        if (s.mtimeMs === this.mtimeMs)
            return;
        const entries = new Map();
        for (const line of (await readFile(this.file, "utf8")).split("\n")) {
            const t = line.trim();
            const i = t.indexOf(":");
            if (!t || t.startsWith("#") || i <= 0)
                continue;
            entries.set(t.slice(0, i), t.slice(i + 1));
        }
        this.entries = entries;
        this.verified.clear();
        this.mtimeMs = s.mtimeMs;
    }
    /** True when `authorization` is Basic credentials matching an entry. */
    async check(authorization) {
        return (await this.user(authorization)) !== undefined;
    }
    /** The user whose Basic credentials `authorization` carries, if they match an entry. */
    async user(authorization) {
        const m = /^Basic\s+(\S+)$/i.exec(authorization ?? "");
        if (!m)
            return undefined;
        const decoded = Buffer.from(m[1], "base64").toString("utf8");
        const i = decoded.indexOf(":");
        if (i < 0)
            return undefined;
        const user = decoded.slice(0, i);
        const pass = decoded.slice(i + 1);
        await this.load();
        const hash = this.entries.get(user);
        if (!hash)
            return undefined;
        const key = createHash("sha256").update(`${user}\0${pass}\0${hash}`).digest("hex");
        if (this.verified.has(key))
            return user;
        const ok = await verify(pass, hash);
        if (!ok)
            return undefined;
        this.verified.add(key);
        return user;
    }
}
async function verify(pass, hash) {
    if (/^\$2[aby]\$/.test(hash))
        return bcrypt.compare(pass, hash);
    if (hash.startsWith("{SHA}")) {
        const want = Buffer.from(hash.slice(5), "base64");
        const got = createHash("sha1").update(pass).digest();
        return want.length === got.length && timingSafeEqual(want, got);
    }
    return false; // apr1-MD5 and crypt(3) entries are not supported
}
//# sourceMappingURL=auth.js.map