/**
 * Log rotation for `--log-opt max-size=S --log-opt max-file=N` (N > 1).
 * berthd watches the live file conmon writes; once it reaches S bytes it
 * shifts <log>.1.. up to <log>.<N-1> (the oldest drops), renames the live
 * file to <log>.1 and asks conmon over its ctl fifo to reopen its log, which
 * creates a fresh live file. conmon writes into the renamed file until it
 * reopens, so no line is lost between files. (With N = 1 conmon bounds the
 * file itself with --log-size-max, starting it afresh.) While berthd is
 * down nothing rotates: the live file grows until berthd is back and
 * rotates it at once. Readers list the files with logFiles().
 */
import { watch } from "node:fs";
import { readdir, rename, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { Logger } from "pino";
import { reopenLogVia } from "./attach.js";

const CHECK_MS = 1000;

/** The files of one container's log, oldest first, the live one last (rotated ones that exist). */
export async function logFiles(logPath: string): Promise<string[]> {
  const base = basename(logPath);
  const names = await readdir(dirname(logPath)).catch(() => [] as string[]);
  const rotated = names
    .map((n) => (n.startsWith(`${base}.`) ? Number(n.slice(base.length + 1)) : Number.NaN))
    .filter((i) => Number.isInteger(i) && i > 0)
    .sort((a, b) => b - a)
    .map((i) => `${logPath}.${i}`);
  return [...rotated, logPath];
}

/** Rotates one container's live log file at `maxSize` bytes, keeping `maxFiles - 1` old ones. */
export class LogRotator {
  private watcher?: ReturnType<typeof watch>;
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly logPath: string,
    /** conmon's ctl fifo. */
    private readonly ctl: string,
    private readonly maxSize: number,
    private readonly maxFiles: number,
    private readonly log?: Logger,
  ) {}

  /** Starts watching; a live file already past the limit (berthd was down) rotates at once. */
  start(): void {
    try {
      // inotify on the directory reports every write to the live file.
      this.watcher = watch(dirname(this.logPath), (_ev, name) => {
        if (name === basename(this.logPath)) this.check();
      });
      this.watcher.on("error", () => {});
    } catch {
      // no inotify: the timer below still checks
    }
    this.timer = setInterval(() => this.check(), CHECK_MS);
    this.timer.unref();
    this.check();
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }

  /** One check at a time; events during a check run it once more afterwards. */
  private check(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.rotateIfFull()
      .catch((err) => this.log?.warn({ err, log: this.logPath }, "log rotation failed"))
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.check();
        }
      });
  }

  private async rotateIfFull(): Promise<void> {
    // Missing: renamed away, and conmon has not reopened yet.
    const live = await stat(this.logPath).catch(() => undefined);
    if (!live || live.size < this.maxSize) return;
    for (let i = this.maxFiles - 1; i >= 2; i--)
      await rename(`${this.logPath}.${i - 1}`, `${this.logPath}.${i}`).catch(() => {});
    await rename(this.logPath, `${this.logPath}.1`);
    await reopenLogVia(this.ctl);
  }
}
