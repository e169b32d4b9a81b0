// The Changes pane's data: the workspace's diff against its base (parsed by diff.ts).

import type { Band } from "./band";

export function loadDiff(band: Band, workspace: number) {
  return band.rpc.call("workspaces.diff", { workspace: String(workspace) });
}
