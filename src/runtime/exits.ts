/**
 * Watches conmon's exit dir: conmon writes <exitDir>/<container id> (through
 * a temp file and a rename) when a container's process ends. fs.watch gives
 * prompt events; a periodic scan covers lost events and filesystems without
 * inotify. Each (name, mtime) is reported once; files present when watching
 * starts are not reported (the caller reconciles those at boot).
 */
import { type FSWatcher, watch } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

export class ExitWatcher {
  private readonly seen = new Map<string, number>();
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly dir: string,
    private readonly onExit: (id: string) => void,
    private readonly pollMs: number,
  ) {}

  async start(): Promise<void> {
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const m = await this.mtime(name);
      if (m !== undefined) this.seen.set(name, m);
    }
    if (this.stopped) return;
    try {
      this.watcher = watch(this.dir, (_ev, name) => {
        if (name) this.check(name.toString()).catch(() => {}); // the periodic scan retries
      });
      this.watcher.on("error", () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      // no inotify: the scan alone will do
    }
    this.timer = setInterval(() => this.scan().catch(() => {}), this.pollMs);
    this.timer.unref();
  }

  private async mtime(name: string): Promise<number | undefined> {
    // conmon's g_file_set_contents writes "<id>.XXXXXX" first, then renames it.
    if (name.startsWith(".") || /\.[A-Za-z0-9]{6}$/.test(name)) return undefined;
    const st = await stat(join(this.dir, name)).catch(() => undefined);
    return st?.isFile() ? st.mtimeMs : undefined;
  }

  private async check(name: string): Promise<void> {
    const m = await this.mtime(name);
    if (this.stopped) return;
    if (m === undefined) {
      this.seen.delete(name); // removed (or conmon's temp file renamed away)
      return;
    }
    if (this.seen.get(name) === m) return;
    this.seen.set(name, m);
    try {
      this.onExit(name);
    } catch {
      // the callback's failure is its own business
    }
  }

  private async scan(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const present = new Set(names);
    for (const name of [...this.seen.keys()]) if (!present.has(name)) this.seen.delete(name);
    for (const name of names) await this.check(name);
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }
}
