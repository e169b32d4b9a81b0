// Every agent at a glance: each chat of each workspace with its agent, status, what it waits on,
// its last message, how long it has been so, its tokens and cost; the ones that need someone
// first; filtered by project, status, agent and text; a waiting permission answered here. The
// start page on desktops and the Agents tab on phones; loaded on demand.

import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import type { ChatOverviewInfo } from "../api/types";
import { badgeOf } from "../state/app";
import { useBand, useCan } from "../state/band";
import { respond } from "../state/chat";
import { errorText } from "../state/errors";
import { elapsed, filterOverview, noFilter, usageText, useOverview, type OverviewFilter } from "../state/overview";
import { navigate } from "./route";
import { StatusBadge } from "./widgets/StatusBadge";
import "./overview.css";
import { useStore } from "../state/store";

// What band is, the agents, a first project: shown while there is no project.
const Onboarding = lazy(() => import("./Onboarding"));

const STATUSES = ["waiting", "failed", "working", "interrupted", "idle"];

export default function Overview() {
  const { items, error, refresh } = useOverview();
  const [filter, setFilter] = useState<OverviewFilter>(noFilter);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const all = items ?? [];
  const projects = useMemo(() => [...new Set(all.map((o) => o.project))].sort(), [all]);
  const agents = useMemo(() => [...new Set(all.map((o) => o.chat.agent))].sort(), [all]);
  const shown = filterOverview(all, filter);
  const waiting = all.filter((o) => o.chat.status === "waiting").length;
  const set = (change: Partial<OverviewFilter>) => setFilter((f) => ({ ...f, ...change }));
  const band = useBand();
  const noProjects = useStore(band.state, (s) => s.loaded && s.projects.length === 0);

  return (
    <section className="overview" data-testid="overview" aria-label="All agents">
      {noProjects && (
        <Suspense fallback={null}>
          <Onboarding />
        </Suspense>
      )}
      <header className="overview-head">
        <h1>All agents</h1>
        <span className="muted small">
          {items === null ? "Loading…" : `${all.length} chat${all.length === 1 ? "" : "s"}${waiting ? `, ${waiting} waiting for you` : ""}`}
        </span>
      </header>
      <div className="overview-filters">
        <input
          type="search"
          aria-label="Search chats"
          placeholder="Search: name, branch, message…"
          value={filter.text}
          onChange={(e) => set({ text: e.target.value })}
        />
        <select aria-label="Project" value={filter.project} onChange={(e) => set({ project: e.target.value })}>
          <option value="">All projects</option>
          {projects.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <select aria-label="Status" value={filter.status} onChange={(e) => set({ status: e.target.value })}>
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <select aria-label="Agent" value={filter.agent} onChange={(e) => set({ agent: e.target.value })}>
          <option value="">All agents</option>
          {agents.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </div>
      {error && (
        <p className="error small" role="alert">
          Could not load the overview: {error}
        </p>
      )}
      {items !== null && all.length === 0 && (
        <p className="muted overview-empty">No chats yet: create a workspace with a prompt, and its agent shows up here.</p>
      )}
      {items !== null && all.length > 0 && shown.length === 0 && <p className="muted overview-empty">No chat matches.</p>}
      <ul className="overview-list">
        {shown.map((o) => (
          <OverviewRow key={o.chat.id} o={o} now={now} onAnswered={refresh} />
        ))}
      </ul>
    </section>
  );
}

function OverviewRow({ o, now, onAnswered }: { o: ChatOverviewInfo; now: number; onAnswered(): void }) {
  const band = useBand();
  const control = useCan("control");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const badge = badgeOf(o.chat.status);
  const open = () => navigate({ workspace: o.chat.workspaceId, tab: "chat", chat: o.chat.id });
  const answer = async (request: string, decision: "allow" | "deny") => {
    setBusy(true);
    setError(null);
    try {
      await respond(band, o.chat.id, request, decision);
      onAnswered();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const where = o.branch ? `${o.project}/${o.branch}` : o.project;
  return (
    <li className={`overview-row status-${badge}`} data-testid="overview-row" data-chat={o.chat.id} data-status={o.chat.status}>
      <div className="overview-line">
        {badge === "idle" ? <span className="badge badge-idle">{o.chat.status}</span> : <StatusBadge status={badge} />}
        <button type="button" className="link overview-name" onClick={open} title={`Open ${o.chat.name} in ${where}`}>
          {o.chat.name || `chat ${o.chat.id}`}
        </button>
        <span className="muted small overview-where">{where}</span>
      </div>
      <div className="overview-meta small muted">
        <span>{o.chat.agent}</span>
        <span title={new Date(o.since).toLocaleString()}>{elapsed(o.since, now)}</span>
        <span>{usageText(o)}</span>
      </div>
      {o.chat.labels.queued && (
        <p className="small overview-queued" data-testid="overview-queued">
          Queued: {o.chat.labels.queued}. It starts when an agent is free.
        </p>
      )}
      {o.lastMessage && <p className="overview-message small">{o.lastMessage}</p>}
      {o.pending.map((p) => (
        <div key={p.requestId} className="overview-pending" data-testid="overview-permission">
          <div className="small">
            <strong>{p.tool}</strong> wants permission: <code>{p.summary}</code>
          </div>
          {control ? (
            <div className="permission-actions">
              <button type="button" className="primary" disabled={busy} onClick={() => void answer(p.requestId, "allow")}>
                Allow
              </button>
              <button type="button" className="danger" disabled={busy} onClick={() => void answer(p.requestId, "deny")}>
                Deny
              </button>
              <button type="button" className="secondary" onClick={open}>
                Open
              </button>
            </div>
          ) : (
            <div className="small muted">Waiting for someone with control access.</div>
          )}
        </div>
      ))}
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
