/**
 * Dockerfile parsing: parser directives (escape), line continuations,
 * comments, JSON (exec) vs shell forms, simple heredocs, and the variable
 * expansion Docker applies to ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER
 * VOLUME WORKDIR ($VAR, ${VAR}, ${VAR:-d}, ${VAR:+a}). Errors name the line.
 */
import { splitWords } from "../image/changes.js";
export class DockerfileError extends Error {
}
const KNOWN = new Set([
    "from",
    "run",
    "cmd",
    "label",
    "maintainer",
    "expose",
    "env",
    "add",
    "copy",
    "entrypoint",
    "volume",
    "user",
    "workdir",
    "arg",
    "onbuild",
    "stopsignal",
    "healthcheck",
    "shell",
]);
export function parseDockerfile(text, filename = "Dockerfile") {
    const lines = text.replace(/\r\n/g, "\n").split("\n");
    let esc = "\\";
    // Parser directives: only at the very top, before any instruction or other comment.
    for (const l of lines) {
        const m = /^#\s*([a-zA-Z]+)\s*=\s*(.*?)\s*$/.exec(l);
        if (!m)
            break;
        if (m[1].toLowerCase() === "escape") {
            if (m[2] !== "\\" && m[2] !== "`")
                throw new DockerfileError(`invalid ESCAPE '${m[2]}'. Must be \` or \\`);
            esc = m[2];
        }
    }
    const instrs = [];
    for (let i = 0; i < lines.length; i++) {
        let line = lines[i];
        if (/^\s*#/.test(line) || line.trim() === "")
            continue;
        const start = i + 1;
        let text = "";
        // Continuations: a trailing escape joins the next line; comment lines inside are dropped.
        while (line.trimEnd().endsWith(esc) && i + 1 < lines.length) {
            text += line.trimEnd().slice(0, -1);
            i++;
            line = lines[i];
            while (/^\s*#/.test(line) && i + 1 < lines.length)
                line = lines[++i];
        }
        text += line;
        const m = /^\s*(\S+)\s*(.*)$/s.exec(text);
        const cmd = m[1].toLowerCase();
        if (!KNOWN.has(cmd))
            throw new DockerfileError(`${filename}:${start}: unknown instruction: ${m[1].toUpperCase()}`);
        let args = m[2].trim();
        const flags = {};
        if (["run", "copy", "add", "from", "healthcheck"].includes(cmd)) {
            for (let f = /^--([a-zA-Z-]+)(?:=(\S*))?\s*/.exec(args); f; f = /^--([a-zA-Z-]+)(?:=(\S*))?\s*/.exec(args)) {
                flags[f[1]] = f[2] ?? "true";
                args = args.slice(f[0].length);
            }
        }
        const heredocs = [];
        const hd = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;
        if (cmd === "run" || cmd === "copy" || cmd === "add") {
            for (const h of args.matchAll(hd)) {
                const body = [];
                while (i + 1 < lines.length && lines[i + 1].trim() !== h[3]) {
                    const l = lines[++i];
                    body.push(h[1] === "-" ? l.replace(/^\t+/, "") : l);
                }
                i++; // the delimiter line
                heredocs.push({ name: h[3], body: `${body.join("\n")}\n` });
            }
        }
        instrs.push({
            cmd,
            args,
            flags,
            heredocs,
            line: start,
            original: `${m[1].toUpperCase()} ${m[2].trim()}`.trim(),
        });
    }
    const metaArgs = [];
    const stages = [];
    for (const ins of instrs) {
        if (ins.cmd === "from") {
            const parts = ins.args.split(/\s+/);
            const name = parts.length >= 3 && parts[1].toLowerCase() === "as" ? parts[2].toLowerCase() : undefined;
            stages.push({ name, from: parts[0], instructions: [], fromInstr: ins });
        }
        else if (stages.length === 0) {
            if (ins.cmd !== "arg")
                throw new DockerfileError(`${filename}:${ins.line}: no build stage in current context`);
            metaArgs.push(ins);
        }
        else
            stages[stages.length - 1].instructions.push(ins);
    }
    if (stages.length === 0)
        throw new DockerfileError(`${filename}: file with no instructions`);
    return { metaArgs, stages, escape: esc };
}
/** JSON array form, or undefined for shell form (invalid JSON falls back to shell form, as Docker does). */
export function jsonForm(args) {
    if (!args.trim().startsWith("["))
        return undefined;
    try {
        const v = JSON.parse(args);
        if (Array.isArray(v) && v.every((x) => typeof x === "string"))
            return v;
    }
    catch {
        // shell form
    }
    return undefined;
}
/** Docker's shell-word variable expansion. */
export function expand(word, lookup, esc = "\\") {
    let out = "";
    let quote = null;
    for (let i = 0; i < word.length; i++) {
        const ch = word[i];
        if (ch === esc && i + 1 < word.length && quote !== "'") {
            const next = word[i + 1];
            out += next === "$" ? "$" : ch + next;
            i++;
            continue;
        }
        if (ch === "'" && quote !== '"')
            quote = quote === "'" ? null : "'";
        else if (ch === '"' && quote !== "'")
            quote = quote === '"' ? null : '"';
        if (ch !== "$" || quote === "'") {
            out += ch;
            continue;
        }
        const rest = word.slice(i + 1);
        const braced = /^\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}/.exec(rest);
        if (braced) {
            const v = lookup(braced[1]);
            const op = braced[2];
            const arg = braced[3] ?? "";
            if (op === ":-")
                out += v ? v : expand(arg, lookup, esc);
            else if (op === "-")
                out += v !== undefined ? v : expand(arg, lookup, esc);
            else if (op === ":+")
                out += v ? expand(arg, lookup, esc) : "";
            else if (op === "+")
                out += v !== undefined ? expand(arg, lookup, esc) : "";
            else
                out += v ?? "";
            i += braced[0].length;
            continue;
        }
        const plain = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
        if (plain) {
            out += lookup(plain[0]) ?? "";
            i += plain[0].length;
            continue;
        }
        out += ch;
    }
    return out;
}
/** Splits `K=V "a b"=c` / `K V` pairs (ENV, LABEL, ARG) after expansion, removing quotes. */
export function keyValues(args, legacy) {
    const words = splitWords(args);
    if (legacy && words.length > 0 && !words[0].includes("="))
        return [[words[0], words.slice(1).join(" ")]];
    return words.map((w) => {
        const i = w.indexOf("=");
        return i < 0 ? [w, undefined] : [w.slice(0, i), w.slice(i + 1)];
    });
}
//# sourceMappingURL=dockerfile.js.map