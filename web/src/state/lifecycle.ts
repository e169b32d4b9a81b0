// A workspace over time, for the views: its facts (ahead/behind the base and the remote,
// uncommitted files, disk use, last activity), fetched when shown and again after each turn,
// and archiving and restoring it.

import { useCallback, useEffect, useState } from "react";
import type { WorkspaceFactsInfo, WorkspaceInfo } from "../api/types";
import { addWorkspace } from "./app";
import type { Band } from "./band";

/** Bytes as a person reads them. */
export function humanBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = bytes / 1024;
  let unit = 0;
  while (v >= 1024 && unit < units.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${v.toFixed(1)} ${units[unit]}`;
}

/** How long ago `ms` was, roughly. */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** The facts in one line, most telling first. */
export function factsLine(f: WorkspaceFactsInfo): string[] {
  const parts: string[] = [];
  if (f.ahead != null && f.behind != null) parts.push(`${f.ahead} ahead, ${f.behind} behind ${f.workspace.base}`);
  if (f.remote) parts.push(`${f.remote.upstream} +${f.remote.ahead} −${f.remote.behind}`);
  if (f.unsavedCommits > 0) parts.push(`${f.unsavedCommits} unpushed`);
  if (f.dirty.length > 0) parts.push(`${f.dirty.length} uncommitted`);
  if (f.diskBytes != null) parts.push(humanBytes(f.diskBytes));
  parts.push(`active ${ago(f.lastActivity)}`);
  return parts;
}

/** The workspace's facts, fetched now and after each turn that ends in it. */
export function useFacts(band: Band, workspace: WorkspaceInfo): WorkspaceFactsInfo | null {
  const [facts, setFacts] = useState<WorkspaceFactsInfo | null>(null);
  const id = workspace.id;
  const load = useCallback(() => {
    band.rpc.call("workspaces.facts", { workspace: String(id) }).then(setFacts, () => setFacts(null));
  }, [band, id]);
  useEffect(() => {
    load();
    return band.onTurnEnded((_chat, ws) => ws === id && load());
  }, [band, id, load, workspace.archivedAt]);
  return facts;
}

export async function archiveWorkspace(band: Band, id: number): Promise<WorkspaceInfo> {
  const w = await band.rpc.call("workspaces.archive", { workspace: String(id) });
  band.state.set((s) => addWorkspace(s, w));
  return w;
}

export async function restoreWorkspace(band: Band, id: number): Promise<WorkspaceInfo> {
  const w = await band.rpc.call("workspaces.restore", { workspace: String(id) });
  band.state.set((s) => addWorkspace(s, w));
  return w;
}

/** Merges the workspace back (commit, rebase or merge, base forward when safe, push). */
export function mergeWorkspace(
  band: Band,
  id: number,
  params: { message?: string; strategy: "rebase" | "merge"; push: boolean },
) {
  return band.rpc.call("workspaces.merge", { workspace: String(id), ...params });
}

/** Removes a project with everything in it; the lists are loaded again after. */
export async function purgeProject(band: Band, name: string, force: boolean) {
  const r = await band.rpc.call("projects.purge", { name, force });
  await band.reload();
  return r;
}
