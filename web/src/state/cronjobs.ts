// Cronjobs, for the Schedules page: the list (loaded, then kept live by cronjobs.subscribe),
// a job's runs, and the form that creates or edits a job — checked here, so the page says what
// is missing before asking the server (which checks everything again).

import { useEffect, useState } from "react";
import type {
  CronJobInfo,
  CronNotice,
  CronRunInfo,
  CronjobsCreateParams,
  CronjobsUpdateParams,
  IfBusy,
  IfMissed,
  Mode,
} from "../api/types";
import type { Band } from "./band";

export type ScheduleKind = "every" | "cron";
export type TargetKind = "chat" | "workspace" | "new_workspace";

/** The form's fields, as typed. */
export interface CronForm {
  key: string;
  name: string;
  prompt: string;
  scheduleKind: ScheduleKind;
  every: string;
  cron: string;
  timezone: string;
  targetKind: TargetKind;
  /** A chat id, as text. */
  chat: string;
  /** A workspace selector (its id, as text). */
  workspace: string;
  /** A project name. */
  project: string;
  agent: string;
  mode: Mode | "";
  ifBusy: IfBusy;
  ifMissed: IfMissed;
  enabled: boolean;
  /** The most all its runs may cost, in dollars; empty: no limit. */
  maxCostUsd: string;
  /** The most tokens all its runs may use; empty: no limit. */
  maxTokens: string;
}

export const emptyForm: CronForm = {
  key: "",
  name: "",
  prompt: "",
  scheduleKind: "every",
  every: "1h",
  cron: "0 9 * * 1-5",
  timezone: "",
  targetKind: "workspace",
  chat: "",
  workspace: "",
  project: "",
  agent: "",
  mode: "",
  ifBusy: "queue",
  ifMissed: "skip",
  enabled: true,
  maxCostUsd: "",
  maxTokens: "",
};

/** A job's budget text (`maxCostUsd=0.5,maxTokens=1000`) as the form's two fields. */
export function budgetFields(budget: string | null | undefined): { maxCostUsd: string; maxTokens: string } {
  const pairs = new Map((budget ?? "").split(",").map((p) => p.split("=", 2) as [string, string]));
  return { maxCostUsd: pairs.get("maxCostUsd") ?? "", maxTokens: pairs.get("maxTokens") ?? "" };
}

/** The form's budget as `cronjobs.*` takes it ("" for none). */
export function budgetText(f: Pick<CronForm, "maxCostUsd" | "maxTokens">): string {
  const parts = [];
  if (f.maxCostUsd.trim()) parts.push(`maxCostUsd=${f.maxCostUsd.trim().replace(/^\$/, "")}`);
  if (f.maxTokens.trim()) parts.push(`maxTokens=${f.maxTokens.trim()}`);
  return parts.join(",");
}

/** A job as the form edits it. */
export function formOf(job: CronJobInfo): CronForm {
  return {
    ...emptyForm,
    key: job.key,
    name: job.name,
    prompt: job.prompt,
    scheduleKind: job.cron ? "cron" : "every",
    every: job.every ?? emptyForm.every,
    cron: job.cron ?? emptyForm.cron,
    timezone: job.timezone ?? "",
    targetKind: job.target.kind,
    chat: job.target.chat != null ? String(job.target.chat) : "",
    workspace: job.target.kind === "workspace" && job.target.workspaceId != null ? String(job.target.workspaceId) : "",
    project: job.target.kind === "new_workspace" ? (job.target.label ?? "") : "",
    agent: job.agent ?? "",
    mode: job.mode ?? "",
    ifBusy: job.ifBusy,
    ifMissed: job.ifMissed,
    enabled: job.enabled,
    ...budgetFields(job.budget),
  };
}

/** What is missing from the form, in the page's words; null when it can be sent. */
export function formProblem(f: CronForm): string | null {
  if (!f.key.trim()) return "Give the schedule a key (lowercase letters, digits, - _ .).";
  if (!f.name.trim()) return "Give the schedule a name.";
  if (!f.prompt.trim()) return "Write the prompt it sends.";
  if (f.scheduleKind === "every" && !f.every.trim()) return "Say how often it runs (e.g. 30m, 1h, 1d).";
  if (f.scheduleKind === "cron" && !f.cron.trim()) return "Write a cron expression (e.g. 0 9 * * 1-5).";
  if (f.targetKind === "chat" && !/^\d+$/.test(f.chat)) return "Choose the chat it sends into.";
  if (f.targetKind === "workspace" && !f.workspace) return "Choose the workspace its chats go in.";
  if (f.targetKind === "new_workspace" && !f.project) return "Choose the project its workspaces are made in.";
  const cost = f.maxCostUsd.trim().replace(/^\$/, "");
  if (cost && !(Number.isFinite(Number(cost)) && Number(cost) > 0)) return `The budget in dollars '${f.maxCostUsd}' is not an amount above 0 (e.g. 2.50); leave it empty for no limit.`;
  const tokens = f.maxTokens.trim();
  if (tokens && !(/^\d+$/.test(tokens) && Number(tokens) > 0)) return `The budget in tokens '${f.maxTokens}' is not a whole number above 0; leave it empty for no limit.`;
  return null;
}

/** The params of `cronjobs.create` for a complete form. */
export function createParams(f: CronForm): CronjobsCreateParams {
  const forChats = f.targetKind !== "chat";
  return {
    key: f.key.trim(),
    name: f.name.trim(),
    prompt: f.prompt,
    ...(f.scheduleKind === "every"
      ? { every: f.every.trim() }
      : { cron: f.cron.trim(), ...(f.timezone.trim() ? { timezone: f.timezone.trim() } : {}) }),
    ...(f.targetKind === "chat"
      ? { chat: Number(f.chat) }
      : f.targetKind === "workspace"
        ? { workspace: f.workspace }
        : { project: f.project, newWorkspace: true }),
    ...(forChats && f.agent ? { agent: f.agent } : {}),
    ...(forChats && f.mode ? { mode: f.mode } : {}),
    ifBusy: f.ifBusy,
    ifMissed: f.ifMissed,
    disabled: !f.enabled,
    ...(budgetText(f) ? { budget: budgetText(f) } : {}),
  };
}

/** The params of `cronjobs.update`: every field of the form (the key stays). */
export function updateParams(f: CronForm): CronjobsUpdateParams {
  const { disabled, key, ...rest } = createParams(f);
  // Always sent: an emptied budget removes it.
  return { ...rest, key, enabled: !disabled, budget: budgetText(f) };
}

/** The list after a notice: a job replaced or added (by key, kept in key order), or removed. */
export function applyNotice(jobs: CronJobInfo[], n: CronNotice): CronJobInfo[] {
  if (n.type === "job") {
    const rest = jobs.filter((j) => j.key !== n.job.key);
    return [...rest, n.job].sort((a, b) => a.key.localeCompare(b.key));
  }
  if (n.type === "removed") return jobs.filter((j) => j.key !== n.key);
  return jobs;
}

/** Runs (newest first) after a run notice of their job: replaced by id, or added on top. */
export function applyRun(runs: CronRunInfo[], run: CronRunInfo): CronRunInfo[] {
  if (runs.some((r) => r.id === run.id)) return runs.map((r) => (r.id === run.id ? run : r));
  return [run, ...runs].sort((a, b) => b.id - a.id);
}

export function scheduleText(j: CronJobInfo): string {
  if (j.cron) return `cron ${j.cron}${j.timezone ? ` (${j.timezone})` : ""}`;
  return `every ${j.every ?? "?"}`;
}

export function targetText(j: CronJobInfo): string {
  const label = j.target.label ?? "(gone)";
  switch (j.target.kind) {
    case "chat":
      return `chat ${j.target.chat} in ${label}`;
    case "workspace":
      return `a new chat in ${label}`;
    case "new_workspace":
      return `a new workspace of ${label}`;
  }
}

/** The jobs, loaded and then followed live; `error` when loading failed. */
export function useCronjobs(band: Band): { jobs: CronJobInfo[] | null; error: unknown } {
  const [jobs, setJobs] = useState<CronJobInfo[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    const load = () =>
      band.rpc.call("cronjobs.list", {}).then(
        (list) => {
          if (!live) return;
          setJobs(list);
          setError(null);
        },
        (e) => live && setError(e),
      );
    // Joined before the list is read, so no change falls between the two.
    const stop = band.rpc.subscribeCronjobs((n) => setJobs((js) => (js ? applyNotice(js, n) : js)));
    void load();
    // Back from a dropped connection: what changed meanwhile is read again.
    let open = band.connection.get().kind === "open";
    const unwatch = band.connection.subscribe(() => {
      const now = band.connection.get().kind === "open";
      if (now && !open) void load();
      open = now;
    });
    return () => {
      live = false;
      stop();
      unwatch();
    };
  }, [band]);
  return { jobs, error };
}

/** A job's runs, newest first, kept live. */
export function useRuns(band: Band, key: string | null): { runs: CronRunInfo[] | null; error: unknown } {
  const [runs, setRuns] = useState<CronRunInfo[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setRuns(null);
    setError(null);
    if (key === null) return;
    let live = true;
    const stop = band.rpc.subscribeCronjobs((n) => {
      if (n.type === "run" && n.run.key === key) setRuns((rs) => applyRun(rs ?? [], n.run));
    });
    const load = () =>
      band.rpc.call("cronjobs.runs", { key, limit: 50 }).then(
        (list) => live && setRuns((rs) => (rs ? list.reduce(applyRun, rs) : list)),
        (e) => live && setError(e),
      );
    void load();
    let open = band.connection.get().kind === "open";
    const unwatch = band.connection.subscribe(() => {
      const now = band.connection.get().kind === "open";
      if (now && !open) void load();
      open = now;
    });
    return () => {
      live = false;
      stop();
      unwatch();
    };
  }, [band, key]);
  return { runs, error };
}

export function createCronjob(band: Band, f: CronForm) {
  return band.rpc.call("cronjobs.create", createParams(f));
}

export function updateCronjob(band: Band, f: CronForm) {
  return band.rpc.call("cronjobs.update", updateParams(f));
}

export function setCronjobEnabled(band: Band, key: string, enabled: boolean) {
  return band.rpc.call("cronjobs.update", { key, enabled });
}

export function deleteCronjob(band: Band, key: string) {
  return band.rpc.call("cronjobs.delete", { key });
}

export function triggerCronjob(band: Band, key: string) {
  return band.rpc.call("cronjobs.trigger", { key });
}
