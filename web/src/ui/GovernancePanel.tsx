// The Policies and Audit page (main token only; loaded on demand): a scope's effective policy
// with where each rule came from, and a form that sets or removes rules at that scope
// (policy.set, refused with the server's words when a rule would loosen a broader one); the
// audit of agent actions with the CLI's filters (kind, chat, workspace, decider, since), paged,
// and an export of what matches as JSON lines.

import { useCallback, useEffect, useState, type FormEvent } from "react";
import type { ActionInfo, ActionKind, AuditActionsParams, DecidedBy, PolicyInfo, PolicyScopeParams } from "../api/types";
import { useBand } from "../state/band";
import { errorText } from "../state/errors";
import { auditActions, exportActions, setPolicy, showPolicy } from "../state/governance";
import { useStore } from "../state/store";

type Tab = "policies" | "audit";

export function GovernancePanel({ onClose, initial = "policies" }: { onClose(): void; initial?: Tab }) {
  const [tab, setTab] = useState<Tab>(initial);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <>
      <div className="schedules-backdrop" onClick={onClose} />
      <div className="schedules-page" role="dialog" aria-modal="true" aria-label="Policies and audit">
        <header className="schedules-head">
          <h2>{tab === "policies" ? "Policies" : "Audit"}</h2>
          <button type="button" className="secondary small-button" aria-pressed={tab === "policies"} onClick={() => setTab("policies")}>
            Policies
          </button>
          <button type="button" className="secondary small-button" aria-pressed={tab === "audit"} onClick={() => setTab("audit")}>
            Audit
          </button>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        <div className="schedules-body">{tab === "policies" ? <Policies /> : <Audit />}</div>
      </div>
    </>
  );
}

/** A scope as the select spells it: "global", "project:NAME", "workspace:ID". */
function scopeParams(scope: string): PolicyScopeParams {
  if (scope.startsWith("project:")) return { project: scope.slice("project:".length) };
  if (scope.startsWith("workspace:")) return { workspace: scope.slice("workspace:".length) };
  return {};
}

function Policies() {
  const band = useBand();
  const projects = useStore(band.state, (s) => s.projects);
  const workspaces = useStore(band.state, (s) => s.workspaces);
  const [scope, setScope] = useState("global");
  const [info, setInfo] = useState<PolicyInfo | null>(null);
  const [rules, setRules] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    let live = true;
    setInfo(null);
    showPolicy(band, scopeParams(scope)).then(
      (i) => live && setInfo(i),
      (e) => live && setProblem(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [band, scope]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    setSaved(false);
    const set = rules.split(/\s+/).filter((r) => r.length > 0);
    setPolicy(band, scopeParams(scope), set).then(
      (i) => {
        setInfo(i);
        setRules("");
        setSaved(true);
      },
      (err) => setProblem(errorText(err)),
    );
  };

  return (
    <>
      <label className="form-row">
        Scope
        <select aria-label="Scope" value={scope} onChange={(e) => setScope(e.target.value)}>
          <option value="global">Global</option>
          {projects.map((p) => (
            <option key={`p${p.id}`} value={`project:${p.name}`}>
              Project {p.name}
            </option>
          ))}
          {workspaces.map((w) => (
            <option key={`w${w.id}`} value={`workspace:${w.id}`}>
              Workspace {w.project}/{w.branch}
            </option>
          ))}
        </select>
      </label>
      {info === null ? (
        <p className="small">Loading…</p>
      ) : info.effective.length === 0 ? (
        <p className="small">No policy applies to {info.scope}: nothing is refused by policy.</p>
      ) : (
        <table className="policy-table" aria-label="Effective policy">
          <thead>
            <tr>
              <th>Key</th>
              <th>Value</th>
              <th>From</th>
            </tr>
          </thead>
          <tbody>
            {info.effective.map((r, i) => (
              <tr key={i}>
                <td>{r.key}</td>
                <td>{r.value}</td>
                <td>{r.from}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={submit} className="policy-form">
        <label>
          Set rules (KEY=VALUE, space-separated; KEY= removes)
          <input aria-label="Rules" value={rules} placeholder="canRunCommands=false denyPaths=secrets/**" onChange={(e) => setRules(e.target.value)} />
        </label>
        <p className="small">Keys: {info?.keys.join(", ")}. A narrower scope can only tighten.</p>
        <button type="submit" disabled={rules.trim() === ""}>
          Set
        </button>
      </form>
      {saved && <p className="small">Saved.</p>}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
    </>
  );
}

const KINDS: ActionKind[] = ["tool_call", "cron_run", "policy_change", "turn_refused"];
const DECIDERS: DecidedBy[] = ["user", "mode", "policy", "budget"];

function filterParams(f: { kind: string; chat: string; workspace: string; decider: string; since: string }): AuditActionsParams {
  const p: AuditActionsParams = {};
  if (f.kind) p.kind = f.kind as ActionKind;
  if (f.chat) p.chat = Number(f.chat);
  if (f.workspace) p.workspace = f.workspace;
  if (f.decider) p.decider = f.decider as DecidedBy;
  if (f.since) p.since = Date.parse(f.since);
  return p;
}

function Audit() {
  const band = useBand();
  const workspaces = useStore(band.state, (s) => s.workspaces);
  const [f, setF] = useState({ kind: "", chat: "", workspace: "", decider: "", since: "" });
  const [list, setList] = useState<ActionInfo[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const set = (k: keyof typeof f, v: string) => setF((x) => ({ ...x, [k]: v }));

  const load = useCallback(() => {
    setProblem(null);
    auditActions(band, { ...filterParams(f), limit: 200 }).then(setList, (e) => setProblem(errorText(e)));
  }, [band, f]);
  useEffect(load, [load]);

  const exportLines = async () => {
    const text = await exportActions(band, filterParams(f));
    const blob = new Blob([text], { type: "application/jsonl" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "band-audit.jsonl";
    a.click();
    URL.revokeObjectURL(a.href);
  };

  return (
    <>
      <div className="audit-filters">
        <label className="form-row">
          Kind
          <select aria-label="Kind" value={f.kind} onChange={(e) => set("kind", e.target.value)}>
            <option value="">Every kind</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label className="form-row">
          Decider
          <select aria-label="Decider" value={f.decider} onChange={(e) => set("decider", e.target.value)}>
            <option value="">Anyone</option>
            {DECIDERS.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </label>
        <label className="form-row">
          Workspace
          <select aria-label="Workspace" value={f.workspace} onChange={(e) => set("workspace", e.target.value)}>
            <option value="">Every workspace</option>
            {workspaces.map((w) => (
              <option key={w.id} value={String(w.id)}>
                {w.project}/{w.branch}
              </option>
            ))}
          </select>
        </label>
        <label className="form-row">
          Chat
          <input aria-label="Chat" inputMode="numeric" value={f.chat} onChange={(e) => set("chat", e.target.value.replace(/\D/g, ""))} />
        </label>
        <label className="form-row">
          Since
          <input aria-label="Since" type="date" value={f.since} onChange={(e) => set("since", e.target.value)} />
        </label>
        <button type="button" className="secondary" onClick={() => void exportLines().catch((e) => setProblem(errorText(e)))}>
          Export JSON lines
        </button>
      </div>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {list === null ? (
        <p className="small">Loading…</p>
      ) : list.length === 0 ? (
        <p className="small">No agent actions match.</p>
      ) : (
        <ul className="audit-list" aria-label="Agent actions">
          {list.map((a) => (
            <li key={a.id} className="audit-item">
              <div className="small">
                {new Date(a.at).toLocaleString()} · {a.kind}
                {a.chat != null && ` · chat ${a.chat}`}
                {a.tool && ` · ${a.tool}`}
              </div>
              <div>
                {a.decision && <strong>{a.decision}</strong>}
                {a.decider && ` by ${a.decider}`}
                {a.rule && ` · ${a.rule}`}
              </div>
              <div className="small muted">{a.detail}</div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
