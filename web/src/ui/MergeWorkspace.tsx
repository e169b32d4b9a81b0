// Merging a workspace back from the dashboard: a message (or one drafted from its chats), rebase
// or merge, push or not; then what happened, or the files in conflict (nothing changed then).

import { useState, type FormEvent } from "react";
import type { WorkspaceInfo, WorkspaceMergedInfo } from "../api/types";
import { useBand } from "../state/band";
import { errorText } from "../state/errors";
import { mergeWorkspace } from "../state/lifecycle";
import { Modal } from "./widgets/Modal";

export function MergeWorkspace({ workspace, onClose }: { workspace: WorkspaceInfo; onClose(): void }) {
  const band = useBand();
  const [message, setMessage] = useState("");
  const [strategy, setStrategy] = useState<"rebase" | "merge">("rebase");
  const [push, setPush] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<WorkspaceMergedInfo | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setDone(await mergeWorkspace(band, workspace.id, { message: message.trim() || undefined, strategy, push }));
    } catch (err) {
      setError(errorText(err));
    }
    setBusy(false);
  };

  return (
    <Modal title={`Merge ${workspace.branch} into ${workspace.base}`} onClose={onClose}>
      {done ? (
        <div className="form" data-testid="merge-result">
          {done.conflicts.length > 0 ? (
            <>
              <p className="error" role="alert">
                Conflicts with {workspace.base} in {done.conflicts.length} file(s); nothing was changed, the workspace is as it
                was. Resolve them in the workspace (or ask the agent), then merge again.
              </p>
              <ul className="small" data-testid="conflicts">
                {done.conflicts.map((f) => (
                  <li key={f}>
                    <code>{f}</code>
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <ul className="small">
              <li>
                Merged onto {workspace.base}
                {done.committed ? `, with your changes committed as “${done.message}”` : ""}.
              </li>
              <li>{done.baseMoved ?? `${workspace.base} left as it is: ${done.baseKeptBecause ?? "not a local branch"}`}</li>
              {(done.pushed || done.pushFailed) && (
                <li>{done.pushed ? `Pushed to ${done.pushed}.` : `Not pushed: ${done.pushFailed}`}</li>
              )}
            </ul>
          )}
          <div className="form-actions">
            <button type="button" className="primary" onClick={onClose}>
              Close
            </button>
          </div>
        </div>
      ) : (
        <form className="form" onSubmit={submit}>
          <p className="small">
            Commits everything in the workspace, takes in {workspace.base}, moves {workspace.base} forward in the project's
            checkout when that is safe, and pushes the branch. A conflict changes nothing.
          </p>
          <label>
            Commit message (for uncommitted changes)
            <textarea
              name="message"
              rows={3}
              value={message}
              onChange={(e) => setMessage(e.target.value)}
              placeholder="drafted from the workspace's chats"
            />
          </label>
          <label>
            Take in {workspace.base} by
            <select name="strategy" value={strategy} onChange={(e) => setStrategy(e.target.value as "rebase" | "merge")}>
              <option value="rebase">rebase (a straight history)</option>
              <option value="merge">merge (a merge commit)</option>
            </select>
          </label>
          <label className="check">
            <input type="checkbox" name="push" checked={push} onChange={(e) => setPush(e.target.checked)} />
            <span>Push the branch to its remote</span>
          </label>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          <div className="form-actions">
            <button type="button" className="secondary" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={busy}>
              {busy ? "Merging…" : "Merge"}
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}
