/** Pure helpers behind disk errors and subnet checks: withPath, routesOverlap, bridgeOptions. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { routesOverlap } from "../../src/network/ipam.js";
import { bridgeOptions } from "../../src/network/options.js";
import { withPath } from "../../src/util/errors.js";

function errno(code: string, message: string, path?: string): NodeJS.ErrnoException {
  const e = new Error(message) as NodeJS.ErrnoException;
  e.code = code;
  if (path) e.path = path;
  return e;
}

describe("withPath", () => {
  it("names the path of a disk error Node left it out of", () => {
    const e = withPath(
      errno("ENOSPC", "ENOSPC: no space left on device, write"),
      "/r/x",
    ) as NodeJS.ErrnoException;
    assert.equal(e.message, "write /r/x: no space left on device");
    assert.equal(e.code, "ENOSPC");
  });
  it("keeps the innermost path and leaves other errors alone", () => {
    const inner = withPath(errno("EIO", "EIO: i/o error, write"), "/r/inner");
    assert.equal(withPath(inner, "/r/outer"), inner);
    const named = errno("ENOSPC", "ENOSPC: no space left on device, open '/r/a'", "/r/a");
    assert.equal(withPath(named, "/r/b"), named);
    const other = errno("EACCES", "EACCES: permission denied, write");
    assert.equal(withPath(other, "/r/c"), other);
  });
});

describe("routesOverlap", () => {
  it("handles host routes and any prefix", () => {
    assert.ok(routesOverlap("10.88.1.7", "10.88.1.0/24"));
    assert.ok(!routesOverlap("10.88.2.7/32", "10.88.1.0/24"));
    assert.ok(routesOverlap("0.0.0.0/1", "10.88.1.0/24"));
    assert.ok(routesOverlap("10.0.0.0/8", "10.88.1.0/24"));
    assert.ok(!routesOverlap("192.0.2.0/24", "10.88.1.0/24"));
  });
});

describe("bridgeOptions", () => {
  it("parses the options berth applies", () => {
    const o = bridgeOptions({
      "com.docker.network.bridge.name": "br-x",
      "com.docker.network.bridge.enable_icc": "false",
      "com.docker.network.bridge.enable_ip_masquerade": "0",
      "com.docker.network.driver.mtu": "1400",
      "com.docker.network.bridge.host_binding_ipv4": "127.0.0.1",
      "com.example.unknown": "kept and ignored",
    });
    assert.deepEqual(o, { name: "br-x", icc: false, masquerade: false, mtu: 1400, hostIp: "127.0.0.1" });
  });
  it("refuses bad values and options it cannot honour", () => {
    assert.throws(
      () => bridgeOptions({ "com.docker.network.bridge.name": "a-name-longer-than-15" }),
      /invalid bridge name/,
    );
    assert.throws(() => bridgeOptions({ "com.docker.network.bridge.enable_icc": "maybe" }), /want a boolean/);
    assert.throws(() => bridgeOptions({ "com.docker.network.bridge.inhibit_ipv4": "true" }), /not supported/);
    assert.doesNotThrow(() => bridgeOptions({ "com.docker.network.bridge.inhibit_ipv4": "false" }));
  });
});
