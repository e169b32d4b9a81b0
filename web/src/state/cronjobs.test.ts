import { act, renderHook, waitFor } from "@testing-library/react";
import type { CronJobInfo, CronRunInfo } from "../api/types";
import {
  applyNotice,
  applyRun,
  createCronjob,
  budgetFields,
  budgetText,
  createParams,
  deleteCronjob,
  emptyForm,
  formOf,
  formProblem,
  scheduleText,
  setCronjobEnabled,
  targetText,
  triggerCronjob,
  updateParams,
  useCronjobs,
  useRuns,
  type CronForm,
} from "./cronjobs";
import { fakeBand } from "./fakeRpc";

const job = (key: string, extra: Partial<CronJobInfo> = {}): CronJobInfo => ({
  key,
  name: `Job ${key}`,
  prompt: "check",
  every: "1h",
  target: { kind: "workspace", workspaceId: 2, label: "app/feat" },
  enabled: true,
  ifBusy: "queue",
  ifMissed: "skip",
  nextRunAt: 10,
  createdAt: 1,
  updatedAt: 1,
  ...extra,
});

const run = (id: number, outcome: CronRunInfo["outcome"]): CronRunInfo => ({
  id,
  key: "a",
  trigger: "schedule",
  scheduledAt: 1,
  at: 1,
  outcome,
  usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 },
});

test("the form says what is missing, then makes the params of one schedule and one target", () => {
  const f: CronForm = { ...emptyForm };
  expect(formProblem(f)).toMatch(/key/);
  const filled = { ...f, key: "nightly", name: "Nightly", prompt: "Run the tests." };
  expect(formProblem(filled)).toBe("Choose the workspace its chats go in.");
  expect(formProblem({ ...filled, targetKind: "chat" })).toBe("Choose the chat it sends into.");
  expect(formProblem({ ...filled, targetKind: "new_workspace" })).toBe("Choose the project its workspaces are made in.");
  expect(formProblem({ ...filled, every: " " })).toMatch(/how often/);
  const ws = { ...filled, workspace: "2", agent: "codex", mode: "allow-all" as const };
  expect(formProblem(ws)).toBeNull();
  expect(createParams(ws)).toEqual({
    key: "nightly",
    name: "Nightly",
    prompt: "Run the tests.",
    every: "1h",
    workspace: "2",
    agent: "codex",
    mode: "allow-all",
    ifBusy: "queue",
    ifMissed: "skip",
    disabled: false,
  });
  const cron = { ...filled, scheduleKind: "cron" as const, cron: "*/5 * * * *", timezone: "Europe/Berlin", targetKind: "chat" as const, chat: "7", agent: "codex", enabled: false };
  expect(createParams(cron)).toEqual({
    key: "nightly",
    name: "Nightly",
    prompt: "Run the tests.",
    cron: "*/5 * * * *",
    timezone: "Europe/Berlin",
    chat: 7,
    ifBusy: "queue",
    ifMissed: "skip",
    disabled: true,
  });
  expect(updateParams(cron)).toMatchObject({ key: "nightly", chat: 7, enabled: false });
  expect(updateParams(cron)).not.toHaveProperty("disabled");
  expect(updateParams(cron)).toMatchObject({ budget: "" });
  expect(formProblem({ ...ws, maxCostUsd: "ten" })).toMatch(/'ten' is not an amount above 0/);
  expect(formProblem({ ...ws, maxCostUsd: "0" })).toMatch(/not an amount above 0/);
  expect(formProblem({ ...ws, maxTokens: "1.5" })).toMatch(/'1.5' is not a whole number/);
  expect(formProblem({ ...ws, maxCostUsd: "$2.50", maxTokens: "1000" })).toBeNull();
  expect(createParams({ ...ws, maxCostUsd: "$2.50", maxTokens: "1000" })).toMatchObject({ budget: "maxCostUsd=2.50,maxTokens=1000" });
  expect(budgetFields("maxCostUsd=0.5,maxTokens=100")).toEqual({ maxCostUsd: "0.5", maxTokens: "100" });
  expect(budgetFields(undefined)).toEqual({ maxCostUsd: "", maxTokens: "" });
  expect(budgetText({ maxCostUsd: "", maxTokens: " 7 " })).toBe("maxTokens=7");
  const project = { ...filled, targetKind: "new_workspace" as const, project: "app" };
  expect(createParams(project)).toMatchObject({ project: "app", newWorkspace: true });
});

test("a job comes back into the form as it is", () => {
  const j = job("a", { cron: "0 9 * * 1-5", timezone: "UTC", every: undefined, target: { kind: "new_workspace", label: "app" }, ifMissed: "run-once" });
  const f = formOf(j);
  expect(f).toMatchObject({ key: "a", scheduleKind: "cron", cron: "0 9 * * 1-5", timezone: "UTC", targetKind: "new_workspace", project: "app", ifMissed: "run-once" });
  expect(scheduleText(j)).toBe("cron 0 9 * * 1-5 (UTC)");
  expect(targetText(j)).toBe("a new workspace of app");
  expect(targetText(job("b", { target: { kind: "chat", chat: 4, workspaceId: 2, label: "app/feat" } }))).toBe("chat 4 in app/feat");
  expect(formOf(job("c", { target: { kind: "chat", chat: 4, workspaceId: 2 } })).chat).toBe("4");
});

test("notices keep the list in key order and runs newest first", () => {
  let jobs = [job("b")];
  jobs = applyNotice(jobs, { type: "job", job: job("a") });
  jobs = applyNotice(jobs, { type: "job", job: job("b", { enabled: false }) });
  expect(jobs.map((j) => [j.key, j.enabled])).toEqual([["a", true], ["b", false]]);
  jobs = applyNotice(jobs, { type: "removed", key: "a" });
  expect(jobs.map((j) => j.key)).toEqual(["b"]);
  expect(applyNotice(jobs, { type: "run", run: run(1, "running") })).toBe(jobs);
  let runs = [run(1, "running")];
  runs = applyRun(runs, run(2, "skipped"));
  runs = applyRun(runs, run(1, "completed"));
  expect(runs.map((r) => [r.id, r.outcome])).toEqual([[2, "skipped"], [1, "completed"]]);
});

test("the hooks load, then follow cronjobs.subscribe; the actions call the API", async () => {
  const { band, fake } = fakeBand((method) => {
    if (method === "cronjobs.list") return [job("a")];
    if (method === "cronjobs.runs") return [run(1, "running")];
    return job("a");
  });
  const jobs = renderHook(() => useCronjobs(band));
  await waitFor(() => expect(jobs.result.current.jobs?.map((j) => j.key)).toEqual(["a"]));
  const runs = renderHook(() => useRuns(band, "a"));
  await waitFor(() => expect(runs.result.current.runs?.length).toBe(1));
  act(() => {
    for (const sub of fake.open("cronjobs")) {
      sub.deliver({ type: "job", job: job("b") });
      sub.deliver({ type: "run", run: run(1, "completed") });
      sub.deliver({ type: "run", run: { ...run(5, "queued"), key: "other" } });
    }
  });
  expect(jobs.result.current.jobs?.map((j) => j.key)).toEqual(["a", "b"]);
  expect(runs.result.current.runs?.map((r) => r.outcome)).toEqual(["completed"]);
  // A dropped connection, then back: the list and the history are read again (the server's has "a" only).
  act(() => band.connection.set({ kind: "waiting", attempt: 1, retryAt: 0 }));
  act(() => band.connection.set({ kind: "open", since: 1 }));
  await waitFor(() => expect(jobs.result.current.jobs?.map((j) => j.key)).toEqual(["a"]));
  expect(fake.methods.filter((m) => m === "cronjobs.list").length).toBe(2);
  expect(fake.methods.filter((m) => m === "cronjobs.runs").length).toBe(2);
  jobs.unmount();
  runs.unmount();
  expect(fake.open("cronjobs")).toEqual([]);

  await createCronjob(band, { ...emptyForm, key: "k", name: "K", prompt: "p", workspace: "2" });
  await setCronjobEnabled(band, "k", false);
  await triggerCronjob(band, "k");
  await deleteCronjob(band, "k");
  expect(fake.methods.slice(-4)).toEqual(["cronjobs.create", "cronjobs.update", "cronjobs.trigger", "cronjobs.delete"]);
  expect(fake.calls[fake.calls.length - 3]).toEqual(["cronjobs.update", { key: "k", enabled: false }]);
});
