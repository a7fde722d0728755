import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesSize, formatG, humanDuration, humanSize, humanSizeWithPrecision, shortId, timeAgo, } from "../../src/cli/format/units.js";
import { fromHumanSize, getTimestamp, memSwapBytes, parseDuration, ramInBytes, } from "../../src/cli/opts/units.js";
describe("sizes (go-units)", () => {
    it("HumanSizeWithPrecision(.., 3) as docker images prints", () => {
        const cases = [
            [0, "0B"],
            [999, "999B"],
            [1000, "1kB"],
            [1024, "1.02kB"],
            [4261613, "4.26MB"],
            [1_500_000_000, "1.5GB"],
            [999_999, "1e+03kB"],
            [12_345_678, "12.3MB"],
            [123_456_789, "123MB"],
            [5e21, "5ZB"],
        ];
        for (const [n, s] of cases)
            assert.equal(humanSizeWithPrecision(n, 3), s, String(n));
    });
    it("HumanSize (4 digits) and BytesSize (binary)", () => {
        assert.equal(humanSize(4261613), "4.262MB");
        assert.equal(humanSize(0), "0B");
        assert.equal(bytesSize(1024), "1KiB");
        assert.equal(bytesSize(33554432), "32MiB");
        assert.equal(bytesSize(1536 * 1024), "1.5MiB");
        assert.equal(bytesSize(123456789), "117.7MiB");
    });
    it("formats %g like Go", () => {
        assert.equal(formatG(0.0001234, 3), "0.000123");
        assert.equal(formatG(0.00001234, 3), "1.23e-05");
        assert.equal(formatG(100, 3), "100");
        assert.equal(formatG(1e21, 3), "1e+21");
    });
});
describe("durations (go-units HumanDuration)", () => {
    const s = 1000;
    const cases = [
        [0, "Less than a second"],
        [1 * s, "1 second"],
        [59 * s, "59 seconds"],
        [60 * s, "About a minute"],
        [119 * s, "About a minute"],
        [120 * s, "2 minutes"],
        [59 * 60 * s, "59 minutes"],
        [60 * 60 * s, "About an hour"],
        [90 * 60 * s, "2 hours"],
        [47 * 3600 * s, "47 hours"],
        [48 * 3600 * s, "2 days"],
        [14 * 24 * 3600 * s, "2 weeks"],
        [60 * 24 * 3600 * s, "2 months"],
        [730 * 24 * 3600 * s, "2 years"],
    ];
    for (const [ms, want] of cases)
        it(want, () => assert.equal(humanDuration(ms), want));
    it("timeAgo and shortId", () => {
        assert.equal(timeAgo(1000, 1000 * 1000 + 125 * 1000), "2 minutes ago");
        assert.equal(shortId("sha256:0123456789abcdef0123"), "0123456789ab");
    });
});
describe("size and time flags", () => {
    it("RAMInBytes", () => {
        assert.equal(ramInBytes("32m"), 32 * 1024 * 1024);
        assert.equal(ramInBytes("1.5g"), 1.5 * 1024 ** 3);
        assert.equal(ramInBytes("512k"), 512 * 1024);
        assert.equal(ramInBytes("64MB"), 64 * 1024 * 1024);
        assert.equal(ramInBytes("1024"), 1024);
        assert.equal(ramInBytes("1 GiB"), 1024 ** 3);
        assert.throws(() => ramInBytes("12x"));
        assert.throws(() => ramInBytes("-1"));
        assert.equal(memSwapBytes("-1"), -1);
        assert.equal(fromHumanSize("1.5GB"), 1.5e9);
    });
    it("Go durations", () => {
        assert.equal(parseDuration("5s"), 5e9);
        assert.equal(parseDuration("1h30m"), 5400e9);
        assert.equal(parseDuration("1.5s"), 1.5e9);
        assert.equal(parseDuration("300ms"), 3e8);
        assert.equal(parseDuration("0"), 0);
        assert.equal(parseDuration("-2m"), -120e9);
        assert.throws(() => parseDuration("5"), /missing unit/);
        assert.throws(() => parseDuration("5x"), /unknown unit/);
    });
    it("--since/--until timestamps", () => {
        const now = Date.UTC(2024, 0, 1, 0, 10, 0);
        assert.equal(getTimestamp("10m", now), String(Date.UTC(2024, 0, 1) / 1000) + ".000000000");
        assert.equal(getTimestamp("1700000000"), "1700000000");
        assert.equal(getTimestamp("2024-01-01T00:00:00Z"), `${Date.UTC(2024, 0, 1) / 1000}.000000000`);
    });
});
//# sourceMappingURL=units.test.js.map