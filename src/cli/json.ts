/** Decoded Engine API JSON: the CLI reads fields the daemon sent and prints them, so it stays loosely typed. */
// biome-ignore lint/suspicious/noExplicitAny: answers are shaped by the API spec, not by a local type
export type J = Record<string, any>;
