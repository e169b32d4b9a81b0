// The Usage page (loaded on demand, with its chart library): cost and tokens per day over a
// period as a chart (uPlot), the same turns by agent, model, project, workspace, chat or cronjob
// with a bar each, their tool calls by tool (MCP servers named), and the latest turns one by one.
// Filtered by period and project. Everything comes from usage.report and usage.turns.

import { useEffect, useMemo, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "./usage.css";
import type { TurnUsageInfo, UsageBy, UsageReportInfo } from "../api/types";
import { useBand } from "../state/band";
import { compact, usd } from "../state/chatlog";
import { errorText } from "../state/errors";
import { useStore } from "../state/store";
import { GROUPINGS, PERIODS, allTokens, daySeries, shares, todayUtc, usageReport, usageTurns } from "../state/usage";

export function UsagePanel({ onClose }: { onClose(): void }) {
  const band = useBand();
  const projects = useStore(band.state, (s) => s.projects);
  const [since, setSince] = useState("30d");
  const [project, setProject] = useState("");
  const [by, setBy] = useState<UsageBy>("agent");
  const [days, setDays] = useState<UsageReportInfo | null>(null);
  const [groups, setGroups] = useState<UsageReportInfo | null>(null);
  const [turns, setTurns] = useState<TurnUsageInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  useEffect(() => {
    let live = true;
    const filter = { ...(since ? { since } : {}), ...(project ? { project } : {}) };
    setError(null);
    Promise.all([
      usageReport(band, { ...filter, by: "day" }),
      usageReport(band, { ...filter, by }),
      usageTurns(band, { ...filter, limit: 20 }),
    ]).then(
      ([d, g, t]) => {
        if (!live) return;
        setDays(d);
        setGroups(g);
        setTurns(t);
      },
      (e) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [band, since, project, by]);
  const total = days?.total;
  return (
    <>
      <div className="schedules-backdrop" onClick={onClose} />
      <div className="schedules-page usage-page" role="dialog" aria-modal="true" aria-label="Usage">
        <header className="schedules-head">
          <h2>Usage</h2>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        <div className="schedules-body">
          <div className="usage-filters">
            <label>
              Period
              <select value={since} onChange={(e) => setSince(e.target.value)}>
                {PERIODS.map(([value, label]) => (
                  <option key={label} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Project
              <select value={project} onChange={(e) => setProject(e.target.value)}>
                <option value="">Every project</option>
                {projects.map((p) => (
                  <option key={p.id} value={p.name}>
                    {p.name}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          {total && (
            <p className="usage-total" data-testid="usage-total">
              {total.turns} turn{total.turns === 1 ? "" : "s"} · {compact(total.usage.inputTokens)} in · {compact(total.usage.outputTokens)} out ·{" "}
              {compact(total.usage.cacheReadTokens + total.usage.cacheWriteTokens)} cached · {total.usage.costUsd != null ? usd(total.usage.costUsd) : "no cost reported"}
            </p>
          )}
          {days && <DayChart report={days} />}
          <section className="usage-section">
            <header className="usage-section-head">
              <h3>By</h3>
              <div className="usage-by" role="group" aria-label="Group by">
                {GROUPINGS.map(([value, label]) => (
                  <button key={value} type="button" className="secondary small-button" aria-pressed={by === value} onClick={() => setBy(value)}>
                    {label}
                  </button>
                ))}
              </div>
            </header>
            {groups && <Groups report={groups} />}
          </section>
          {groups && groups.tools.length > 0 && <Tools report={groups} />}
          {turns && <Turns turns={turns} />}
        </div>
      </div>
    </>
  );
}

/** Cost (bars) and tokens (a line) per day, drawn by uPlot; sized to its box. */
function DayChart({ report }: { report: UsageReportInfo }) {
  const box = useRef<HTMLDivElement>(null);
  const series = useMemo(() => daySeries(report, todayUtc()), [report]);
  const hasData = series.cost.some((c) => c > 0) || series.tokens.some((t) => t > 0);
  useEffect(() => {
    const el = box.current;
    if (!el || !hasData) return;
    const width = Math.max(260, el.clientWidth);
    const style = getComputedStyle(el);
    const accent = style.getPropertyValue("--accent").trim() || "#4a7dff";
    const muted = style.getPropertyValue("--muted").trim() || "#888";
    const plot = new uPlot(
      {
        width,
        height: 200,
        scales: { x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] }, usd: { auto: true, range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] }, tokens: { auto: true } },
        axes: [
          { stroke: muted },
          { scale: "usd", stroke: muted, values: (_u, v) => v.map((n) => `$${n.toFixed(n < 1 ? 2 : 0)}`) },
          { scale: "tokens", side: 1, stroke: muted, grid: { show: false }, values: (_u, v) => v.map((n) => compact(n)) },
        ],
        series: [
          {},
          { label: "Cost", scale: "usd", fill: accent, stroke: accent, paths: uPlot.paths.bars?.({ size: [0.6, 40] }), value: (_u, v) => (v == null ? "—" : usd(v)) },
          { label: "Tokens", scale: "tokens", stroke: muted, width: 2, value: (_u, v) => (v == null ? "—" : compact(v)) },
        ],
        legend: { show: true },
      },
      [series.x, series.cost, series.tokens],
      el,
    );
    const resize = () => plot.setSize({ width: Math.max(260, el.clientWidth), height: 200 });
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      plot.destroy();
    };
  }, [hasData, series]);
  if (!hasData) return <p className="muted small">No ended turns in this period yet: the chart fills in as agents work.</p>;
  const maxCost = Math.max(...series.cost);
  return (
    <div
      className="usage-chart"
      ref={box}
      data-testid="usage-chart"
      data-days={series.x.length}
      data-max-cost={maxCost.toFixed(6)}
      data-tokens={series.tokens.reduce((a, b) => a + b, 0)}
      aria-label="Cost and tokens per day"
    />
  );
}

function Groups({ report }: { report: UsageReportInfo }) {
  if (report.groups.length === 0) {
    return <p className="muted small">{report.by === "cronjob" ? "No turn started by a cronjob in this period." : "No ended turns in this period."}</p>;
  }
  const bars = shares(report);
  return (
    <table className="usage-table usage-groups" data-testid="usage-groups">
      <thead>
        <tr>
          <th>{report.by}</th>
          <th>Turns</th>
          <th>Tokens</th>
          <th>Cost</th>
          <th>Time</th>
        </tr>
      </thead>
      <tbody>
        {report.groups.map((g, i) => (
          <tr key={g.key}>
            <td>
              <span className="usage-label">{g.label}</span>
              <span className="usage-bar" style={{ width: `${Math.round(bars[i] * 100)}%` }} aria-hidden="true" />
            </td>
            <td>{g.totals.turns}</td>
            <td title={`${g.totals.usage.inputTokens} in, ${g.totals.usage.outputTokens} out, ${g.totals.usage.cacheReadTokens + g.totals.usage.cacheWriteTokens} cached`}>
              {compact(allTokens(g.totals))}
            </td>
            <td>{g.totals.usage.costUsd != null ? usd(g.totals.usage.costUsd) : "—"}</td>
            <td>{minutes(g.totals.durationMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function minutes(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

function Tools({ report }: { report: UsageReportInfo }) {
  const max = Math.max(1, ...report.tools.map((t) => t.calls));
  return (
    <section className="usage-section">
      <h3>Tool calls</h3>
      <ul className="usage-tools" data-testid="usage-tools">
        {report.tools.map((t) => (
          <li key={t.tool}>
            <span className="usage-label">
              {t.tool}
              {t.mcpServer && <span className="chip small">MCP {t.mcpServer}</span>}
            </span>
            <span className="usage-bar" style={{ width: `${Math.round((t.calls / max) * 100)}%` }} aria-hidden="true" />
            <span className="usage-count">{t.calls}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Turns({ turns }: { turns: TurnUsageInfo[] }) {
  if (turns.length === 0) return null;
  return (
    <section className="usage-section">
      <h3>Latest turns</h3>
      <table className="usage-table usage-turns" data-testid="usage-turns">
        <thead>
          <tr>
            <th>Ended</th>
            <th>Agent · model</th>
            <th>Tokens</th>
            <th>Cost</th>
            <th>Tools</th>
          </tr>
        </thead>
        <tbody>
          {turns.map((t) => (
            <tr key={t.turn.id}>
              <td>{t.turn.endedAt ? new Date(t.turn.endedAt).toLocaleString() : "—"}</td>
              <td>
                {t.agent} · {t.model ?? "default"}
              </td>
              <td>{compact(t.turn.usage.inputTokens + t.turn.usage.outputTokens + t.turn.usage.cacheReadTokens + t.turn.usage.cacheWriteTokens)}</td>
              <td>{t.turn.usage.costUsd != null ? usd(t.turn.usage.costUsd) : "—"}</td>
              <td>{t.tools.map((x) => `${x.tool} ${x.calls}`).join(", ") || "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
