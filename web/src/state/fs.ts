// Paths on band's machine, for adding a project: directories completing what was typed
// (fs.complete, main token only), each saying whether it is a repository with commits.

import type { FsCompletion, FsEntryInfo } from "../api/types";
import type { Band } from "./band";

export function completePath(band: Band, prefix: string): Promise<FsCompletion> {
  return band.rpc.call("fs.complete", { prefix });
}

/** The entry for `path` itself (its parent listed, its name matched), if it is a directory. */
export async function pathFacts(band: Band, path: string): Promise<FsEntryInfo | undefined> {
  const clean = path.trim().replace(/\/+$/, "");
  const got = await completePath(band, clean);
  const name = clean.slice(clean.lastIndexOf("/") + 1);
  return got.entries.find((e) => e.path.slice(e.path.lastIndexOf("/") + 1) === name);
}

/** What to run in a repository without commits before band can branch from it. */
export function firstCommitHint(path: string): string {
  return `git -C ${JSON.stringify(path)} commit --allow-empty -m "Initial commit"`;
}
