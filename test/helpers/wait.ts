/**
 * Waiting for a condition instead of sleeping a fixed time: tests run on loaded machines
 * (CI, other agents' tests), where "after 2 s" is not "after it happened".
 */
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Calls `probe` every `everyMs` until it returns a value other than undefined/false and returns
 * that value. Throws after `ms` (default 30 s) with `what` and the last value seen.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 30_000,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
