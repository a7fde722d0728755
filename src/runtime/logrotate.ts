/**
 * Keeping rotated log files for `--log-opt max-file=N`. conmon bounds the
 * live file itself (--log-size-max): past the limit it renames a fresh empty
 * file over the log path, which drops the old one. To keep it, berthd holds
 * a hard link to the live file (<log>.keep); when the live file's inode
 * changes, the kept one becomes <log>.1 (older ones shift up to
 * <log>.<N-1>, the oldest drops) and the new live file is linked. Disk use is
 * bounded by conmon even while berthd is down (files rotated then are
 * dropped rather than kept). Readers list the files with logFiles().
 */
import { watch } from "node:fs";
import { link, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Logger } from "pino";

const CHECK_MS = 1000;

/** The files of one container's log, oldest first, the live one last (those that exist). */
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

/** Watches one live log file and keeps up to `maxFiles - 1` rotated ones beside it. */
export class LogRotator {
  private readonly keep: string;
  private watcher?: ReturnType<typeof watch>;
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly logPath: string,
    private readonly maxFiles: number,
    private readonly log?: Logger,
  ) {
    this.keep = `${logPath}.keep`;
  }

  /** Links the live file and starts watching (conmon must have created the file). */
  async start(): Promise<void> {
    await this.check(true);
    try {
      this.watcher = watch(dirname(this.logPath), (_ev, name) => {
        if (name === basename(this.logPath)) this.schedule();
      });
      this.watcher.on("error", () => {});
    } catch {
      // no inotify: the timer below still notices rotations
    }
    this.timer = setInterval(() => this.schedule(), CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.chain = this.chain
      .then(() => this.check(false))
      .catch((err) => this.log?.warn({ err, log: this.logPath }, "log rotation failed"));
  }

  /** When the live inode is not the kept one: shift the kept file into .1 and link the new one. */
  private async check(first: boolean): Promise<void> {
    const live = await stat(this.logPath).catch(() => undefined);
    if (!live) return;
    const kept = await stat(this.keep).catch(() => undefined);
    if (kept && kept.ino === live.ino) return;
    if (kept && !first) {
      for (let i = this.maxFiles - 1; i >= 2; i--)
        await rename(`${this.logPath}.${i - 1}`, `${this.logPath}.${i}`).catch(() => {});
      if (this.maxFiles > 1) await rename(this.keep, `${this.logPath}.1`);
    }
    await rm(this.keep, { force: true });
    await link(this.logPath, this.keep);
  }
}

/** Removes a container's rotated files and link (the live file stays). */
export async function removeRotated(logPath: string): Promise<void> {
  await rm(`${logPath}.keep`, { force: true });
  for (const f of await logFiles(logPath)) if (f !== logPath) await rm(f, { force: true });
  await rm(join(dirname(logPath), `${basename(logPath)}.tmp`), { force: true });
}
