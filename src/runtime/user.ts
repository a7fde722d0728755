/**
 * `--user` resolution against the image's /etc/passwd and /etc/group,
 * read inside the container root without following links out of it.
 */
import { readFile } from "node:fs/promises";
import { closeFd, fdPath, openInRoot, openTree, statFd } from "../layer/securejoin.js";
import { invalid } from "../util/errors.js";

async function readLines(root: string, path: string): Promise<string[][]> {
  let tree: number | undefined;
  let fd: number | undefined;
  try {
    // Opened once inside the root (layer/securejoin.ts), read through that fd.
    tree = openTree(root);
    fd = openInRoot(tree, path).fd;
    // Only a plain file of sane size: never block on a fifo or read a device.
    const st = statFd(fd);
    if (!st.isFile() || st.size > 16 * 1024 * 1024) return [];
    const text = await readFile(fdPath(fd), "utf8");
    return text
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.split(":"));
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeFd(fd);
    if (tree !== undefined) closeFd(tree);
  }
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

const isNum = (s: string) => /^\d+$/.test(s);

export async function resolveUser(
  root: string,
  spec: string,
  groupAdd: string[] = [],
): Promise<ResolvedUser> {
  const [userPart = "", groupPart] = spec.split(":");
  for (const n of [userPart, groupPart ?? ""])
    if (isNum(n) && Number(n) > 2147483647) throw invalid("uids and gids must be in range 0-2147483647");
  const passwd = await readLines(root, "/etc/passwd");
  const groups = await readLines(root, "/etc/group");
  let uid = 0;
  let gid = 0;
  let home = "/";
  let name = "root";
  if (userPart === "") {
    const entry = passwd.find((p) => p[2] === "0");
    if (entry) home = entry[5] || "/";
  } else {
    const entry = passwd.find((p) => (isNum(userPart) ? p[2] === userPart : p[0] === userPart));
    if (entry) {
      uid = Number(entry[2]);
      gid = Number(entry[3]);
      home = entry[5] || "/";
      name = entry[0]!;
    } else if (isNum(userPart)) {
      uid = Number(userPart);
    } else {
      throw invalid(`unable to find user ${userPart}: no matching entries in passwd file`);
    }
  }
  if (groupPart !== undefined && groupPart !== "") {
    const g = groups.find((x) => (isNum(groupPart) ? x[2] === groupPart : x[0] === groupPart));
    if (g) gid = Number(g[2]);
    else if (isNum(groupPart)) gid = Number(groupPart);
    else throw invalid(`unable to find group ${groupPart}: no matching entries in group file`);
  }
  // Supplementary groups: those listing the user, then --group-add.
  const additional = new Set<number>();
  if (groupPart === undefined || groupPart === "") {
    for (const g of groups)
      if ((g[3] ?? "").split(",").includes(name) && Number(g[2]) !== gid) additional.add(Number(g[2]));
  }
  for (const ga of groupAdd) {
    const g = groups.find((x) => (isNum(ga) ? x[2] === ga : x[0] === ga));
    if (g) additional.add(Number(g[2]));
    else if (isNum(ga)) additional.add(Number(ga));
    else throw invalid(`Unable to find group ${ga}: no matching entries in group file`);
  }
  return { uid, gid, additionalGids: [...additional], home };
}
