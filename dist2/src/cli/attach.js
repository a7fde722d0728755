import { CliError } from "./client.js";
import { copyStdStreams } from "./stream.js";
/** Parses docker's --detach-keys ("ctrl-p,ctrl-q", "a", "ctrl-@"...) into bytes. */
export function parseDetachKeys(spec) {
    const out = [];
    for (const k of spec.split(",")) {
        const key = k.trim();
        if (key.length === 1)
            out.push(key.charCodeAt(0));
        else if (/^ctrl-[a-z@[\\\]^_]$/i.test(key)) {
            const c = key[5];
            out.push(c === "@" ? 0 : /[a-z]/i.test(c) ? c.toLowerCase().charCodeAt(0) - 96 : c.charCodeAt(0) - 64);
        }
        else
            throw new CliError(`Unknown character: '${key}'`);
    }
    return Buffer.from(out);
}
/** Sends the terminal's size to `<path>/resize`. */
export async function resize(client, path) {
    const { rows, columns } = process.stdout;
    if (!rows || !columns)
        return;
    try {
        await client.json("POST", `${path}/resize`, { query: { h: rows, w: columns } });
    }
    catch {
        // the process may already be gone
    }
}
/**
 * Pumps stdio through the hijacked socket until the output ends (or the
 * detach keys are typed). Resolves true when the user detached.
 */
export async function pumpStreams(client, sock, o) {
    const stdin = process.stdin;
    const raw = o.tty && o.stdin && stdin.isTTY;
    if (raw)
        stdin.setRawMode(true);
    const keys = parseDetachKeys(o.detachKeys || "ctrl-p,ctrl-q");
    let matched = 0;
    let detached = false;
    let onWinch;
    if (o.tty && o.resizePath && process.stdout.isTTY) {
        const path = o.resizePath;
        onWinch = () => void resize(client, path);
        process.on("SIGWINCH", onWinch);
    }
    let finishDetach;
    const detachedP = new Promise((r) => (finishDetach = r));
    const onData = (chunk) => {
        if (o.tty) {
            for (const b of chunk) {
                matched = b === keys[matched] ? matched + 1 : b === keys[0] ? 1 : 0;
                if (matched === keys.length) {
                    detached = true;
                    finishDetach?.();
                    return;
                }
            }
        }
        if (!sock.write(chunk)) {
            stdin.pause();
            sock.once("drain", () => stdin.resume());
        }
    };
    const onEnd = () => {
        if (!sock.destroyed)
            sock.end();
    };
    if (o.stdin) {
        stdin.on("data", onData);
        stdin.once("end", onEnd);
        stdin.resume();
    }
    try {
        await Promise.race([copyStdStreams(sock, o.tty, process.stdout, process.stderr), detachedP]);
    }
    catch (e) {
        if (!detached)
            throw e;
    }
    finally {
        if (raw)
            stdin.setRawMode(false);
        if (onWinch)
            process.off("SIGWINCH", onWinch);
        if (o.stdin) {
            stdin.off("data", onData);
            stdin.off("end", onEnd);
            stdin.pause();
        }
        if (detached)
            sock.destroy();
    }
    return detached;
}
//# sourceMappingURL=attach.js.map