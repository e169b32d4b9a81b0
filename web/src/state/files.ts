// The Files pane's data: which files have uncommitted changes, directory listings and file
// contents, all through the server's contained reads (SECURITY.md 13). Only the Files pane
// imports this module, so it loads with that pane's chunk.

import type { Band } from "./band";

/** The workspace's uncommitted changes (git status). */
export function workspaceStatus(band: Band, workspace: number) {
  return band.rpc.call("workspaces.status", { workspace: String(workspace) });
}

/** One directory of the workspace ("" is its root), from its `offset`th entry (a listing holds at
 * most 5000; `truncated` says more follow). */
export function listFiles(band: Band, workspace: number, path: string, offset = 0) {
  return band.rpc.call("files.list", { workspace: String(workspace), path, offset: offset || undefined });
}

export function readFile(band: Band, workspace: number, path: string) {
  return band.rpc.call("files.read", { workspace: String(workspace), path });
}
