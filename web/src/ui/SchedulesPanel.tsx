// The Schedules page: every cronjob (schedule, target, next run; live through
// cronjobs.subscribe), with Run now, Edit, History, Enable/Disable and Delete; a form that
// creates or edits one; a job's history (when, why, chat and turn, outcome, tokens, cost,
// duration, and what the busy and missed-run settings decided).

import { useEffect, useState, type FormEvent } from "react";
import { IfBusyValues, IfMissedValues, ModeValues, type CronJobInfo, type CronRunInfo } from "../api/types";
import { useAgents } from "../state/agents";
import { useBand, useCan } from "../state/band";
import {
  createCronjob,
  deleteCronjob,
  emptyForm,
  formOf,
  formProblem,
  scheduleText,
  setCronjobEnabled,
  targetText,
  triggerCronjob,
  updateCronjob,
  useCronjobs,
  useRuns,
  type CronForm,
} from "../state/cronjobs";
import { errorText } from "../state/errors";
import { useStore } from "../state/store";

type View = { kind: "list" } | { kind: "edit"; job: CronJobInfo | null } | { kind: "runs"; key: string };

function at(ms: number | null | undefined): string {
  return ms == null ? "—" : new Date(ms).toLocaleString();
}

export function SchedulesPanel({ onClose }: { onClose(): void }) {
  const [view, setView] = useState<View>({ kind: "list" });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <>
    <div className="schedules-backdrop" onClick={onClose} />
    <div className="schedules-page" role="dialog" aria-modal="true" aria-label="Schedules">
      <header className="schedules-head">
        {view.kind !== "list" && (
          <button type="button" className="secondary small-button" onClick={() => setView({ kind: "list" })}>
            ← Schedules
          </button>
        )}
        <h2>{view.kind === "edit" ? (view.job ? `Edit ${view.job.key}` : "New schedule") : view.kind === "runs" ? `History of ${view.key}` : "Schedules"}</h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="schedules-body">
        {view.kind === "list" && <JobList onEdit={(job) => setView({ kind: "edit", job })} onRuns={(key) => setView({ kind: "runs", key })} />}
        {view.kind === "edit" && <JobForm job={view.job} onDone={() => setView({ kind: "list" })} />}
        {view.kind === "runs" && <RunList jobKey={view.key} />}
      </div>
    </div>
    </>
  );
}

function JobList({ onEdit, onRuns }: { onEdit(job: CronJobInfo | null): void; onRuns(key: string): void }) {
  const band = useBand();
  const control = useCan("control");
  const { jobs, error } = useCronjobs(band);
  const [note, setNote] = useState<string | null>(null);
  const act = async (what: () => Promise<unknown>, done?: string) => {
    setNote(null);
    try {
      await what();
      if (done) setNote(done);
    } catch (e) {
      setNote(errorText(e));
    }
  };
  if (error) return <p className="error" role="alert">{errorText(error)}</p>;
  if (!jobs) return <p className="muted">Loading…</p>;
  return (
    <>
      {control && (
        <div className="row">
          <button type="button" className="primary" onClick={() => onEdit(null)}>
            New schedule
          </button>
        </div>
      )}
      {note && (
        <p className="small" role="status" data-testid="schedules-note">
          {note}
        </p>
      )}
      {jobs.length === 0 ? (
        <p className="muted">No schedules yet: a schedule sends a prompt to an agent on a cron expression or an interval.</p>
      ) : (
        <ul className="schedule-list">
          {jobs.map((j) => (
            <li key={j.key} className="schedule-card" data-testid={`schedule-${j.key}`} data-enabled={j.enabled}>
              <div className="schedule-title">
                <strong>{j.name}</strong> <span className="chip">{j.key}</span>
                {!j.enabled && <span className="chip">disabled</span>}
              </div>
              <div className="small">
                {scheduleText(j)} → {targetText(j)}
              </div>
              <div className="small muted" data-testid="next-run">
                {j.enabled ? `Next run ${at(j.nextRunAt)}` : "Disabled"} · Last run {at(j.lastRunAt)} · if busy: {j.ifBusy} · if missed: {j.ifMissed}
                {j.budget ? ` · budget ${j.budget}` : ""}
              </div>
              <div className="row wrap">
                {control && (
                  <button type="button" className="small-button" onClick={() => act(() => triggerCronjob(band, j.key), `Ran ${j.key}; see its history.`)}>
                    Run now
                  </button>
                )}
                <button type="button" className="small-button secondary" onClick={() => onRuns(j.key)}>
                  History
                </button>
                {control && (
                  <>
                    <button type="button" className="small-button secondary" onClick={() => onEdit(j)}>
                      Edit
                    </button>
                    <button type="button" className="small-button secondary" onClick={() => act(() => setCronjobEnabled(band, j.key, !j.enabled))}>
                      {j.enabled ? "Disable" : "Enable"}
                    </button>
                    <button
                      type="button"
                      className="small-button danger-text"
                      onClick={() => confirm(`Delete the schedule ${j.key} and its history?`) && act(() => deleteCronjob(band, j.key))}
                    >
                      Delete
                    </button>
                  </>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function JobForm({ job, onDone }: { job: CronJobInfo | null; onDone(): void }) {
  const band = useBand();
  const [form, setForm] = useState<CronForm>(() => (job ? formOf(job) : emptyForm));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const projects = useStore(band.state, (s) => s.projects);
  const workspaces = useStore(band.state, (s) => s.workspaces);
  const chats = useStore(band.state, (s) => Object.values(s.chats));
  const { choices } = useAgents();
  const set = <K extends keyof CronForm>(k: K, v: CronForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = formProblem(form);
    if (problem) return setError(problem);
    setBusy(true);
    setError(null);
    try {
      await (job ? updateCronjob(band, form) : createCronjob(band, form));
      onDone();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const wsName = (id: number) => {
    const w = workspaces.find((x) => x.id === id);
    return w ? `${w.project}/${w.branch}` : `workspace ${id}`;
  };
  return (
    <form className="form schedule-form" onSubmit={submit} noValidate>
      <div className="form-row">
        <label>
          Key
          <input value={form.key} disabled={job !== null} onChange={(e) => set("key", e.target.value)} placeholder="nightly-tests" />
        </label>
        <label>
          Name
          <input value={form.name} onChange={(e) => set("name", e.target.value)} placeholder="Nightly tests" />
        </label>
      </div>
      <label>
        Prompt
        <textarea rows={3} value={form.prompt} onChange={(e) => set("prompt", e.target.value)} placeholder="Run the tests and fix what fails." />
      </label>
      <div className="form-row">
        <label>
          Runs
          <select aria-label="Schedule kind" value={form.scheduleKind} onChange={(e) => set("scheduleKind", e.target.value as CronForm["scheduleKind"])}>
            <option value="every">every (interval)</option>
            <option value="cron">on a cron expression</option>
          </select>
        </label>
        {form.scheduleKind === "every" ? (
          <label>
            Interval
            <input aria-label="Interval" value={form.every} onChange={(e) => set("every", e.target.value)} placeholder="30m, 1h, 1d" />
          </label>
        ) : (
          <>
            <label>
              Cron expression
              <input aria-label="Cron expression" value={form.cron} onChange={(e) => set("cron", e.target.value)} placeholder="0 9 * * 1-5" />
            </label>
            <label>
              Time zone
              <input aria-label="Time zone" value={form.timezone} onChange={(e) => set("timezone", e.target.value)} placeholder="the server's" />
            </label>
          </>
        )}
      </div>
      <div className="form-row">
        <label>
          Sends into
          <select aria-label="Target kind" value={form.targetKind} onChange={(e) => set("targetKind", e.target.value as CronForm["targetKind"])}>
            <option value="workspace">a new chat in a workspace</option>
            <option value="chat">an existing chat</option>
            <option value="new_workspace">a new workspace of a project</option>
          </select>
        </label>
        {form.targetKind === "chat" && (
          <label>
            Chat
            <select aria-label="Chat" value={form.chat} onChange={(e) => set("chat", e.target.value)}>
              <option value="">choose…</option>
              {chats.map((c) => (
                <option key={c.id} value={String(c.id)}>
                  {c.name} (chat {c.id}, {wsName(c.workspaceId)})
                </option>
              ))}
            </select>
          </label>
        )}
        {form.targetKind === "workspace" && (
          <label>
            Workspace
            <select aria-label="Workspace" value={form.workspace} onChange={(e) => set("workspace", e.target.value)}>
              <option value="">choose…</option>
              {workspaces.map((w) => (
                <option key={w.id} value={String(w.id)}>
                  {w.project}/{w.branch}
                </option>
              ))}
            </select>
          </label>
        )}
        {form.targetKind === "new_workspace" && (
          <label>
            Project
            <select aria-label="Project" value={form.project} onChange={(e) => set("project", e.target.value)}>
              <option value="">choose…</option>
              {projects.map((p) => (
                <option key={p.name}>{p.name}</option>
              ))}
            </select>
          </label>
        )}
      </div>
      {form.targetKind !== "chat" && (
        <div className="form-row">
          <label>
            Agent
            <select aria-label="Agent" value={form.agent} onChange={(e) => set("agent", e.target.value)}>
              <option value="">default</option>
              {choices.map((c) => (
                <option key={c.id} value={c.id} disabled={!c.usable}>
                  {c.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Mode
            <select aria-label="Mode" value={form.mode} onChange={(e) => set("mode", e.target.value as CronForm["mode"])}>
              <option value="">ask (default)</option>
              {ModeValues.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </label>
        </div>
      )}
      <div className="form-row">
        <label>
          If the chat is busy
          <select aria-label="If busy" value={form.ifBusy} onChange={(e) => set("ifBusy", e.target.value as CronForm["ifBusy"])}>
            {IfBusyValues.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </label>
        <label>
          Runs missed while band was down
          <select aria-label="If missed" value={form.ifMissed} onChange={(e) => set("ifMissed", e.target.value as CronForm["ifMissed"])}>
            {IfMissedValues.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </label>
        <label>
          Budget, dollars (all runs)
          <input name="maxCostUsd" inputMode="decimal" placeholder="no limit" value={form.maxCostUsd} onChange={(e) => set("maxCostUsd", e.target.value)} />
        </label>
        <label>
          Budget, tokens (all runs)
          <input name="maxTokens" inputMode="numeric" placeholder="no limit" value={form.maxTokens} onChange={(e) => set("maxTokens", e.target.value)} />
        </label>
      </div>
      <label className="check">
        <input type="checkbox" checked={form.enabled} onChange={(e) => set("enabled", e.target.checked)} /> Enabled
      </label>
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="secondary" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {job ? "Save" : "Create"}
        </button>
      </div>
    </form>
  );
}

function RunList({ jobKey }: { jobKey: string }) {
  const band = useBand();
  const { runs, error } = useRuns(band, jobKey);
  if (error) return <p className="error" role="alert">{errorText(error)}</p>;
  if (!runs) return <p className="muted">Loading…</p>;
  if (runs.length === 0) return <p className="muted">No runs yet.</p>;
  return (
    <ol className="run-list" data-testid="runs">
      {runs.map((r) => (
        <RunRow key={r.id} run={r} />
      ))}
    </ol>
  );
}

function RunRow({ run: r }: { run: CronRunInfo }) {
  const cost = r.usage.costUsd != null ? ` · $${r.usage.costUsd.toFixed(4)}` : "";
  const duration = r.durationMs != null ? ` · ${(r.durationMs / 1000).toFixed(1)} s` : "";
  return (
    <li className="run-row" data-outcome={r.outcome} data-testid={`run-${r.id}`}>
      <div className="row wrap">
        <span className={`chip chip-${r.outcome === "completed" ? "completed" : r.outcome === "failed" ? "failed" : "other"}`}>{r.outcome}</span>
        <span className="small">{at(r.at)}</span>
        <span className="small muted">{r.trigger}</span>
      </div>
      <div className="small muted">
        {r.chatId != null ? `chat ${r.chatId}` : "no chat"}
        {r.turnId != null ? ` · turn ${r.turnId}` : ""} · {r.usage.inputTokens} in / {r.usage.outputTokens} out{cost}
        {duration}
      </div>
      {r.detail && <div className="small">{r.detail}</div>}
    </li>
  );
}
