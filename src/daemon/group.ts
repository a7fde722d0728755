/** The API socket's group (dockerd's --group): a name from /etc/group, or a numeric gid. */
import { readFile } from "node:fs/promises";
import { isErrno } from "../util/errors.js";

/** The group berthd uses when none is configured (created by `make install`). */
export const DEFAULT_GROUP = "berth";

/**
 * Resolves `group` to a gid: a number is taken as is; a name is looked up in
 * `groupFile`. Returns undefined for an unknown name.
 */
export async function lookupGroup(group: string, groupFile = "/etc/group"): Promise<number | undefined> {
  if (/^\d+$/.test(group)) return Number(group);
  let text = "";
  try {
    text = await readFile(groupFile, "utf8");
  } catch (e) {
    if (!isErrno(e, "ENOENT")) throw e;
  }
  for (const line of text.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}
