import { describe, expect, it } from "vitest";
import type { UsageReportInfo, UsageTotalsInfo } from "../api/types";
import { daySeconds, daySeries, shares, todayUtc } from "./usage";

const totals = (tokens: number, cost?: number): UsageTotalsInfo => ({
  turns: 1,
  durationMs: 1000,
  usage: { inputTokens: tokens, outputTokens: 1, cacheReadTokens: 2, cacheWriteTokens: 3, ...(cost === undefined ? {} : { costUsd: cost }) },
});

const report = (groups: [string, UsageTotalsInfo][], fromDay?: string, toDay?: string): UsageReportInfo => ({
  by: "day",
  fromDay,
  toDay,
  groups: groups.map(([key, t]) => ({ key, label: key, totals: t })),
  total: totals(0),
  tools: [],
});

describe("usage", () => {
  it("fills the days without turns with zeros, from the first day to today", () => {
    const s = daySeries(report([["2026-11-29", totals(10, 0.5)], ["2026-12-01", totals(4)]], "2026-11-28"), "2026-12-02");
    expect(s.x).toEqual(["2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02"].map(daySeconds));
    expect(s.cost).toEqual([0, 0.5, 0, 0, 0]);
    expect(s.tokens).toEqual([0, 16, 0, 10, 0]);
  });

  it("starts at the first day with turns when the period is unbounded, and across a month's end", () => {
    const s = daySeries(report([["2026-01-31", totals(1)]]), "2026-02-01");
    expect(s.x.length).toBe(2);
    expect(daySeconds("2026-02-01") - daySeconds("2026-01-31")).toBe(86_400);
    expect(daySeries(report([]), "2026-02-01").x).toEqual([daySeconds("2026-02-01")]);
  });

  it("keeps at most a little over a year of bars", () => {
    expect(daySeries(report([], "2000-01-01"), "2026-12-03").x.length).toBe(401);
  });

  it("sizes bars by cost when any group has one, else by tokens", () => {
    const r = { ...report([["a", totals(10, 2)], ["b", totals(100, 1)], ["c", totals(5)]]), by: "agent" as const };
    expect(shares(r)).toEqual([1, 0.5, 0]);
    const t = { ...report([["a", totals(94)], ["b", totals(44)]]), by: "model" as const };
    expect(shares(t)).toEqual([1, 0.5]);
    expect(shares({ ...t, groups: [] })).toEqual([]);
  });

  it("says today in UTC", () => {
    expect(todayUtc(Date.parse("2026-12-03T23:59:59Z"))).toBe("2026-12-03");
  });
});
