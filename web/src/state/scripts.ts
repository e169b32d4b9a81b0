// A project's configuration and its scripts, for the views: whether the scripts are approved
// (and the approval itself), and each workspace's setup and teardown runs with their output,
// live. Runs and configurations live in the app store (app.ts), fetched when first shown; the
// workspace notices keep them current (script_run, script_output, project_config).

import { useEffect } from "react";
import type { ProjectConfigInfo, ScriptRunInfo } from "../api/types";
import type { Band } from "./band";
import { useStore } from "./store";

/** Output a client keeps of one run (the server keeps the same). */
export const OUTPUT_KEEP = 256 * 1024;

/** `runs` with `run` in its place (by id), oldest first. */
export function upsertScriptRun(runs: ScriptRunInfo[], run: ScriptRunInfo): ScriptRunInfo[] {
  const at = runs.findIndex((r) => r.id === run.id);
  if (at < 0) return [...runs, run].sort((a, b) => a.id - b.id);
  const known = runs[at];
  // A start notice may come after live output already arrived: keep the longer output.
  const keep = run.status === "running" && known.outputLen > run.outputLen ? { ...run, output: known.output, outputLen: known.outputLen } : run;
  const next = [...runs];
  next[at] = keep;
  return next;
}

/**
 * `runs` with `text` (at byte `offset` of run `runId`'s output) appended; `runs` itself when it
 * adds nothing (already had) or cannot be placed (a gap: see `hasGap`).
 */
export function appendScriptOutput(runs: ScriptRunInfo[], runId: number, offset: number, text: string): ScriptRunInfo[] {
  const at = runs.findIndex((r) => r.id === runId);
  if (at < 0) return runs;
  const run = runs[at];
  const bytes = new TextEncoder().encode(text);
  const end = offset + bytes.length;
  if (offset > run.outputLen || end <= run.outputLen) return runs;
  const fresh = new TextDecoder().decode(bytes.slice(run.outputLen - offset));
  let output = run.output + fresh;
  if (output.length > OUTPUT_KEEP) output = output.slice(output.length - OUTPUT_KEEP);
  const next = [...runs];
  next[at] = { ...run, output, outputLen: end };
  return next;
}

/** Whether output at `offset` of run `runId` would leave a gap (notices were missed). */
export function hasGap(runs: ScriptRunInfo[] | undefined, runId: number, offset: number): boolean {
  const run = runs?.find((r) => r.id === runId);
  return !!run && offset > run.outputLen;
}

/** What a project's configuration asks of the user, if anything. */
export function needsApproval(c: ProjectConfigInfo | undefined): boolean {
  return !!c && !c.error && !!c.scriptsHash && !c.trusted;
}

export async function loadScripts(band: Band, workspace: number): Promise<void> {
  const runs = await band.rpc.call("workspaces.scripts", { workspace: String(workspace) });
  band.state.set((s) => ({ ...s, scripts: { ...s.scripts, [workspace]: runs } }));
}

export async function loadConfig(band: Band, project: string): Promise<ProjectConfigInfo> {
  const config = await band.rpc.call("projects.config", { name: project });
  band.state.set((s) => ({ ...s, configs: { ...s.configs, [project]: config } }));
  return config;
}

/** Approves exactly the scripts shown (their hash); refused when they changed since. */
export async function trustScripts(band: Band, project: string, hash: string): Promise<ProjectConfigInfo> {
  const config = await band.rpc.call("projects.trust", { project, hash });
  band.state.set((s) => ({ ...s, configs: { ...s.configs, [project]: config } }));
  return config;
}

/** Runs the workspace's setup script (again); its output follows as notices. */
export async function runSetup(band: Band, workspace: number): Promise<ScriptRunInfo> {
  const run = await band.rpc.call("workspaces.setup", { workspace: String(workspace) });
  band.state.set((s) => ({
    ...s,
    scripts: { ...s.scripts, [workspace]: upsertScriptRun(s.scripts[workspace] ?? [], run) },
  }));
  return run;
}

/** The workspace's runs, fetched when first asked for (undefined until then). */
export function useScriptRuns(band: Band, workspace: number): ScriptRunInfo[] | undefined {
  const runs = useStore(band.state, (s) => s.scripts[workspace]);
  const loaded = runs !== undefined;
  useEffect(() => {
    if (!loaded) loadScripts(band, workspace).catch(() => {});
  }, [band, workspace, loaded]);
  return runs;
}

/** The project's configuration, fetched when first asked for and again after each change. */
export function useProjectConfig(band: Band, project: string): ProjectConfigInfo | undefined {
  const config = useStore(band.state, (s) => s.configs[project]);
  const loaded = config !== undefined;
  useEffect(() => {
    if (!loaded) loadConfig(band, project).catch(() => {});
  }, [band, project, loaded]);
  return config;
}
