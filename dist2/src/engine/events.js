/**
 * The engine's event log (`/events`): a bounded in-memory history for
 * since/until queries plus live subscribers. Shapes follow Docker's
 * events.Message (Type, Action, Actor {ID, Attributes}, time, timeNano).
 */
import { EventEmitter } from "node:events";
const HISTORY = 1000;
export class EventBus {
    history = [];
    emitter = new EventEmitter();
    constructor() {
        this.emitter.setMaxListeners(0);
    }
    emit(type, action, id, attributes = {}) {
        const nowNs = BigInt(Date.now()) * 1000000n + (process.hrtime.bigint() % 1000000n);
        const ev = {
            Type: type,
            Action: action,
            Actor: { ID: id, Attributes: attributes },
            scope: "local",
            time: Number(nowNs / 1000000000n),
            timeNano: Number(nowNs),
        };
        if (type === "container" || type === "image") {
            ev.status = action;
            ev.id = id;
            if (type === "container" && attributes.image)
                ev.from = attributes.image;
        }
        this.history.push(ev);
        if (this.history.length > HISTORY)
            this.history.shift();
        this.emitter.emit("event", ev);
    }
    since(sinceNs) {
        return this.history.filter((e) => e.timeNano >= sinceNs);
    }
    subscribe(fn) {
        this.emitter.on("event", fn);
        return () => this.emitter.off("event", fn);
    }
}
//# sourceMappingURL=events.js.map