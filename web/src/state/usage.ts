// Usage of ended turns (usage.report, usage.turns) for the Usage page, and the pure shaping of
// what comes back: a day series with the days without turns filled in, for the chart.

import type { TurnUsageInfo, UsageBy, UsageReportInfo, UsageReportParams, UsageTotalsInfo, UsageTurnsParams } from "../api/types";
import type { Band } from "./band";

export function usageReport(band: Band, params: UsageReportParams): Promise<UsageReportInfo> {
  return band.rpc.call("usage.report", params);
}

export function usageTurns(band: Band, params: UsageTurnsParams): Promise<TurnUsageInfo[]> {
  return band.rpc.call("usage.turns", params);
}

export const GROUPINGS: readonly [UsageBy, string][] = [
  ["agent", "Agent"],
  ["model", "Model"],
  ["project", "Project"],
  ["workspace", "Workspace"],
  ["chat", "Chat"],
  ["cronjob", "Cronjob"],
];

export const PERIODS: readonly [string, string][] = [
  ["7d", "Last 7 days"],
  ["30d", "Last 30 days"],
  ["90d", "Last 90 days"],
  ["", "All time"],
];

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` to the Unix seconds of its UTC midnight. */
export function daySeconds(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000;
}

/**
 * A by-day report as the chart draws it: every day from the first to the last (days without
 * turns as zero), Unix seconds, cost in dollars and tokens (all four kinds) per day.
 */
export function daySeries(report: UsageReportInfo, today: string): { x: number[]; cost: number[]; tokens: number[] } {
  const byDay = new Map(report.groups.map((g) => [g.key, g.totals]));
  const first = report.fromDay ?? report.groups[0]?.key ?? today;
  const last = report.toDay ?? today;
  const x: number[] = [];
  const cost: number[] = [];
  const tokens: number[] = [];
  const from = Date.parse(`${first}T00:00:00Z`);
  const to = Date.parse(`${last}T00:00:00Z`);
  if (!Number.isFinite(from) || !Number.isFinite(to)) return { x, cost, tokens };
  // At most a year and a bit of bars: an older first day starts the series later.
  for (let t = Math.max(from, to - 400 * DAY_MS); t <= to; t += DAY_MS) {
    const key = new Date(t).toISOString().slice(0, 10);
    const totals = byDay.get(key);
    x.push(t / 1000);
    cost.push(totals?.usage.costUsd ?? 0);
    tokens.push(totals ? allTokens(totals) : 0);
  }
  return { x, cost, tokens };
}

export function allTokens(t: UsageTotalsInfo): number {
  const u = t.usage;
  return u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens;
}

/** Each group's share of the largest, 0..1, by cost when any has one, else by tokens. */
export function shares(report: UsageReportInfo): number[] {
  const byCost = report.groups.some((g) => (g.totals.usage.costUsd ?? 0) > 0);
  const value = (t: UsageTotalsInfo) => (byCost ? (t.usage.costUsd ?? 0) : allTokens(t));
  const max = Math.max(0, ...report.groups.map((g) => value(g.totals)));
  return report.groups.map((g) => (max > 0 ? value(g.totals) / max : 0));
}

/** Today in UTC, `YYYY-MM-DD`. */
export function todayUtc(now = Date.now()): string {
  return new Date(now).toISOString().slice(0, 10);
}
