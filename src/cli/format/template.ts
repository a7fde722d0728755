/**
 * A subset of Go's text/template, enough for docker's --format flags:
 * fields and chains (.A.B, $v.A), literals, pipelines with |, parentheses,
 * if/else if/else, range (with $i, $v :=), with, and docker's functions
 * (json, join, split, lower, upper, title, pad, truncate) plus Go's builtins
 * (index, len, print, printf, println, eq, ne, lt, le, gt, ge, and, or, not).
 * Values print as Go's fmt would print the decoded JSON.
 */
import { sprintf } from "./printf.js";

export class TemplateError extends Error {}

/** Objects marked as a formatting context: `{{json .}}` sorts their keys, and unknown fields fail. */
export const CONTEXT = Symbol("berth.format.context");

type Node =
  | { t: "text"; s: string }
  | { t: "action"; pipe: Pipe }
  | { t: "if" | "with"; pipe: Pipe; body: Node[]; alt: Node[] }
  | { t: "range"; pipe: Pipe; body: Node[]; alt: Node[] };
interface Pipe {
  decl: string[];
  cmds: Arg[][];
}
type Arg =
  | { k: "field"; base: "dot" | string | Pipe; chain: string[] }
  | { k: "ident"; name: string }
  | { k: "lit"; v: unknown };

type Fn = (...a: unknown[]) => unknown;

// ---- lexing

type Tok = { k: "str" | "num" | "ident" | "field" | "var" | "op"; v: string };

function lexAction(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === "\\" ? 2 : 1;
      if (j >= src.length) throw new TemplateError("unterminated quoted string");
      out.push({ k: "str", v: JSON.parse(src.slice(i, j + 1)) });
      i = j + 1;
    } else if (c === "`") {
      const j = src.indexOf("`", i + 1);
      if (j < 0) throw new TemplateError("unterminated raw quoted string");
      out.push({ k: "str", v: src.slice(i + 1, j) });
      i = j + 1;
    } else if (c === "|" || c === "(" || c === ")" || c === ",") {
      out.push({ k: "op", v: c });
      i++;
    } else if (src.startsWith(":=", i) || c === "=") {
      out.push({ k: "op", v: c === "=" ? "=" : ":=" });
      i += c === "=" ? 1 : 2;
    } else if (/[0-9]/.test(c) || (/[-+]/.test(c) && /[0-9]/.test(src[i + 1] ?? ""))) {
      const m = /^[-+]?[0-9][0-9a-fA-FxX._]*/.exec(src.slice(i));
      if (!m) throw new TemplateError(`bad number syntax: ${src.slice(i)}`);
      out.push({ k: "num", v: m[0] });
      i += m[0].length;
    } else if (c === "." || c === "$") {
      const re = c === "$" ? /^\$[A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*/ : /^(\.[A-Za-z0-9_]+)+/;
      const s = re.exec(src.slice(i))?.[0] ?? c;
      out.push({ k: c === "$" ? "var" : "field", v: s });
      i += Math.max(1, s.length);
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*((\.[A-Za-z0-9_]+)*)/.exec(src.slice(i)) as RegExpExecArray;
      out.push({ k: "ident", v: m[0] });
      i += m[0].length;
    } else {
      throw new TemplateError(`unexpected "${c}" in command`);
    }
  }
  return out;
}

// ---- parsing

class Parser {
  private pos = 0;
  constructor(private readonly toks: Tok[]) {}
  peek(): Tok | undefined {
    return this.toks[this.pos];
  }
  next(): Tok | undefined {
    return this.toks[this.pos++];
  }
  done(): boolean {
    return this.pos >= this.toks.length;
  }
  pipe(): Pipe {
    const decl: string[] = [];
    const save = this.pos;
    while (this.peek()?.k === "var") {
      decl.push(this.next()?.v as string);
      const op = this.peek();
      if (op?.k === "op" && op.v === ",") {
        this.next();
        continue;
      }
      if (op?.k === "op" && (op.v === ":=" || op.v === "=")) {
        this.next();
        break;
      }
      decl.length = 0;
      this.pos = save;
      break;
    }
    const cmds: Arg[][] = [[]];
    for (;;) {
      const t = this.peek();
      if (!t || (t.k === "op" && t.v === ")")) break;
      this.next();
      if (t.k === "op" && t.v === "|") {
        if (cmds[cmds.length - 1].length === 0) throw new TemplateError("missing command");
        cmds.push([]);
        continue;
      }
      cmds[cmds.length - 1].push(this.operand(t));
    }
    if (cmds[cmds.length - 1].length === 0) throw new TemplateError("missing value for command");
    return { decl, cmds };
  }
  private operand(t: Tok): Arg {
    switch (t.k) {
      case "str":
        return { k: "lit", v: t.v };
      case "num":
        return { k: "lit", v: Number(t.v.replace(/_/g, "")) };
      case "field":
        return { k: "field", base: "dot", chain: t.v.split(".").filter(Boolean) };
      case "var": {
        const [name, ...chain] = t.v.split(".");
        return { k: "field", base: name, chain };
      }
      case "ident": {
        const [name, ...chain] = t.v.split(".");
        if (name === "true" || name === "false") return { k: "lit", v: name === "true" };
        if (name === "nil") return { k: "lit", v: null };
        if (chain.length) throw new TemplateError(`unexpected . after term "${name}"`);
        return { k: "ident", name };
      }
      case "op": {
        if (t.v !== "(") throw new TemplateError(`unexpected "${t.v}" in operand`);
        const inner = this.pipe();
        const close = this.next();
        if (close?.v !== ")") throw new TemplateError("unclosed left paren");
        // A field chain may follow the parenthesized pipeline: (index .X 0).HostPort
        const after = this.peek();
        if (after?.k === "field" && after.v.startsWith(".") && after.v.length > 1) {
          this.next();
          return { k: "field", base: inner, chain: after.v.split(".").filter(Boolean) };
        }
        return { k: "field", base: inner, chain: [] };
      }
    }
  }
}

export interface Template {
  nodes: Node[];
}

/** Parses a template; throws TemplateError with Go-like messages. */
export function parseTemplate(src: string): Template {
  const segs: ({ text: string } | { action: string })[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    if (open < 0) {
      segs.push({ text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (/^- /.test(src.slice(start)) || src[start] === "-" && /\s/.test(src[start + 1] ?? "")) {
      text = text.replace(/\s+$/, "");
      start++;
    }
    segs.push({ text });
    const close = src.indexOf("}}", start);
    if (close < 0) throw new TemplateError("unclosed action");
    let body = src.slice(start, close);
    i = close + 2;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      const m = /^\s*/.exec(src.slice(i)) as RegExpExecArray;
      i += m[0].length;
    }
    segs.push({ action: body.trim() });
  }
  let k = 0;
  // An "else if" chain is a nested block that consumes the shared {{end}}.
  const block = (word: string, rest: string): Node => {
    const p = new Parser(lexAction(rest));
    const pipe = p.pipe();
    if (!p.done()) throw new TemplateError(`unexpected ")" in ${word}`);
    const body = list(["else", "end"]);
    let alt: Node[] = [];
    if (body.end === "else") {
      const w = /^[a-z]+/.exec(body.chain)?.[0] ?? "";
      if (body.chain && (w === "if" || w === "with")) alt = [block(w, body.chain.slice(w.length))];
      else if (body.chain) throw new TemplateError(`unexpected "${body.chain}" in else`);
      else alt = list(["end"]).nodes;
    }
    return { t: word as "if", pipe, body: body.nodes, alt };
  };
  const list = (stop: string[]): { nodes: Node[]; end: string; chain: string } => {
    const nodes: Node[] = [];
    while (k < segs.length) {
      const seg = segs[k++];
      if ("text" in seg) {
        if (seg.text) nodes.push({ t: "text", s: seg.text });
        continue;
      }
      const a = seg.action;
      if (a.startsWith("/*")) continue;
      const word = /^[a-z]+/.exec(a)?.[0] ?? "";
      if (word === "end" || word === "else") {
        if (!stop.includes(word)) throw new TemplateError(`unexpected {{${word}}}`);
        const chain = word === "else" ? a.slice(4).trim() : "";
        return { nodes, end: word, chain };
      }
      if (word === "if" || word === "with" || word === "range") {
        nodes.push(block(word, a.slice(word.length)));
        continue;
      }
      if (word === "define" || word === "template" || word === "block") {
        throw new TemplateError(`{{${word}}} is not supported`);
      }
      const p = new Parser(lexAction(a));
      const pipe = p.pipe();
      if (!p.done()) throw new TemplateError(`unexpected ")" in command`);
      nodes.push({ t: "action", pipe });
    }
    if (stop.length) throw new TemplateError("unexpected EOF");
    return { nodes, end: "", chain: "" };
  };
  return { nodes: list([]).nodes };
}

// ---- evaluation

interface Scope {
  dot: unknown;
  vars: Map<string, unknown>;
  header: boolean;
}

export function truth(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  return true;
}

/** Go's fmt %v of a decoded JSON value. */
export function goString(v: unknown): string {
  if (v === undefined) return "<no value>";
  if (v === null) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : goFloat(v);
  if (typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => (x === null ? "<nil>" : goString(x))).join(" ")}]`;
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).sort();
    return `map[${keys.map((key) => `${key}:${o[key] === null ? "<nil>" : goString(o[key])}`).join(" ")}]`;
  }
  return String(v);
}

function goFloat(v: number): string {
  const e = Math.floor(Math.log10(Math.abs(v)));
  if (e < -4 || e >= 21) {
    const [m, x] = v.toExponential().split("e");
    const n = Number(x);
    return `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  return String(v);
}

function isContext(v: unknown): boolean {
  return !!v && typeof v === "object" && CONTEXT in v;
}

function sortKeys(v: unknown): unknown {
  if (!v || typeof v !== "object" || Array.isArray(v) || !(CONTEXT in v)) return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) if (typeof o[k] !== "function") out[k] = o[k];
  return out;
}

function cmp(a: unknown, b: unknown, name: string): number {
  if (typeof a !== typeof b) throw new TemplateError(`error calling ${name}: incompatible types for comparison`);
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

const FUNCS: Record<string, Fn> = {
  json: (v) => {
    const s = JSON.stringify(sortKeys(v === undefined ? null : v)) ?? "null";
    // A context marshals itself with Go's json.Marshal, which escapes HTML characters.
    return isContext(v) ? s.replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026") : s;
  },
  join: (a, sep) => (Array.isArray(a) ? a.map(goString).join(String(sep)) : goString(a)),
  split: (s, sep) => String(s).split(String(sep)),
  lower: (s) => String(s).toLowerCase(),
  upper: (s) => String(s).toUpperCase(),
  title: (s) => String(s).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, p, c) => p + c.toUpperCase()),
  pad: (s, l, r) => (s === "" ? "" : " ".repeat(Number(l)) + String(s) + " ".repeat(Number(r))),
  truncate: (s, n) => [...String(s)].slice(0, Number(n)).join(""),
  len: (v) => {
    if (typeof v === "string" || Array.isArray(v)) return v.length;
    if (v && typeof v === "object") return Object.keys(v).length;
    throw new TemplateError(`error calling len: len of type ${v === null ? "nil" : typeof v}`);
  },
  index: (v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (cur === null || cur === undefined) throw new TemplateError("error calling index: index of untyped nil");
      if (Array.isArray(cur)) {
        if (typeof k !== "number" || k < 0 || k >= cur.length)
          throw new TemplateError(`error calling index: index out of range: ${goString(k)}`);
        cur = cur[k];
      } else if (typeof cur === "object") {
        cur = (cur as Record<string, unknown>)[String(k)];
      } else throw new TemplateError(`error calling index: can't index item of type ${typeof cur}`);
    }
    // docker's maps are typed (map[string]string): a missing key is the zero value.
    return cur === undefined ? "" : cur;
  },
  print: (...a) => a.map((x, i) => (i > 0 && typeof x !== "string" && typeof a[i - 1] !== "string" ? " " : "") + goString(x)).join(""),
  println: (...a) => `${a.map(goString).join(" ")}\n`,
  printf: (f, ...a) => sprintf(String(f), a),
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  lt: (a, b) => cmp(a, b, "lt") < 0,
  le: (a, b) => cmp(a, b, "le") <= 0,
  gt: (a, b) => cmp(a, b, "gt") > 0,
  ge: (a, b) => cmp(a, b, "ge") >= 0,
  not: (a) => !truth(a),
  // and/or are evaluated lazily in evalCmd; these are never called.
  and: (...a) => a[a.length - 1],
  or: (...a) => a[a.length - 1],
};

// In a table header, docker's formatting functions return the header unchanged.
const HEADER_IDENTITY = new Set(["json", "split", "join", "title", "lower", "upper", "truncate", "pad"]);

function field(v: unknown, name: string, args: unknown[]): unknown {
  if (v === null || v === undefined) throw new TemplateError(`nil pointer evaluating interface {}.${name}`);
  if (typeof v !== "object") throw new TemplateError(`can't evaluate field ${name} in type ${typeof v}`);
  const o = v as Record<string, unknown>;
  if (!(name in o) && CONTEXT in o) throw new TemplateError(`can't evaluate field ${name}`);
  const f = o[name];
  if (typeof f === "function") return (f as Fn).apply(o, args);
  if (args.length) throw new TemplateError(`${name} has arguments but cannot be invoked as function`);
  return f;
}

function evalArg(a: Arg, s: Scope, args: unknown[], final: boolean): unknown {
  if (a.k === "lit") return a.v;
  if (a.k === "ident") throw new TemplateError(`can't give argument to non-function ${a.name}`);
  let v: unknown;
  if (a.base === "dot") v = s.dot;
  else if (typeof a.base === "string") {
    if (!s.vars.has(a.base)) throw new TemplateError(`undefined variable: ${a.base}`);
    v = s.vars.get(a.base);
  } else v = evalPipe(a.base, s);
  a.chain.forEach((name, i) => {
    v = field(v, name, final && i === a.chain.length - 1 ? args : []);
  });
  return v;
}

function evalCmd(cmd: Arg[], s: Scope, piped: unknown[]): unknown {
  const [head, ...rest] = cmd;
  if (head.k === "ident") {
    if (s.header && HEADER_IDENTITY.has(head.name)) {
      const all = [...rest.map((r) => evalArg(r, s, [], false)), ...piped];
      return all[0];
    }
    const f = FUNCS[head.name];
    if (!f) throw new TemplateError(`function "${head.name}" not defined`);
    const args = [...rest.map((r) => evalArg(r, s, [], false)), ...piped];
    if (head.name === "and" || head.name === "or") {
      for (const x of args) if (truth(x) === (head.name === "or")) return x;
      return args[args.length - 1];
    }
    return f(...args);
  }
  const args = [...rest.map((r) => evalArg(r, s, [], false)), ...piped];
  if (args.length && !(head.k === "field" && head.chain.length)) {
    throw new TemplateError("can't give argument to non-function");
  }
  return evalArg(head, s, args, true);
}

function evalPipe(p: Pipe, s: Scope): unknown {
  let v: unknown;
  p.cmds.forEach((c, i) => {
    v = evalCmd(c, s, i === 0 ? [] : [v]);
  });
  if (p.decl.length === 1) s.vars.set(p.decl[0], v);
  return v;
}

function run(nodes: Node[], s: Scope, out: string[]): void {
  for (const n of nodes) {
    switch (n.t) {
      case "text":
        out.push(n.s);
        break;
      case "action": {
        const v = evalPipe(n.pipe, s);
        if (n.pipe.decl.length === 0) out.push(goString(v));
        break;
      }
      case "if":
      case "with": {
        const v = evalPipe(n.pipe, s);
        if (truth(v)) run(n.body, n.t === "with" ? { ...s, dot: v } : s, out);
        else run(n.alt, s, out);
        break;
      }
      case "range": {
        const decl = n.pipe.decl;
        const v = evalPipe({ ...n.pipe, decl: [] }, s);
        const entries: [unknown, unknown][] = Array.isArray(v)
          ? v.map((x, i) => [i, x])
          : v && typeof v === "object"
            ? Object.keys(v)
                .sort()
                .map((k) => [k, (v as Record<string, unknown>)[k]])
            : [];
        if (v !== null && v !== undefined && typeof v !== "object" && typeof v !== "number")
          throw new TemplateError(`range can't iterate over ${goString(v)}`);
        if (typeof v === "number") for (let i = 0; i < v; i++) entries.push([i, i]);
        if (entries.length === 0) {
          run(n.alt, s, out);
          break;
        }
        for (const [k, x] of entries) {
          const vars = new Map(s.vars);
          if (decl.length === 1) vars.set(decl[0], x);
          if (decl.length === 2) {
            vars.set(decl[0], k);
            vars.set(decl[1], x);
          }
          run(n.body, { ...s, dot: x, vars }, out);
        }
        break;
      }
    }
  }
}

/** Executes a parsed template on `data`; `header` makes the formatting functions identities. */
export function execute(t: Template, data: unknown, header = false): string {
  const out: string[] = [];
  run(t.nodes, { dot: data, vars: new Map([["$", data]]), header }, out);
  return out.join("");
}

/** Parses and executes in one go. */
export function renderTemplate(src: string, data: unknown): string {
  return execute(parseTemplate(src), data);
}
