/**
 * docs/COMPATIBILITY.md against the truth: its table lists exactly the
 * single-host operations of the reference Engine API v1.41 yaml, each row
 * marked done or partial is routed by berthd and each "not planned" one is
 * not, and the counts in the summary line are the table's.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { buildRouter } from "../../src/api/server.js";
import type { Engine } from "../../src/engine/engine.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const DOC = resolve(ROOT, "docs/COMPATIBILITY.md");
/** The reference spec beside the repository (shared/), or in /work/shared. */
const SPEC = [
  resolve(ROOT, "../shared/reference/docker-engine-api-v1.41.yaml"),
  "/work/shared/reference/docker-engine-api-v1.41.yaml",
].find((p) => existsSync(p));
const SINGLE_HOST = new Set(["Container", "Image", "System", "Network", "Volume", "Exec", "Distribution"]);

interface Op {
  method: string;
  path: string;
  id: string;
  tag: string;
}

/**
 * The operations of the swagger 2.0 yaml, read by its layout (paths at two
 * spaces, methods at four, `operationId` and the first tag below them), so
 * the test needs no YAML library.
 */
function specOperations(text: string): Op[] {
  const ops: Op[] = [];
  let inPaths = false;
  let path = "";
  let cur: Op | undefined;
  let inTags = false;
  for (const line of text.split("\n")) {
    if (/^\S/.test(line)) {
      inPaths = line.startsWith("paths:");
      continue;
    }
    if (!inPaths) continue;
    const p = /^ {2}(\/\S*):\s*$/.exec(line);
    if (p) {
      path = p[1]!;
      continue;
    }
    const m = /^ {4}(get|post|put|delete|head):\s*$/.exec(line);
    if (m) {
      cur = { method: m[1]!.toUpperCase(), path, id: "", tag: "" };
      ops.push(cur);
      inTags = false;
      continue;
    }
    if (!cur) continue;
    const id = /^ {6}operationId:\s*"?(\w+)"?/.exec(line);
    if (id) cur.id = id[1]!;
    const inline = /^ {6}tags:\s*\["?(\w+)"?/.exec(line);
    if (inline && !cur.tag) cur.tag = inline[1]!;
    if (/^ {6}tags:\s*$/.test(line)) inTags = true;
    else if (inTags) {
      const t = /^ {8}- "?(\w+)"?/.exec(line);
      if (t && !cur.tag) cur.tag = t[1]!;
      if (!/^ {8}/.test(line)) inTags = false;
    }
  }
  return ops;
}

interface Row {
  method: string;
  path: string;
  id: string;
  status: string;
  notes: string;
}

function tableRows(md: string): Row[] {
  return md
    .split("\n")
    .filter((l) => /^\| (GET|POST|PUT|DELETE|HEAD) \|/.test(l))
    .map((l) => {
      const [method, path, id, status, notes] = l
        .slice(1, -1)
        .split(" | ")
        .map((c) => c.trim());
      return { method: method!, path: path!, id: id!, status: status!, notes: notes ?? "" };
    });
}

/** Any object, at any depth: route installers only keep references to the engine's parts. */
function anything(): Engine {
  const f: object = new Proxy(() => f, { get: (_t, k) => (k === Symbol.toPrimitive ? () => "" : f) });
  return f as Engine;
}

describe("docs/COMPATIBILITY.md", () => {
  const rows = tableRows(readFileSync(DOC, "utf8"));
  const router = buildRouter(anything());
  const routed = (method: string, path: string) => {
    // Fill the yaml's {params} with sample values; image names may hold slashes.
    const image = /^\/(images|distribution)\//.test(path);
    const sample = path
      .replace(/\{name\}/g, image ? "library/busybox" : "abc123")
      .replace(/\{\w+\}/g, "abc123");
    const m = router.match(method, sample);
    return typeof m === "object" && m !== null;
  };

  it("lists exactly the 64 single-host operations of the reference yaml", { skip: !SPEC }, () => {
    const ops = specOperations(readFileSync(SPEC!, "utf8")).filter((o) => SINGLE_HOST.has(o.tag));
    assert.equal(ops.length, 64);
    const key = (o: { method: string; path: string; id: string }) => `${o.method} ${o.path} ${o.id}`;
    assert.deepEqual(rows.map(key).sort(), ops.map(key).sort());
  });

  it("marks as routed exactly what berthd routes", () => {
    for (const r of rows) {
      assert.ok(["done", "partial", "not planned"].includes(r.status), `${r.id}: status ${r.status}`);
      if (r.status === "not planned")
        assert.ok(!routed(r.method, r.path), `${r.id} is routed but "not planned"`);
      else assert.ok(routed(r.method, r.path), `${r.id} is "${r.status}" but not routed`);
      if (r.status !== "done") assert.ok(r.notes.length > 10, `${r.id}: "${r.status}" needs a note`);
    }
    // Every registered route is one of the table's operations (or berth's HEAD twin of a GET).
    for (const { method, pattern } of router.list()) {
      const path = pattern.replace(/\{(\w+)\*?\}/g, "{$1}");
      assert.ok(
        rows.some((r) => r.method === method && r.path === path),
        `${method} ${pattern} is routed but not in the table`,
      );
    }
  });

  it("states the table's counts", () => {
    const md = readFileSync(DOC, "utf8");
    const m = /\*\*(\d+) of (\d+) operations routed: (\d+) done, (\d+) partial, (\d+) not planned\.\*\*/.exec(
      md,
    );
    assert.ok(m, "summary line missing");
    const count = (s: string) => rows.filter((r) => r.status === s).length;
    assert.deepEqual(m.slice(1).map(Number), [
      count("done") + count("partial"),
      rows.length,
      count("done"),
      count("partial"),
      count("not planned"),
    ]);
  });
});
