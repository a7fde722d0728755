/** Lexer and parser for the Go text/template subset (see template.ts for what it covers). */
export class TemplateError extends Error {
}
function lexAction(src) {
    const out = [];
    let i = 0;
    while (i < src.length) {
        const c = src[i];
        if (/\s/.test(c)) {
            i++;
        }
        else if (c === '"') {
            let j = i + 1;
            while (j < src.length && src[j] !== '"')
                j += src[j] === "\\" ? 2 : 1;
            if (j >= src.length)
                throw new TemplateError("unterminated quoted string");
            out.push({ k: "str", v: JSON.parse(src.slice(i, j + 1)) });
            i = j + 1;
        }
        else if (c === "`") {
            const j = src.indexOf("`", i + 1);
            if (j < 0)
                throw new TemplateError("unterminated raw quoted string");
            out.push({ k: "str", v: src.slice(i + 1, j) });
            i = j + 1;
        }
        else if (c === "|" || c === "(" || c === ")" || c === ",") {
            out.push({ k: "op", v: c });
            i++;
        }
        else if (src.startsWith(":=", i) || c === "=") {
            out.push({ k: "op", v: c === "=" ? "=" : ":=" });
            i += c === "=" ? 1 : 2;
        }
        else if (/[0-9]/.test(c) || (/[-+]/.test(c) && /[0-9]/.test(src[i + 1] ?? ""))) {
            const m = /^[-+]?[0-9][0-9a-fA-FxX._]*/.exec(src.slice(i));
            if (!m)
                throw new TemplateError(`bad number syntax: ${src.slice(i)}`);
            out.push({ k: "num", v: m[0] });
            i += m[0].length;
        }
        else if (c === "." || c === "$") {
            const re = c === "$" ? /^\$[A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*/ : /^(\.[A-Za-z0-9_]+)+/;
            const s = re.exec(src.slice(i))?.[0] ?? c;
            out.push({ k: c === "$" ? "var" : "field", v: s });
            i += Math.max(1, s.length);
        }
        else if (/[A-Za-z_]/.test(c)) {
            const m = /^[A-Za-z_][A-Za-z0-9_]*((\.[A-Za-z0-9_]+)*)/.exec(src.slice(i));
            out.push({ k: "ident", v: m[0] });
            i += m[0].length;
        }
        else {
            throw new TemplateError(`unexpected "${c}" in command`);
        }
    }
    return out;
}
// ---- parsing
class Parser {
    toks;
    pos = 0;
    constructor(toks) {
        this.toks = toks;
    }
    peek() {
        return this.toks[this.pos];
    }
    next() {
        return this.toks[this.pos++];
    }
    done() {
        return this.pos >= this.toks.length;
    }
    pipe() {
        const decl = [];
        const save = this.pos;
        while (this.peek()?.k === "var") {
            decl.push(this.next()?.v);
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
        const cmds = [[]];
        for (;;) {
            const t = this.peek();
            if (!t || (t.k === "op" && t.v === ")"))
                break;
            this.next();
            if (t.k === "op" && t.v === "|") {
                if (cmds[cmds.length - 1].length === 0)
                    throw new TemplateError("missing command");
                cmds.push([]);
                continue;
            }
            cmds[cmds.length - 1].push(this.operand(t));
        }
        if (cmds[cmds.length - 1].length === 0)
            throw new TemplateError("missing value for command");
        return { decl, cmds };
    }
    operand(t) {
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
                if (name === "true" || name === "false")
                    return { k: "lit", v: name === "true" };
                if (name === "nil")
                    return { k: "lit", v: null };
                if (chain.length)
                    throw new TemplateError(`unexpected . after term "${name}"`);
                return { k: "ident", name };
            }
            case "op": {
                if (t.v !== "(")
                    throw new TemplateError(`unexpected "${t.v}" in operand`);
                const inner = this.pipe();
                const close = this.next();
                if (close?.v !== ")")
                    throw new TemplateError("unclosed left paren");
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
/** Parses a template; throws TemplateError with Go-like messages. */
export function parseTemplate(src) {
    const segs = [];
    let i = 0;
    while (i < src.length) {
        const open = src.indexOf("{{", i);
        if (open < 0) {
            segs.push({ text: src.slice(i) });
            break;
        }
        let text = src.slice(i, open);
        let start = open + 2;
        if (/^- /.test(src.slice(start)) || (src[start] === "-" && /\s/.test(src[start + 1] ?? ""))) {
            text = text.replace(/\s+$/, "");
            start++;
        }
        segs.push({ text });
        const close = src.indexOf("}}", start);
        if (close < 0)
            throw new TemplateError("unclosed action");
        let body = src.slice(start, close);
        i = close + 2;
        if (/\s-$/.test(body)) {
            body = body.slice(0, -1);
            const m = /^\s*/.exec(src.slice(i));
            i += m[0].length;
        }
        segs.push({ action: body.trim() });
    }
    let k = 0;
    // An "else if" chain is a nested block that consumes the shared {{end}}.
    const block = (word, rest) => {
        const p = new Parser(lexAction(rest));
        const pipe = p.pipe();
        if (!p.done())
            throw new TemplateError(`unexpected ")" in ${word}`);
        const body = list(["else", "end"]);
        let alt = [];
        if (body.end === "else") {
            const w = /^[a-z]+/.exec(body.chain)?.[0] ?? "";
            if (body.chain && (w === "if" || w === "with"))
                alt = [block(w, body.chain.slice(w.length))];
            else if (body.chain)
                throw new TemplateError(`unexpected "${body.chain}" in else`);
            else
                alt = list(["end"]).nodes;
        }
        return { t: word, pipe, body: body.nodes, alt };
    };
    const list = (stop) => {
        const nodes = [];
        while (k < segs.length) {
            const seg = segs[k++];
            if ("text" in seg) {
                if (seg.text)
                    nodes.push({ t: "text", s: seg.text });
                continue;
            }
            const a = seg.action;
            if (a.startsWith("/*"))
                continue;
            const word = /^[a-z]+/.exec(a)?.[0] ?? "";
            if (word === "end" || word === "else") {
                if (!stop.includes(word))
                    throw new TemplateError(`unexpected {{${word}}}`);
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
            if (!p.done())
                throw new TemplateError(`unexpected ")" in command`);
            nodes.push({ t: "action", pipe });
        }
        if (stop.length)
            throw new TemplateError("unexpected EOF");
        return { nodes, end: "", chain: "" };
    };
    return { nodes: list([]).nodes };
}
//# sourceMappingURL=parse.js.map