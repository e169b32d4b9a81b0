import { describe, expect, it } from "vitest";
import type { ScriptRunInfo } from "../api/types";
import { applyNotice, emptyState } from "./app";
import { appendScriptOutput, hasGap, needsApproval, upsertScriptRun } from "./scripts";

const run = (id: number, output = "", status: ScriptRunInfo["status"] = "running"): ScriptRunInfo => ({
  id,
  workspaceId: 7,
  kind: "setup",
  status,
  output,
  outputLen: new TextEncoder().encode(output).length,
  scriptsHash: "h",
  startedAt: 1,
});

describe("script runs", () => {
  it("appends output in order, once, and never across a gap", () => {
    let runs = [run(1)];
    runs = appendScriptOutput(runs, 1, 0, "one\n");
    runs = appendScriptOutput(runs, 1, 4, "twö\n");
    expect(runs[0].output).toBe("one\ntwö\n");
    expect(runs[0].outputLen).toBe(9);
    // Already had: nothing changes.
    expect(appendScriptOutput(runs, 1, 4, "twö\n")).toBe(runs);
    // Partly had: only the new part.
    runs = appendScriptOutput(runs, 1, 4, "twö\nthree\n");
    expect(runs[0].output).toBe("one\ntwö\nthree\n");
    // A gap is not papered over: the caller reloads.
    expect(hasGap(runs, 1, 100)).toBe(true);
    expect(appendScriptOutput(runs, 1, 100, "x")).toBe(runs);
    expect(hasGap(runs, 1, runs[0].outputLen)).toBe(false);
  });

  it("keeps live output when the start notice comes late, and takes the end as it is", () => {
    const live = [run(1, "early\n")];
    expect(upsertScriptRun(live, run(1))[0].output).toBe("early\n");
    const ended = upsertScriptRun(live, run(1, "early\nlate\n", "failed"));
    expect(ended[0].status).toBe("failed");
    expect(ended[0].output).toBe("early\nlate\n");
    expect(upsertScriptRun(live, run(0)).map((r) => r.id)).toEqual([0, 1]);
  });

  it("follows notices in the app state; a config change drops the cached one", () => {
    let s = applyNotice(emptyState, { type: "script_run", run: run(3) });
    s = applyNotice(s, { type: "script_output", workspaceId: 7, runId: 3, offset: 0, text: "hi\n" });
    expect(s.scripts[7][0].output).toBe("hi\n");
    s = applyNotice(s, { type: "script_run", run: run(3, "hi\n", "succeeded") });
    expect(s.scripts[7][0].status).toBe("succeeded");
    const config = {
      project: "app",
      file: "/r/.band/config.json",
      source: "repository" as const,
      scriptTimeoutSeconds: 600,
      copyFiles: [],
      defaults: {},
      scriptsHash: "abc",
      trusted: false,
    };
    expect(needsApproval(config)).toBe(true);
    expect(needsApproval({ ...config, trusted: true })).toBe(false);
    expect(needsApproval({ ...config, error: "bad" })).toBe(false);
    s = { ...s, configs: { app: config } };
    s = applyNotice(s, { type: "project_config", project: "app" });
    expect(s.configs.app).toBeUndefined();
  });
});
