/**
 * Request checking follows Go's JSON decoding: null is a field's zero value (absent for a
 * struct field, "" in a map of strings); a wrong type is still refused with the field named.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCreate } from "../../src/api/schema/containers.js";
import { Nullable, Strings, StrSlice, describe as wants } from "../../src/util/schema.js";

describe("schema: Go's nulls", () => {
  it("takes null struct fields as absent and null map values as empty strings", () => {
    const body = {
      Image: "bb",
      Healthcheck: { Test: ["CMD", "true"], Interval: 1_000_000_000, Timeout: null, Retries: null },
      Labels: { a: null, b: "x" },
      HostConfig: { Memory: null, Binds: null, PortBindings: { "80/tcp": null } },
      WorkingDir: null,
    };
    const req = parseCreate(body);
    assert.deepEqual(req.Healthcheck, { Test: ["CMD", "true"], Interval: 1_000_000_000 });
    assert.deepEqual(req.Labels, { a: "", b: "x" });
    assert.equal(req.WorkingDir, undefined);
    assert.equal(req.HostConfig?.Memory, undefined);
    assert.deepEqual(req.HostConfig?.PortBindings, { "80/tcp": null });
  });

  it("still refuses wrong types, nulls inside lists included", () => {
    assert.throws(() => parseCreate({ Image: "bb", Labels: { a: 5 } }), /Labels\.a: expected string/);
    assert.throws(() => parseCreate({ Image: "bb", Healthcheck: { Timeout: "1s" } }), /Healthcheck\.Timeout/);
    assert.throws(
      () => parseCreate({ Image: "bb", HostConfig: { Binds: [null] } }),
      /HostConfig\.Binds\[0\]/,
    );
  });

  it("names each type a field takes once, nested unions included", () => {
    assert.equal(wants(Nullable(StrSlice)), "array of string or string or null");
    assert.equal(wants(Nullable(Strings)), "array of string or null");
  });
});
