/**
 * Container records on disk: <root>/containers/<id>/config.v2.json, written
 * atomically on every state change, loaded at start. Names and ID prefixes
 * resolve here.
 */
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { conflict, notFound } from "../../util/errors.js";
import { readJson, writeJsonAtomic } from "../../util/fs.js";
import { recordProblem } from "./record.js";
import type { ContainerRecord } from "./types.js";

export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();
  /** IDs removed since start (IDs are random and never reused): late saves of them are dropped. */
  private readonly removed = new Set<string>();
  readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, "containers");
  }

  /**
   * Loads every record. One that clients could not decode (hand-edited, or
   * written by an older berthd that stored bodies unchecked) is reported
   * through `report` and left on disk, unserved.
   */
  async init(report: (msg: string) => void = () => {}): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o710 });
    for (const id of await readdir(this.dir)) {
      const rec = await readJson<ContainerRecord>(this.configPath(id));
      if (!rec)
        await rm(join(this.dir, id), { recursive: true, force: true }); // never finished creating
      else {
        const problem = recordProblem(rec);
        if (problem)
          report(`skipping container ${id}: its record does not fit what clients decode (${problem})`);
        else this.byId.set(rec.id, rec);
      }
    }
  }

  containerDir(id: string): string {
    return join(this.dir, id);
  }

  private configPath(id: string): string {
    return join(this.dir, id, "config.v2.json");
  }

  list(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  /**
   * Writes `rec` and serves it. A container removed meanwhile (another request's
   * `rm` while this one updated it: a link, a rename, an exit) is neither written
   * nor served again: the save is a no-op, not an error.
   */
  async save(rec: ContainerRecord): Promise<void> {
    if (this.removed.has(rec.id)) return;
    try {
      await writeJsonAtomic(this.configPath(rec.id), rec);
    } catch (err) {
      if (this.removed.has(rec.id)) return; // its directory went while we wrote
      throw err;
    }
    if (!this.removed.has(rec.id)) this.byId.set(rec.id, rec);
  }

  async delete(id: string): Promise<void> {
    this.removed.add(id);
    this.byId.delete(id);
    await rm(join(this.dir, id), { recursive: true, force: true });
  }

  byName(name: string): ContainerRecord | undefined {
    const n = name.replace(/^\//, "");
    for (const rec of this.byId.values()) if (rec.name === n) return rec;
    return undefined;
  }

  /** Full ID, exact name, or unique ID prefix, as Docker resolves them. */
  resolve(ref: string): ContainerRecord {
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const named = this.byName(ref);
    if (named) return named;
    if (/^[a-f0-9]+$/.test(ref)) {
      const matches = [...this.byId.values()].filter((r) => r.id.startsWith(ref));
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) throw conflict(`multiple IDs found with provided prefix: ${ref}`);
    }
    throw notFound(`No such container: ${ref}`);
  }

  tryResolve(ref: string): ContainerRecord | undefined {
    try {
      return this.resolve(ref);
    } catch {
      return undefined;
    }
  }
}
