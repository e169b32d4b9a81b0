import { describe, expect, it } from "vitest";
import type { ChatOverviewInfo } from "../api/types";
import { elapsed, filterOverview, noFilter, usageText } from "./overview";

function item(id: number, status: ChatOverviewInfo["chat"]["status"], more: Partial<ChatOverviewInfo> = {}): ChatOverviewInfo {
  return {
    chat: {
      id,
      workspaceId: id,
      agent: id % 2 ? "claude-code" : "codex",
      mode: "ask",
      name: `chat ${id}`,
      labels: {},
      status,
      lastSeq: 1,
      createdAt: 0,
      updatedAt: 0,
    },
    project: id < 3 ? "app" : "site",
    branch: `b${id}`,
    pending: [],
    since: 0,
    usage: { turns: 1, durationMs: 0, usage: { inputTokens: 1000, outputTokens: 234, cacheReadTokens: 0, cacheWriteTokens: 0 } },
    ...more,
  };
}

describe("the overview", () => {
  const items = [
    item(1, "waiting", { pending: [{ requestId: "r", tool: "Bash", summary: "npm test" }] }),
    item(2, "completed", { lastMessage: "All tests pass." }),
    item(3, "working"),
    item(4, "failed"),
  ];
  it("filters by project, status (as badges: completed is idle), agent and words", () => {
    expect(filterOverview(items, noFilter).map((o) => o.chat.id)).toEqual([1, 2, 3, 4]);
    expect(filterOverview(items, { ...noFilter, project: "site" }).map((o) => o.chat.id)).toEqual([3, 4]);
    expect(filterOverview(items, { ...noFilter, status: "idle" }).map((o) => o.chat.id)).toEqual([2]);
    expect(filterOverview(items, { ...noFilter, agent: "codex" }).map((o) => o.chat.id)).toEqual([2, 4]);
    expect(filterOverview(items, { ...noFilter, text: "NPM bash" }).map((o) => o.chat.id)).toEqual([1]);
    expect(filterOverview(items, { ...noFilter, text: "tests pass" }).map((o) => o.chat.id)).toEqual([2]);
    expect(filterOverview(items, { ...noFilter, text: "b3" }).map((o) => o.chat.id)).toEqual([3]);
  });
  it("says how long and how much", () => {
    expect(elapsed(0, 5_000)).toBe("5s");
    expect(elapsed(0, 125_000)).toBe("2m");
    expect(elapsed(0, 3_900_000)).toBe("1h 5m");
    expect(elapsed(0, 3 * 86_400_000)).toBe("3d");
    expect(elapsed(10_000, 0)).toBe("0s");
    expect(usageText(items[0])).toBe("1.2k tokens");
    expect(usageText({ ...items[0], usage: { ...items[0].usage, usage: { ...items[0].usage.usage, costUsd: 0.041 } } })).toBe(
      "1.2k tokens · $0.04",
    );
  });
});
