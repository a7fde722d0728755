/**
 * Dockerfile parsing: parser directives (escape, syntax, check), line
 * continuations, comments, flags (repeatable ones like RUN --mount kept in
 * order), JSON (exec) vs shell forms and heredocs. Word processing (quotes,
 * escapes, variables) is `shell.ts`'s. Errors name the line.
 */

export class DockerfileError extends Error {}

export interface Instruction {
  /** Lowercase instruction name. */
  cmd: string;
  /** Raw arguments text (continuations joined). */
  args: string;
  /** Flags like --from=x, --chown=a:b (the last of a repeated flag). */
  flags: Record<string, string>;
  /** Every flag in order, repeated ones included (RUN --mount, COPY --exclude). */
  flagList: [string, string][];
  /** For RUN <<EOF: the heredoc bodies by delimiter. */
  heredocs: { name: string; body: string }[];
  /** 1-based line of the instruction. */
  line: number;
  /** As Docker prints it in "Step N/M : ...". */
  original: string;
}

export interface Stage {
  name?: string;
  from: string;
  instructions: Instruction[];
  fromInstr: Instruction;
}

export interface Dockerfile {
  metaArgs: Instruction[];
  stages: Stage[];
  escape: string;
  /** Parser directives by lowercase name (escape, syntax, check). */
  directives: Record<string, string>;
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

export function parseDockerfile(text: string, filename = "Dockerfile"): Dockerfile {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  let esc = "\\";
  const directives: Record<string, string> = {};
  // Parser directives: only at the very top, before any instruction or other comment.
  for (const l of lines) {
    const m = /^#\s*([a-zA-Z]+)\s*=\s*(.*?)\s*$/.exec(l);
    if (!m) break;
    directives[m[1]!.toLowerCase()] = m[2]!;
    if (m[1]!.toLowerCase() === "escape") {
      if (m[2] !== "\\" && m[2] !== "`")
        throw new DockerfileError(`invalid ESCAPE '${m[2]}'. Must be \` or \\`);
      esc = m[2]!;
    }
  }
  const instrs: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (/^\s*#/.test(line) || line.trim() === "") continue;
    const start = i + 1;
    let text = "";
    // Continuations: a trailing escape joins the next line; comment lines inside are dropped.
    while (line.trimEnd().endsWith(esc) && i + 1 < lines.length) {
      text += line.trimEnd().slice(0, -1);
      i++;
      line = lines[i]!;
      while (/^\s*#/.test(line) && i + 1 < lines.length) line = lines[++i]!;
    }
    text += line;
    const m = /^\s*(\S+)\s*(.*)$/s.exec(text)!;
    const cmd = m[1]!.toLowerCase();
    if (!KNOWN.has(cmd))
      throw new DockerfileError(`${filename}:${start}: unknown instruction: ${m[1]!.toUpperCase()}`);
    let args = m[2]!.trim();
    const flags: Record<string, string> = {};
    const flagList: [string, string][] = [];
    if (["run", "copy", "add", "from", "healthcheck"].includes(cmd)) {
      const flagRe = /^--([a-zA-Z-]+)(?:=("[^"]*"|\S*))?\s*/;
      for (let f = flagRe.exec(args); f; f = flagRe.exec(args)) {
        const v = (f[2] ?? "true").replace(/^"(.*)"$/, "$1");
        flags[f[1]!] = v;
        flagList.push([f[1]!, v]);
        args = args.slice(f[0].length);
      }
    }
    const heredocs: { name: string; body: string }[] = [];
    const hd = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;
    if (cmd === "run" || cmd === "copy" || cmd === "add") {
      for (const h of args.matchAll(hd)) {
        const body: string[] = [];
        while (i + 1 < lines.length && lines[i + 1]!.trim() !== h[3]) {
          const l = lines[++i]!;
          body.push(h[1] === "-" ? l.replace(/^\t+/, "") : l);
        }
        i++; // the delimiter line
        heredocs.push({ name: h[3]!, body: `${body.join("\n")}\n` });
      }
    }
    instrs.push({
      cmd,
      args,
      flags,
      flagList,
      heredocs,
      line: start,
      original: `${m[1]!.toUpperCase()} ${m[2]!.trim()}`.trim(),
    });
  }
  const metaArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of instrs) {
    if (ins.cmd === "from") {
      const parts = ins.args.split(/\s+/);
      const name =
        parts.length >= 3 && parts[1]!.toLowerCase() === "as" ? parts[2]!.toLowerCase() : undefined;
      stages.push({ name, from: parts[0]!, instructions: [], fromInstr: ins });
    } else if (stages.length === 0) {
      if (ins.cmd !== "arg")
        throw new DockerfileError(`${filename}:${ins.line}: no build stage in current context`);
      metaArgs.push(ins);
    } else stages[stages.length - 1]!.instructions.push(ins);
  }
  if (stages.length === 0) throw new DockerfileError(`${filename}: file with no instructions`);
  return { metaArgs, stages, escape: esc, directives };
}

/** JSON array form, or undefined for shell form (invalid JSON falls back to shell form, as Docker does). */
export function jsonForm(args: string): string[] | undefined {
  if (!args.trim().startsWith("[")) return undefined;
  try {
    const v = JSON.parse(args);
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
  } catch {
    // shell form
  }
  return undefined;
}
