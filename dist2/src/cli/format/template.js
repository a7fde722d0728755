/**
 * A subset of Go's text/template, enough for docker's --format flags:
 * fields and chains (.A.B, $v.A), literals, pipelines with |, parentheses,
 * if/else if/else, range (with $i, $v :=), with, and docker's functions
 * (json, join, split, lower, upper, title, pad, truncate) plus Go's builtins
 * (index, len, print, printf, println, eq, ne, lt, le, gt, ge, and, or, not).
 * Values print as Go's fmt would print the decoded JSON.
 */
import { parseTemplate, TemplateError } from "./parse.js";
import { sprintf } from "./printf.js";
export { parseTemplate, TemplateError } from "./parse.js";
/** Objects marked as a formatting context: `{{json .}}` sorts their keys, and unknown fields fail. */
export const CONTEXT = Symbol("berth.format.context");
export function truth(v) {
    if (v === null || v === undefined || v === false || v === 0 || v === "")
        return false;
    if (Array.isArray(v))
        return v.length > 0;
    if (typeof v === "object")
        return Object.keys(v).length > 0;
    return true;
}
/** Go's fmt %v of a decoded JSON value. */
export function goString(v) {
    if (v === undefined)
        return "<no value>";
    if (v === null)
        return "<nil>";
    if (typeof v === "string")
        return v;
    if (typeof v === "number")
        return Number.isInteger(v) ? String(v) : goFloat(v);
    if (typeof v === "bigint" || typeof v === "boolean")
        return String(v);
    if (Array.isArray(v))
        return `[${v.map((x) => (x === null ? "<nil>" : goString(x))).join(" ")}]`;
    if (typeof v === "object") {
        const o = v;
        const keys = Object.keys(o).sort();
        return `map[${keys.map((key) => `${key}:${o[key] === null ? "<nil>" : goString(o[key])}`).join(" ")}]`;
    }
    return String(v);
}
function goFloat(v) {
    const e = Math.floor(Math.log10(Math.abs(v)));
    if (e < -4 || e >= 21) {
        const [m, x] = v.toExponential().split("e");
        const n = Number(x);
        return `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
    }
    return String(v);
}
function isContext(v) {
    return !!v && typeof v === "object" && CONTEXT in v;
}
function sortKeys(v) {
    if (!v || typeof v !== "object" || Array.isArray(v) || !(CONTEXT in v))
        return v;
    const o = v;
    const out = {};
    for (const k of Object.keys(o).sort())
        if (typeof o[k] !== "function")
            out[k] = o[k];
    return out;
}
function cmp(a, b, name) {
    if (typeof a !== typeof b)
        throw new TemplateError(`error calling ${name}: incompatible types for comparison`);
    return a < b ? -1 : a > b ? 1 : 0;
}
const FUNCS = {
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
        if (typeof v === "string" || Array.isArray(v))
            return v.length;
        if (v && typeof v === "object")
            return Object.keys(v).length;
        throw new TemplateError(`error calling len: len of type ${v === null ? "nil" : typeof v}`);
    },
    index: (v, ...keys) => {
        let cur = v;
        for (const k of keys) {
            if (cur === null || cur === undefined)
                throw new TemplateError("error calling index: index of untyped nil");
            if (Array.isArray(cur)) {
                if (typeof k !== "number" || k < 0 || k >= cur.length)
                    throw new TemplateError(`error calling index: index out of range: ${goString(k)}`);
                cur = cur[k];
            }
            else if (typeof cur === "object") {
                cur = cur[String(k)];
            }
            else
                throw new TemplateError(`error calling index: can't index item of type ${typeof cur}`);
        }
        // docker's maps are typed (map[string]string): a missing key is the zero value.
        return cur === undefined ? "" : cur;
    },
    print: (...a) => a
        .map((x, i) => (i > 0 && typeof x !== "string" && typeof a[i - 1] !== "string" ? " " : "") + goString(x))
        .join(""),
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
function field(v, name, args) {
    if (v === null || v === undefined)
        throw new TemplateError(`nil pointer evaluating interface {}.${name}`);
    if (typeof v !== "object")
        throw new TemplateError(`can't evaluate field ${name} in type ${typeof v}`);
    const o = v;
    if (!(name in o) && CONTEXT in o)
        throw new TemplateError(`can't evaluate field ${name}`);
    const f = o[name];
    if (typeof f === "function")
        return f.apply(o, args);
    if (args.length)
        throw new TemplateError(`${name} has arguments but cannot be invoked as function`);
    return f;
}
function evalArg(a, s, args, final) {
    if (a.k === "lit")
        return a.v;
    if (a.k === "ident")
        throw new TemplateError(`can't give argument to non-function ${a.name}`);
    let v;
    if (a.base === "dot")
        v = s.dot;
    else if (typeof a.base === "string") {
        if (!s.vars.has(a.base))
            throw new TemplateError(`undefined variable: ${a.base}`);
        v = s.vars.get(a.base);
    }
    else
        v = evalPipe(a.base, s);
    a.chain.forEach((name, i) => {
        v = field(v, name, final && i === a.chain.length - 1 ? args : []);
    });
    return v;
}
function evalCmd(cmd, s, piped) {
    const [head, ...rest] = cmd;
    if (head.k === "ident") {
        if (s.header && HEADER_IDENTITY.has(head.name)) {
            const all = [...rest.map((r) => evalArg(r, s, [], false)), ...piped];
            return all[0];
        }
        const f = FUNCS[head.name];
        if (!f)
            throw new TemplateError(`function "${head.name}" not defined`);
        const args = [...rest.map((r) => evalArg(r, s, [], false)), ...piped];
        if (head.name === "and" || head.name === "or") {
            for (const x of args)
                if (truth(x) === (head.name === "or"))
                    return x;
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
function evalPipe(p, s) {
    let v;
    p.cmds.forEach((c, i) => {
        v = evalCmd(c, s, i === 0 ? [] : [v]);
    });
    if (p.decl.length === 1)
        s.vars.set(p.decl[0], v);
    return v;
}
function run(nodes, s, out) {
    for (const n of nodes) {
        switch (n.t) {
            case "text":
                out.push(n.s);
                break;
            case "action": {
                const v = evalPipe(n.pipe, s);
                if (n.pipe.decl.length === 0)
                    out.push(goString(v));
                break;
            }
            case "if":
            case "with": {
                const v = evalPipe(n.pipe, s);
                if (truth(v))
                    run(n.body, n.t === "with" ? { ...s, dot: v } : s, out);
                else
                    run(n.alt, s, out);
                break;
            }
            case "range": {
                const decl = n.pipe.decl;
                const v = evalPipe({ ...n.pipe, decl: [] }, s);
                const entries = Array.isArray(v)
                    ? v.map((x, i) => [i, x])
                    : v && typeof v === "object"
                        ? Object.keys(v)
                            .sort()
                            .map((k) => [k, v[k]])
                        : [];
                if (v !== null && v !== undefined && typeof v !== "object" && typeof v !== "number")
                    throw new TemplateError(`range can't iterate over ${goString(v)}`);
                if (typeof v === "number")
                    for (let i = 0; i < v; i++)
                        entries.push([i, i]);
                if (entries.length === 0) {
                    run(n.alt, s, out);
                    break;
                }
                for (const [k, x] of entries) {
                    const vars = new Map(s.vars);
                    if (decl.length === 1)
                        vars.set(decl[0], x);
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
export function execute(t, data, header = false) {
    const out = [];
    run(t.nodes, { dot: data, vars: new Map([["$", data]]), header }, out);
    return out.join("");
}
/** Parses and executes in one go. */
export function renderTemplate(src, data) {
    return execute(parseTemplate(src), data);
}
//# sourceMappingURL=template.js.map