/**
 * Docker's word processing (buildkit's shell lexer rules): quotes, the
 * escape token (`\` or a backtick), variable forms, word splitting and
 * key=value pairs. Expected values follow Docker's documented behaviour.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile variables, not templates
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keyValues, processWord, processWords } from "../../src/builder/shell.js";

const env: Record<string, string> = { PWD: "/home", EMPTY: "", FILE: "archive.tar.gz", SP: "a b" };
const lookup = (k: string) => env[k];

describe("shell word processing", () => {
  it("removes quotes and escapes as Docker does", () => {
    const cases: [string, string][] = [
      ["he'll'o", "hello"],
      ["\"he'll'o\"", "he'll'o"],
      ["'$PWD'", "$PWD"],
      ['"$PWD"', "/home"],
      ["\\$PWD", "$PWD"],
      ["he\\xo", "hexo"],
      ['"he\\xo"', "he\\xo"],
      ['"a\\"b"', 'a"b'],
      ['"a\\\\b"', "a\\b"],
      ["he\\\\$PWD", "he\\/home"],
      ["'a\\b'", "a\\b"],
    ];
    for (const [input, want] of cases) assert.equal(processWord(input, lookup), want, input);
  });

  it("expands every variable form", () => {
    const cases: [string, string][] = [
      ["${PWD}", "/home"],
      ["${NOPE:-dflt}", "dflt"],
      ["${EMPTY:-dflt}", "dflt"],
      ["${EMPTY-dflt}", ""],
      ["${PWD:+set}", "set"],
      ["${NOPE+set}", ""],
      ["${FILE#*.}", "tar.gz"],
      ["${FILE##*.}", "gz"],
      ["${FILE%.*}", "archive.tar"],
      ["${FILE%%.*}", "archive"],
      ["${FILE/tar/zip}", "archive.zip.gz"],
      ["${NOPE:-${PWD}/x}", "/home/x"],
      ["$", "$"],
    ];
    for (const [input, want] of cases) assert.equal(processWord(input, lookup), want, input);
    assert.throws(() => processWord("${NOPE:?is required}", lookup), /NOPE: is required/);
    assert.throws(() => processWord('"open', lookup), /double-quote/);
  });

  it("honours a backtick escape token: backslashes are plain characters", () => {
    assert.equal(processWord("C:\\path", lookup, "`"), "C:\\path");
    assert.equal(processWord("`$PWD", lookup, "`"), "$PWD");
    assert.equal(processWord('"a`"b"', lookup, "`"), 'a"b');
    assert.equal(processWord("C:\\path", lookup), "C:path");
  });

  it("splits words on unquoted blanks, also in unquoted expansions", () => {
    assert.deepEqual(processWords('a "b c" d\\ e', lookup), ["a", "b c", "d e"]);
    assert.deepEqual(processWords("x $SP y", lookup), ["x", "a", "b", "y"]);
    assert.deepEqual(processWords('x "$SP" y', lookup), ["x", "a b", "y"]);
  });

  it("splits key=value pairs, and the legacy ENV form", () => {
    assert.deepEqual(keyValues('A=1 "B C"=2 D="x y" E', false, lookup), [
      ["A", "1"],
      ["B C", "2"],
      ["D", "x y"],
      ["E", undefined],
    ]);
    assert.deepEqual(keyValues("KEY some $PWD value", true, lookup), [["KEY", "some /home value"]]);
    assert.deepEqual(keyValues("WIN=C:\\path", true, lookup, "`"), [["WIN", "C:\\path"]]);
  });
});
