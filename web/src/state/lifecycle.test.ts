import { describe, expect, it } from "vitest";
import type { WorkspaceFactsInfo, WorkspaceInfo } from "../api/types";
import { applyNotice, emptyState, loaded } from "./app";
import { ago, factsLine, humanBytes } from "./lifecycle";

const ws: WorkspaceInfo = { id: 1, project: "app", branch: "feat", base: "main", path: "/wt/app/feat", branchCreated: true, createdAt: 1 };

describe("workspace facts", () => {
  it("read as a person reads them", () => {
    expect(humanBytes(512)).toBe("512 B");
    expect(humanBytes(1536)).toBe("1.5 KiB");
    expect(humanBytes(5 * 1024 * 1024)).toBe("5.0 MiB");
    expect(ago(1000, 1000 + 30_000)).toBe("just now");
    expect(ago(0, 3 * 86_400_000)).toBe("3 d ago");
    const facts: WorkspaceFactsInfo = {
      workspace: ws,
      dirty: ["a", "b"],
      ahead: 2,
      behind: 0,
      remote: { upstream: "origin/feat", ahead: 1, behind: 0 },
      diskBytes: 2048,
      lastActivity: Date.now(),
      unsavedCommits: 1,
    };
    expect(factsLine(facts)).toEqual([
      "2 ahead, 0 behind main",
      "origin/feat +1 −0",
      "1 unpushed",
      "2 uncommitted",
      "2.0 KiB",
      "active just now",
    ]);
  });

  it("an archived or restored workspace replaces its old self", () => {
    let s = loaded(emptyState, [], [ws], []);
    s = applyNotice(s, { type: "workspace_changed", workspace: { ...ws, archivedAt: 5 } });
    expect(s.workspaces).toEqual([{ ...ws, archivedAt: 5 }]);
  });
});
