// Pull requests and live file changes: the dashboard's calls for them (views go through here).

import type { FilesChangedInfo } from "../api/types";
import type { Band } from "./band";

export const pullStatus = (band: Band, workspace: number) =>
  band.rpc.call("workspaces.pr.status", { workspace: String(workspace) });

export const pullDraft = (band: Band, workspace: number) => band.rpc.call("workspaces.pr.draft", { workspace: String(workspace) });

export const projectPulls = (band: Band, project: string) => band.rpc.call("projects.prs", { name: project });

export const openPull = (band: Band, workspace: number, p: { title?: string; body: string; draft: boolean }) =>
  band.rpc.call("workspaces.pr", { workspace: String(workspace), ...p });

export const workspaceFromPull = (band: Band, project: string, number: number) =>
  band.rpc.call("workspaces.create", { project, pr: String(number) });

/** Follows a workspace's files changing on disk (the server watches while someone follows). */
export const watchFiles = (band: Band, workspace: number, onChange: (c: FilesChangedInfo) => void) =>
  band.rpc.subscribeFiles(workspace, onChange);
