/**
 * Docker's output formatting: Go's tabwriter (minwidth 10, padding 3, spaces)
 * and the formatter flow of cli/command/formatter: "table" and "table ..."
 * formats get a header row rendered from the same template over a map of
 * column titles; other formats print one rendered row per item.
 */
import { CONTEXT, execute, parseTemplate, TemplateError } from "./template.js";

/** Go's text/tabwriter with docker's settings (minwidth 10, tabwidth 1, padding 3, ' '). */
export function tabwrite(text: string, minwidth = 10, padding = 3): string {
  const endsNl = text.endsWith("\n");
  const lines = (endsNl ? text.slice(0, -1) : text).split("\n").map((l) => l.split("\t"));
  const out: string[] = lines.map(() => "");
  const widthOf = (s: string) => [...s].length;
  const format = (line0: number, line1: number, widths: number[]): void => {
    const column = widths.length;
    let start = line0;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i].length - 1) continue;
      emit(start, i, widths);
      let width = minwidth;
      let j = i;
      for (; j < line1 && column < lines[j].length - 1; j++) {
        width = Math.max(width, widthOf(lines[j][column]) + padding);
      }
      format(i, j, [...widths, width]);
      start = j;
      i = j - 1;
    }
    emit(start, line1, widths);
  };
  const emit = (from: number, to: number, widths: number[]): void => {
    for (let i = from; i < to; i++) {
      const cells = lines[i];
      out[i] = cells
        .map((c, j) =>
          j < widths.length && j < cells.length - 1 ? c + " ".repeat(widths[j] - widthOf(c)) : c,
        )
        .join("");
    }
  };
  format(0, lines.length, []);
  return out.join("\n") + (endsNl ? "\n" : "");
}

/** Docker's preFormat: strips "table", trims spaces, turns literal \t and \n into the characters. */
export function preFormat(format: string): { table: boolean; body: string } {
  const table = format.startsWith("table");
  const body = (table ? format.slice(5) : format).replace(/^ +| +$/g, "");
  return { table, body: body.replace(/\\t/g, "\t").replace(/\\n/g, "\n") };
}

/** Marks an object as a formatting context (sorted keys for {{json .}}, unknown fields fail). */
export function context<T extends object>(o: T): T {
  Object.defineProperty(o, CONTEXT, { value: true, enumerable: false });
  return o;
}

export interface FormatOptions {
  /** The user's --format (or "" / "table" for the default). */
  format?: string;
  /** The command's default table format, e.g. "table {{.ID}}\t{{.Image}}". */
  defaultTable: string;
  /** Column titles by field name. */
  headers: Record<string, string>;
}

/**
 * Renders items (each a context object) per docker's formatter. Throws
 * TemplateError ("template parsing error: ...") on bad templates.
 */
export function formatList(items: object[], opts: FormatOptions): string {
  let fmt = opts.format ?? "";
  if (fmt === "" || fmt === "table") fmt = opts.defaultTable;
  // docker 23+: `--format json` is `{{json .}}`, one object per line.
  else if (fmt === "json") fmt = "{{json .}}";
  const { table, body } = preFormat(fmt);
  let tmpl: ReturnType<typeof parseTemplate>;
  try {
    tmpl = parseTemplate(body);
  } catch (e) {
    throw new TemplateError(`template parsing error: template: :1: ${(e as Error).message}`);
  }
  let rows = "";
  for (const item of items) {
    try {
      rows += `${execute(tmpl, item)}\n`;
    } catch (e) {
      throw new TemplateError(`template parsing error: template: :1: executing "" ${(e as Error).message}`);
    }
  }
  if (!table) return rows;
  const header = new Proxy(opts.headers, {
    // A function, so that fields called with arguments ({{.Label "x"}}) give their title too.
    get: (t, k) => (typeof k === "string" ? () => t[k] ?? "" : undefined),
    has: () => true,
  });
  let head = "";
  try {
    head = execute(tmpl, header, true);
  } catch {
    head = "";
  }
  return tabwrite(`${head}\n${rows}`);
}
