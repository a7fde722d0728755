/** Thin async wrappers over the OCI runtime's command line (runc, or crun by path). */
import { execFile } from "node:child_process";
export class RuncError extends Error {
    stderr;
    constructor(message, stderr) {
        super(message);
        this.stderr = stderr;
        this.name = "RuncError";
    }
    get notExist() {
        return /does not exist|not exist|no such file or directory/i.test(this.stderr);
    }
}
/**
 * A failed create or exec, carrying runc's own text. `exitCode` is what
 * Docker records for it: 127 (command not found), 126 (not executable), 128.
 */
export class OciRuntimeError extends Error {
    op;
    runtimeMessage;
    reason;
    exitCode;
    constructor(op, runtimeMessage) {
        super(`OCI runtime ${op} failed: ${runtimeMessage}: unknown`);
        this.op = op;
        this.runtimeMessage = runtimeMessage;
        this.name = "OciRuntimeError";
        this.reason = classify(runtimeMessage);
        this.exitCode = this.reason === "not-found" ? 127 : this.reason === "permission-denied" ? 126 : 128;
    }
}
export function classify(msg) {
    if (/executable file not found|no such file or directory/i.test(msg))
        return "not-found";
    if (/permission denied|is a directory|exec format error/i.test(msg))
        return "permission-denied";
    return "other";
}
/**
 * runc logs as `time=".." level=error msg="..."` (crun prints plain text):
 * keep the last error's message.
 */
export function runcMessage(raw) {
    let last;
    for (const m of raw.matchAll(/msg="((?:[^"\\]|\\.)*)"/g))
        last = m[1];
    if (last === undefined)
        return raw.trim().split("\n").pop()?.trim() ?? "";
    return last.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c === "t" ? "\t" : c)).trim();
}
export class Runc {
    path;
    root;
    constructor(path, root) {
        this.path = path;
        this.root = root;
    }
    run(args, timeoutMs = 60_000) {
        return new Promise((resolve, reject) => {
            execFile(this.path, ["--root", this.root, ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
                if (err) {
                    const msg = runcMessage(stderr) || err.message;
                    reject(new RuncError(`${args[0]}: ${msg}`, stderr || err.message));
                }
                else
                    resolve(stdout);
            });
        });
    }
    /** runc's view of the container, or undefined when runc does not know it. */
    async state(id) {
        try {
            return JSON.parse(await this.run(["state", id]));
        }
        catch (err) {
            if (err instanceof RuncError && err.notExist)
                return undefined;
            throw err;
        }
    }
    async list() {
        return JSON.parse((await this.run(["list", "--format", "json"])) || "null") ?? [];
    }
    async ps(id) {
        return JSON.parse(await this.run(["ps", "--format", "json", id])) ?? [];
    }
}
//# sourceMappingURL=runc.js.map