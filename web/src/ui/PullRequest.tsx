// Pull requests from the dashboard, through band-server's GitHub CLI: the workspace's pull
// request and its checks in the header, a dialog to open one (title and body drafted from the
// chats, editable), and the project's open pull requests, each one a workspace away.
// Loaded on demand (the first download's budget).

import { useEffect, useState, type FormEvent } from "react";
import type { PullInfo, WorkspaceInfo } from "../api/types";
import { useBand, useCan } from "../state/band";
import { errorText } from "../state/errors";
import { openPull, projectPulls, pullDraft, pullStatus, workspaceFromPull } from "../state/pulls";
import { navigate } from "./route";
import { Modal } from "./widgets/Modal";

/** "2 passed, 1 pending" (or "no checks"). */
export function checksText(p: PullInfo): string {
  if (p.checks.length === 0) return "no checks";
  const order = ["failed", "pending", "passed", "skipped"] as const;
  return order
    .map((o) => [o, p.checks.filter((c) => c.outcome === o).length] as const)
    .filter(([, n]) => n > 0)
    .map(([o, n]) => `${n} ${o}`)
    .join(", ");
}

/** The workspace's pull request in its header: number, state and checks; a click opens the dialog. */
export function PullBadge({ workspace, version, onOpen }: { workspace: WorkspaceInfo; version: number; onOpen(): void }) {
  const band = useBand();
  const [pull, setPull] = useState<PullInfo | null>(null);
  useEffect(() => {
    let live = true;
    pullStatus(band, workspace.id)
      .then((s) => live && setPull(s.pull ?? null))
      // No gh, or signed out: the dialog says so when opened; the header stays quiet.
      .catch(() => live && setPull(null));
    return () => {
      live = false;
    };
  }, [band, workspace.id, version]);
  if (!pull) return null;
  const failing = pull.checks.some((c) => c.outcome === "failed");
  return (
    <button
      type="button"
      className={`secondary pr-badge${failing ? " pr-failing" : ""}`}
      data-testid="pr-badge"
      onClick={onOpen}
      title={`${pull.title} (${pull.url})`}
    >
      PR #{pull.number} · {pull.state}
      {pull.draft ? " (draft)" : ""} · {checksText(pull)}
    </button>
  );
}

export function PullRequestDialog({ workspace, onClose, onChanged }: { workspace: WorkspaceInfo; onClose(): void; onChanged(): void }) {
  const band = useBand();
  const control = useCan("control");
  const [pull, setPull] = useState<PullInfo | null | undefined>(undefined);
  const [title, setTitle] = useState("");
  const [body, setBody] = useState("");
  const [draft, setDraft] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<PullInfo[] | null>(null);

  useEffect(() => {
    pullStatus(band, workspace.id)
      .then(async (s) => {
        setPull(s.pull ?? null);
        if (!s.pull) {
          const d = await pullDraft(band, workspace.id);
          setTitle(d.title);
          setBody(d.body);
        }
      })
      .catch((e) => {
        setPull(null);
        setError(errorText(e));
      });
    projectPulls(band, workspace.project)
      .then(setOpen)
      .catch(() => setOpen([]));
  }, [band, workspace.id, workspace.project]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const made = await openPull(band, workspace.id, { title: title.trim() || undefined, body, draft });
      setPull(made.pull);
      onChanged();
    } catch (err) {
      setError(errorText(err));
    }
    setBusy(false);
  };

  const openAsWorkspace = async (p: PullInfo) => {
    setBusy(true);
    setError(null);
    try {
      const w = await workspaceFromPull(band, workspace.project, p.number);
      onClose();
      navigate({ workspace: w.id, tab: "chat", chat: null });
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <Modal title={`Pull request for ${workspace.branch}`} onClose={onClose}>
      <div className="form" data-testid="pr-dialog">
        {pull === undefined && <p className="muted">Asking gh…</p>}
        {pull && (
          <div data-testid="pr-info">
            <p>
              <a href={pull.url} target="_blank" rel="noreferrer">
                #{pull.number} {pull.title}
              </a>{" "}
              <span className="muted small">
                {pull.state}
                {pull.draft ? ", draft" : ""} · {pull.head} → {pull.base}
              </span>
            </p>
            <p className="small">Checks: {checksText(pull)}</p>
            {pull.checks.length > 0 && (
              <ul className="small">
                {pull.checks.map((c) => (
                  <li key={c.name}>
                    {c.outcome} · {c.name}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        {pull === null && control && (
          <form className="form" onSubmit={(e) => void create(e)}>
            <label>
              Title
              <input name="title" value={title} onChange={(e) => setTitle(e.target.value)} maxLength={256} />
            </label>
            <label>
              Description
              <textarea name="body" rows={6} value={body} onChange={(e) => setBody(e.target.value)} />
            </label>
            <label className="check">
              <input type="checkbox" checked={draft} onChange={(e) => setDraft(e.target.checked)} /> Open as a draft
            </label>
            <p className="muted small">
              The branch {workspace.branch} is pushed first; the pull request goes into {workspace.base}.
            </p>
            <button type="submit" className="primary" disabled={busy || !title.trim()}>
              {busy ? "Opening…" : "Create pull request"}
            </button>
          </form>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {open && open.length > 0 && (
          <section data-testid="project-prs">
            <h3 className="small">Open pull requests in {workspace.project}</h3>
            <ul className="small">
              {open.map((p) => (
                <li key={p.number}>
                  #{p.number} {p.title} <span className="muted">({p.head} · {checksText(p)})</span>{" "}
                  {control && p.head !== workspace.branch && (
                    <button type="button" className="link small" disabled={busy} onClick={() => void openAsWorkspace(p)}>
                      Open as workspace
                    </button>
                  )}
                </li>
              ))}
            </ul>
          </section>
        )}
      </div>
    </Modal>
  );
}
