/**
 * cgroup v2 accounting read as Docker reports it (most hosts are v2; this machine's
 * containers live in v1, so the v2 parsing is checked on io.stat text as the kernel writes it).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseIoStat } from "../../src/runtime/cgroups.js";

describe("cgroups: v2 io.stat", () => {
  it("gives a read and a write entry per device, as moby's v2 stats", () => {
    const text =
      "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n253:1 rbytes=10 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n";
    assert.deepEqual(parseIoStat(text), [
      { major: 8, minor: 0, op: "read", value: 4096 },
      { major: 8, minor: 0, op: "write", value: 8192 },
      { major: 253, minor: 1, op: "read", value: 10 },
      { major: 253, minor: 1, op: "write", value: 0 },
    ]);
  });
  it("is null without I/O, as Docker's JSON", () => {
    assert.equal(parseIoStat(""), null);
  });
});
