/**
 * The engine's event log (`/events`): a bounded in-memory history for
 * since/until queries plus live subscribers. Shapes follow Docker's
 * events.Message (Type, Action, Actor {ID, Attributes}, time, timeNano).
 */
import { EventEmitter } from "node:events";

export interface EngineEvent {
  Type: "container" | "image" | "volume" | "network" | "daemon" | "builder";
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: "local";
  time: number;
  timeNano: number;
  // Legacy fields the docker CLI still reads for containers and images.
  status?: string;
  id?: string;
  from?: string;
}

const HISTORY = 1000;

export class EventBus {
  private readonly history: EngineEvent[] = [];
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  emit(type: EngineEvent["Type"], action: string, id: string, attributes: Record<string, string> = {}): void {
    const nowNs = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    const ev: EngineEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: "local",
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    if (type === "container" || type === "image") {
      ev.status = action;
      ev.id = id;
      if (type === "container" && attributes.image) ev.from = attributes.image;
    }
    this.history.push(ev);
    if (this.history.length > HISTORY) this.history.shift();
    this.emitter.emit("event", ev);
  }

  since(sinceNs: number): EngineEvent[] {
    return this.history.filter((e) => e.timeNano >= sinceNs);
  }

  /** How many subscribers are listening now (`docker info`'s EventsListeners). */
  get listeners(): number {
    return this.emitter.listenerCount("event");
  }

  subscribe(fn: (ev: EngineEvent) => void): () => void {
    this.emitter.on("event", fn);
    return () => this.emitter.off("event", fn);
  }
}
