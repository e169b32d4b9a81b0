// Removing a project with everything in it: its chats stopped, terminals killed, workspaces
// removed (those with unsaved work only when asked), a warning for each thing kept. The
// project's name must be typed to confirm. Its repository is never touched.

import { useState, type FormEvent } from "react";
import type { ProjectInfo, ProjectPurgedInfo } from "../api/types";
import { useBand } from "../state/band";
import { errorText } from "../state/errors";
import { purgeProject } from "../state/lifecycle";
import { useStore } from "../state/store";
import { Modal } from "./widgets/Modal";

export function RemoveProject({ project, onClose }: { project: ProjectInfo; onClose(): void }) {
  const band = useBand();
  const count = useStore(band.state, (s) => s.workspaces.filter((w) => w.project === project.name).length);
  const [typed, setTyped] = useState("");
  const [force, setForce] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<ProjectPurgedInfo | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setDone(await purgeProject(band, project.name, force));
    } catch (err) {
      setError(errorText(err));
    }
    setBusy(false);
  };

  return (
    <Modal title={`Remove project ${project.name}?`} onClose={onClose}>
      {done ? (
        <div className="form" data-testid="purge-result">
          <p>
            {done.projectRemoved
              ? `Removed ${project.name} and its ${done.removed.length} workspace(s). The repository at ${project.path} is untouched.`
              : `Removed ${done.removed.length} workspace(s); ${project.name} was kept.`}
          </p>
          {done.warnings.length > 0 && (
            <ul className="error small" data-testid="purge-warnings">
              {done.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          <div className="form-actions">
            <button type="button" className="primary" onClick={onClose}>
              Done
            </button>
          </div>
        </div>
      ) : (
        <form className="form" onSubmit={submit}>
          <p>
            This stops every agent and terminal of {project.name}, removes its {count} workspace(s) and forgets the project.
            The repository at <code>{project.path}</code> is never touched. Workspaces with uncommitted or unmerged work are
            kept, each with a warning, unless you tick the box below.
          </p>
          <label className="check">
            <input type="checkbox" name="force" checked={force} onChange={(e) => setForce(e.target.checked)} />
            <span>Also remove workspaces with uncommitted or unmerged work (uncommitted changes are lost; unmerged branches are kept)</span>
          </label>
          <label>
            Type <strong>{project.name}</strong> to confirm
            <input name="confirm" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} />
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
            <button type="submit" className="danger" disabled={busy || typed !== project.name}>
              Remove project
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}
