/** Registry routes: pull (POST /images/create?fromImage=), push, /auth, search. */
import type { Engine } from "../engine/engine.js";
import { BerthError } from "../util/errors.js";
import type { Ctx } from "./router.js";

const unavailable = () =>
  new BerthError("Unavailable", "this berthd has no registry client yet (issue 5): use docker save/load");

export async function pullRoute(_ctx: Ctx, _engine: Engine): Promise<void> {
  throw unavailable();
}

export async function pushRoute(_ctx: Ctx, _engine: Engine): Promise<void> {
  throw unavailable();
}
