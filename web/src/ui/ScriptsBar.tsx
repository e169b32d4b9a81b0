// The workspace's setup and teardown, under its header: the project's scripts waiting for the
// user's approval (read them, then approve exactly them), an invalid configuration, and the last
// run with its output, live while it runs. Nothing shows for a project without scripts.

import { useState } from "react";
import type { ProjectConfigInfo, ScriptRunInfo, WorkspaceInfo } from "../api/types";
import { useBand, useCan } from "../state/band";
import { errorText } from "../state/errors";
import { loadConfig, needsApproval, runSetup, trustScripts, useProjectConfig, useScriptRuns } from "../state/scripts";
import { Modal } from "./widgets/Modal";

const STATUS: Record<ScriptRunInfo["status"], string> = {
  running: "running…",
  succeeded: "succeeded",
  failed: "failed",
  "timed-out": "timed out",
  stopped: "stopped",
};

export function ScriptsBar({ workspace }: { workspace: WorkspaceInfo }) {
  const band = useBand();
  const control = useCan("control");
  const config = useProjectConfig(band, workspace.project);
  const runs = useScriptRuns(band, workspace.id);
  const [reviewing, setReviewing] = useState(false);
  const [open, setOpen] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const last = runs?.[runs.length - 1];
  const approval = needsApproval(config);
  // A direct workspace is the checkout: scripts are for worktrees band makes.
  if (workspace.direct || !config || (!config.error && !approval && !last)) return null;
  const shown =
    last && (open === last.id || last.status === "running" || (open === null && last.status !== "succeeded"));

  const again = async () => {
    setError(null);
    try {
      await runSetup(band, workspace.id);
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <section className="scripts-bar" aria-label="Setup scripts" data-testid="scripts-bar">
      {config.error && (
        <p className="scripts-line bad" data-testid="config-error">
          The project's configuration is invalid, so new workspaces are made without it: {config.error}
        </p>
      )}
      {approval && (
        <p className="scripts-line warn" data-testid="scripts-untrusted">
          <span className="grow">
            The scripts of {workspace.project} are not approved, so they do not run: band runs a repository's scripts
            only once you have read and approved them.
          </span>
          {control && (
            <button type="button" className="secondary" onClick={() => setReviewing(true)}>
              Review scripts
            </button>
          )}
        </p>
      )}
      {last && (
        <div className="scripts-line">
          <span
            className={`chip chip-${last.status === "succeeded" ? "completed" : last.status === "running" ? "" : "failed"}`}
          >
            {last.kind}
          </span>
          <span className="grow" data-testid="script-status">
            {last.kind === "setup" ? "Setup" : "Teardown"} {STATUS[last.status]}
            {last.error ? `: ${last.error}` : ""}
          </span>
          <button
            type="button"
            className="secondary"
            onClick={() => setOpen(shown ? -1 : last.id)}
            aria-expanded={!!shown}
          >
            {shown ? "Hide output" : "Output"}
          </button>
          {control && workspace.archivedAt == null && config.setup && config.trusted && last.status !== "running" && (
            <button type="button" className="secondary" onClick={() => void again()}>
              Run setup again
            </button>
          )}
        </div>
      )}
      {!last && control && workspace.archivedAt == null && config.setup && config.trusted && (
        <p className="scripts-line">
          <span className="grow muted">The setup script has not run in this workspace.</span>
          <button type="button" className="secondary" onClick={() => void again()}>
            Run setup
          </button>
        </p>
      )}
      {last && shown && (
        <pre className="script-output" data-testid="script-output" aria-live="polite">
          {last.output || (last.status === "running" ? "(no output yet)" : "(no output)")}
        </pre>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {reviewing && <ReviewScripts config={config} workspace={workspace} onClose={() => setReviewing(false)} />}
    </section>
  );
}

/** The scripts as they are, then an approval of exactly them (their hash). */
function ReviewScripts({
  config,
  workspace,
  onClose,
}: {
  config: ProjectConfigInfo;
  workspace: WorkspaceInfo;
  onClose(): void;
}) {
  const band = useBand();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const approve = async (thenRun: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await trustScripts(band, config.project, config.scriptsHash ?? "");
      if (thenRun) await runSetup(band, workspace.id);
      onClose();
    } catch (e) {
      setError(errorText(e));
      // They may have changed: show what is there now.
      await loadConfig(band, config.project).catch(() => {});
      setBusy(false);
    }
  };

  return (
    <Modal title={`Scripts of ${config.project}`} onClose={onClose}>
      <div className="form">
        <p className="small">
          From <code>{config.file}</code>
          {config.source === "override" ? " (band's override)" : ""}. They run with <code>/bin/sh</code> in each
          workspace, with your permissions, for at most {config.scriptTimeoutSeconds} s. Approve them only if you trust
          them; a change to either asks again.
        </p>
        {config.setup && (
          <>
            <h3 className="small">Setup (in each new workspace)</h3>
            <pre className="script-output" data-testid="review-setup">
              {config.setup}
            </pre>
          </>
        )}
        {config.teardown && (
          <>
            <h3 className="small">Teardown (before a workspace is removed)</h3>
            <pre className="script-output" data-testid="review-teardown">
              {config.teardown}
            </pre>
          </>
        )}
        <p className="muted small">Hash {config.scriptsHash}</p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="secondary" disabled={busy} onClick={() => void approve(false)}>
            Approve
          </button>
          {config.setup && (
            <button type="button" className="primary" disabled={busy} onClick={() => void approve(true)}>
              Approve and run setup
            </button>
          )}
        </div>
      </div>
    </Modal>
  );
}
