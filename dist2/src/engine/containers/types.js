export const ZERO_TIME = "0001-01-01T00:00:00Z";
//# sourceMappingURL=types.js.map