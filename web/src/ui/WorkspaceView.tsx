import { useState, type FormEvent } from "react";
import { codes, RpcError } from "../api/rpc";
import type { WorkspaceInfo } from "../api/types";
import { useBand } from "../state/band";
import { chatsOf, workspaceBadge } from "../state/app";
import { useStore } from "../state/store";
import { ChangesPane } from "./ChangesPane";
import { ChatPane } from "./ChatPane";
import { ConnectionBadge } from "./ConnectionBadge";
import { errorText } from "./errors";
import { Modal } from "./NewWorkspace";
import { navigate, type Route, type Tab } from "./route";
import { StatusBadge } from "./Sidebar";

export function WorkspaceView({ workspace, route, narrow }: { workspace: WorkspaceInfo; route: Route; narrow: boolean }) {
  const band = useBand();
  const badge = useStore(band.state, (s) => workspaceBadge(s, workspace.id));
  const [removing, setRemoving] = useState(false);
  const go = (tab: Tab) => navigate({ ...route, tab });

  const chat = <ChatPane workspace={workspace} chatId={route.chat} />;
  const changes = <ChangesPane workspace={workspace} />;
  const files = (
    <section className="pane files-pane" aria-label="Files">
      <div className="coming">
        <h2>Files</h2>
        <p>Browsing the workspace's files is coming.</p>
      </div>
    </section>
  );

  return (
    <main className="workspace" data-testid="workspace-view">
      <header className="ws-head">
        {narrow && (
          <button
            type="button"
            className="back"
            aria-label="Back to workspaces"
            onClick={() => navigate({ workspace: null, tab: "chat", chat: null })}
          >
            ‹
          </button>
        )}
        <div className="ws-title">
          <h1>
            <span className="muted">{workspace.project} /</span> {workspace.branch}
          </h1>
          <div className="ws-sub muted small" title={workspace.path}>
            from {workspace.base} · {workspace.path}
          </div>
        </div>
        <StatusBadge status={badge} />
        {narrow && <ConnectionBadge />}
        <button type="button" className="secondary danger-text" onClick={() => setRemoving(true)}>
          Remove
        </button>
      </header>
      {narrow ? (
        <>
          <div className="single-pane">{route.tab === "changes" ? changes : route.tab === "files" ? files : chat}</div>
          <nav className="tabbar" aria-label="Panes">
            {(["chat", "changes", "files"] as const).map((t) => (
              <button
                key={t}
                type="button"
                className={route.tab === t ? "active" : ""}
                aria-current={route.tab === t ? "page" : undefined}
                onClick={() => go(t)}
              >
                {t === "chat" ? "Chat" : t === "changes" ? "Changes" : "Files"}
              </button>
            ))}
          </nav>
        </>
      ) : (
        <div className="panes">
          {chat}
          {changes}
        </div>
      )}
      {removing && <RemoveWorkspace workspace={workspace} onClose={() => setRemoving(false)} />}
    </main>
  );
}

/** Removal: plain first; if the server refuses (work would be lost), its reason and a typed confirmation. */
export function RemoveWorkspace({ workspace, onClose }: { workspace: WorkspaceInfo; onClose(): void }) {
  const band = useBand();
  const working = useStore(band.state, (s) => chatsOf(s, workspace.id).some((c) => c.status === "working"));
  const [refusal, setRefusal] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);

  const remove = async (force: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await band.removeWorkspace(workspace.id, force);
      onClose();
      navigate({ workspace: null, tab: "chat", chat: null });
    } catch (e) {
      if (!force && e instanceof RpcError && e.code === codes.refused) setRefusal(e.message);
      else setError(errorText(e));
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void remove(refusal !== null);
  };

  return (
    <Modal title={`Remove ${workspace.branch}?`} onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <p>
          This removes the worktree at <code>{workspace.path}</code>
          {working ? " and stops the agents working in it" : ""}. A branch with unmerged commits is kept.
        </p>
        {refusal !== null && (
          <>
            <p className="error" role="alert" data-testid="refusal">
              {refusal}
            </p>
            <label>
              Type <strong>{workspace.branch}</strong> to remove it anyway and discard that work
              <input
                name="confirm"
                value={typed}
                onChange={(e) => setTyped(e.target.value)}
                autoComplete="off"
                spellCheck={false}
              />
            </label>
          </>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={busy || (refusal !== null && typed !== workspace.branch)}>
            {refusal !== null ? "Remove anyway" : "Remove"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
