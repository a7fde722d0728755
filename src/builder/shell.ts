/**
 * Docker's shell-word processing for Dockerfile instructions (moby/buildkit
 * `frontend/dockerfile/shell/lex.go`): single quotes are literal, double
 * quotes keep spaces and honour the escape token only before `"`, `$` and
 * itself, an unquoted escape makes the next character literal, and `$VAR`,
 * `${VAR}`, `${VAR:-w}`, `${VAR-w}`, `${VAR:+w}`, `${VAR+w}`, `${VAR:?msg}`,
 * `${VAR#p}`, `${VAR##p}`, `${VAR%p}`, `${VAR%%p}` and `${VAR/p/r}` expand.
 * The escape token is the Dockerfile's (`# escape=`): `\` or a backtick.
 */
import { invalid } from "../util/errors.js";

export type Lookup = (name: string) => string | undefined;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Go's path.Match-like glob (as buildkit uses for # and %) to a RegExp body. */
function globBody(p: string): string {
  let re = "";
  for (const c of p) {
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else re += c.replace(/[.+^${}()|[\]\\/]/g, "\\$&");
  }
  return re;
}

class Lexer {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly lookup: Lookup,
    private readonly esc: string,
  ) {}

  /** The whole input as words (split on unquoted blanks); quotes and escapes removed. */
  words(split: boolean): string[] {
    const out: string[] = [];
    let cur = "";
    let inWord = false;
    const s = this.s;
    while (this.i < s.length) {
      const ch = s[this.i]!;
      if (split && /\s/.test(ch)) {
        if (inWord) out.push(cur);
        cur = "";
        inWord = false;
        this.i++;
        continue;
      }
      inWord = true;
      if (ch === this.esc) {
        this.i++;
        if (this.i < s.length) cur += s[this.i++]!;
      } else if (ch === "'") {
        const end = s.indexOf("'", this.i + 1);
        if (end < 0) throw invalid(`unexpected end of statement while looking for matching single-quote`);
        cur += s.slice(this.i + 1, end);
        this.i = end + 1;
      } else if (ch === '"') {
        cur += this.doubleQuoted();
      } else if (ch === "$") {
        const v = this.dollar();
        if (!split) cur += v;
        else {
          // An unquoted expansion is split into words, as a shell does.
          const parts = v.split(/\s+/);
          for (let k = 0; k < parts.length; k++) {
            if (k > 0) {
              if (cur !== "") out.push(cur);
              cur = "";
            }
            cur += parts[k]!;
          }
        }
      } else {
        cur += ch;
        this.i++;
      }
    }
    if (inWord || !split) out.push(cur);
    return out;
  }

  private doubleQuoted(): string {
    const s = this.s;
    let out = "";
    this.i++;
    while (this.i < s.length) {
      const ch = s[this.i]!;
      if (ch === '"') {
        this.i++;
        return out;
      }
      if (ch === "$") out += this.dollar();
      else if (ch === this.esc) {
        const next = s[this.i + 1];
        if (next === '"' || next === "$" || next === this.esc) {
          out += next;
          this.i += 2;
        } else {
          out += ch;
          this.i++;
        }
      } else {
        out += ch;
        this.i++;
      }
    }
    throw invalid(`unexpected end of statement while looking for matching double-quote`);
  }

  /** At a `$`: the expansion (or a literal `$`). */
  private dollar(): string {
    const s = this.s;
    this.i++;
    if (s[this.i] !== "{") {
      const m = NAME.exec(s.slice(this.i));
      if (!m) return "$";
      this.i += m[0].length;
      return this.lookup(m[0]) ?? "";
    }
    this.i++;
    const m = NAME.exec(s.slice(this.i));
    if (!m) throw invalid(`missing ':' in substitution: ${s}`);
    const name = m[0];
    this.i += name.length;
    const v = this.lookup(name);
    if (s[this.i] === "}") {
      this.i++;
      return v ?? "";
    }
    let op = s[this.i]!;
    this.i++;
    if (op === ":" || ((op === "#" || op === "%") && s[this.i] === op)) op += s[this.i++]!;
    if (op === "/") {
      const pat = this.until("/");
      const repl = this.until("}");
      return v === undefined ? "" : v.replace(new RegExp(globBody(pat)), repl);
    }
    const word = this.until("}");
    switch (op) {
      case ":-":
        return v ? v : word;
      case "-":
        return v !== undefined ? v : word;
      case ":+":
        return v ? word : "";
      case "+":
        return v !== undefined ? word : "";
      case ":?":
      case "?":
        if (op === ":?" ? !v : v === undefined)
          throw invalid(`${name}: ${word || "is not allowed to be unset"}`);
        return v ?? "";
      case "#":
      case "##":
        return v === undefined
          ? ""
          : v.replace(new RegExp(`^${globBody(word).replace(/\.\*/g, op === "#" ? ".*?" : ".*")}`), "");
      case "%":
      case "%%": {
        if (v === undefined) return "";
        // Shortest suffix: try from the end.
        const re = new RegExp(`^(?:${globBody(word)})$`);
        if (op === "%") {
          for (let k = v.length; k >= 0; k--) if (re.test(v.slice(k))) return v.slice(0, k);
        } else {
          for (let k = 0; k <= v.length; k++) if (re.test(v.slice(k))) return v.slice(0, k);
        }
        return v;
      }
      default:
        throw invalid(`unsupported modifier (${op}) in substitution: ${s}`);
    }
  }

  /** Expanded text up to an unescaped `end` (consumed). */
  private until(end: string): string {
    const s = this.s;
    let out = "";
    while (this.i < s.length && s[this.i] !== end) {
      const ch = s[this.i]!;
      if (ch === "$") out += this.dollar();
      else if (ch === this.esc && this.i + 1 < s.length) {
        out += s[this.i + 1]!;
        this.i += 2;
      } else if (ch === "'" || ch === '"') {
        const q = ch;
        const j = s.indexOf(q, this.i + 1);
        if (j < 0) throw invalid(`unexpected end of statement while looking for matching ${q}`);
        out +=
          q === '"'
            ? new Lexer(s.slice(this.i, j + 1), this.lookup, this.esc).words(false).join("")
            : s.slice(this.i + 1, j);
        this.i = j + 1;
      } else {
        out += ch;
        this.i++;
      }
    }
    if (s[this.i] !== end) throw invalid(`syntax error: missing '${end}' in ${s}`);
    this.i++;
    return out;
  }
}

/** One word: expansions done, quotes and escapes removed, blanks kept (ENV values, WORKDIR, USER...). */
export function processWord(word: string, lookup: Lookup, esc = "\\"): string {
  return new Lexer(word, lookup, esc).words(false).join("");
}

/** Words split on unquoted blanks, each processed (COPY/ADD sources, EXPOSE, VOLUME). */
export function processWords(text: string, lookup: Lookup, esc = "\\"): string[] {
  return new Lexer(text, lookup, esc).words(true).filter((w) => w !== "");
}

/**
 * Splits raw text on unquoted blanks, keeping quotes and escapes (the
 * parser's `parseWords`, used before `key=value` pairs are expanded).
 */
export function rawWords(text: string, esc = "\\"): string[] {
  const out: string[] = [];
  let cur = "";
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (!quote && /\s/.test(ch)) {
      if (cur) out.push(cur);
      cur = "";
      continue;
    }
    if (ch === esc && quote !== "'" && i + 1 < text.length) {
      cur += ch + text[++i]!;
      continue;
    }
    if (quote && ch === quote) quote = "";
    else if (!quote && (ch === "'" || ch === '"')) quote = ch;
    cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * ENV/LABEL/ARG pairs: `K=V "K 2"=V2`, or the legacy `K V...` form (ENV and
 * LABEL only) whose value is the rest of the line. Keys and values are
 * processed as words; a pair without `=` has an undefined value (ARG).
 */
export function keyValues(
  args: string,
  legacy: boolean,
  lookup: Lookup,
  esc = "\\",
): [string, string | undefined][] {
  const words = rawWords(args, esc);
  if (legacy && words.length > 0 && !words[0]!.includes("=")) {
    const rest = args.trim().slice(words[0]!.length).trim();
    return [[processWord(words[0]!, lookup, esc), processWord(rest, lookup, esc)]];
  }
  return words.map((w) => {
    const i = w.indexOf("=");
    if (i < 0) return [processWord(w, lookup, esc), undefined];
    return [processWord(w.slice(0, i), lookup, esc), processWord(w.slice(i + 1), lookup, esc)];
  });
}
