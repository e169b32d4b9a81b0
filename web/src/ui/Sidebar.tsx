import { lazy, Suspense, useState, type FormEvent } from "react";
import type { ProjectInfo } from "../api/types";
import { useBand, useCan } from "../state/band";
import { workspaceBadge, workspaceUnread, type AppState } from "../state/app";
import { errorText } from "../state/errors";
import { useStore } from "../state/store";
import { navigate } from "./route";
import { StatusBadge } from "./widgets/StatusBadge";
import { useDesktop } from "../state/desktop";

// Removing a project and making a workspace are rare: their dialogs load on demand (the first
// download's budget).
const NewWorkspace = lazy(() => import("./NewWorkspace").then((m) => ({ default: m.NewWorkspace })));
const RemoveProject = lazy(() => import("./RemoveProject").then((m) => ({ default: m.RemoveProject })));

export function Sidebar({ selected }: { selected: number | null }) {
  const band = useBand();
  const projects = useStore(band.state, (s) => s.projects);
  const workspaces = useStore(band.state, (s) => s.workspaces);
  // Badges and unread markers, as one string so the list re-renders only when they change.
  const marks = useStore(band.state, (s: AppState) =>
    s.workspaces.map((w) => `${w.id}:${workspaceBadge(s, w.id)}:${workspaceUnread(s, w.id) ? 1 : 0}`).join(","),
  );
  const markOf = new Map(
    marks
      .split(",")
      .filter(Boolean)
      .map((m) => {
        const [id, badge, unread] = m.split(":");
        return [Number(id), { badge, unread: unread === "1" }] as const;
      }),
  );
  const loaded = useStore(band.state, (s) => s.loaded);
  const [creatingIn, setCreatingIn] = useState<string | null>(null);
  const [removingProject, setRemovingProject] = useState<ProjectInfo | null>(null);
  const control = useCan("control");

  return (
    <nav className="projects" aria-label="Projects and workspaces">
      {projects.map((p) => (
        <section key={p.id} className="project" data-testid={`project-${p.name}`}>
          <div className="project-head">
            <h2 title={p.path}>{p.name}</h2>
            {control && (
            <button
              type="button"
              className="icon-button"
              aria-label={`New workspace in ${p.name}`}
              title="New workspace"
              onClick={() => setCreatingIn(p.name)}
            >
              +
            </button>
            )}
            {control && (
              <button
                type="button"
                className="icon-button"
                aria-label={`Remove project ${p.name}`}
                title="Remove the project with its workspaces"
                onClick={() => setRemovingProject(p)}
              >
                ×
              </button>
            )}
          </div>
          <ul>
            {workspaces
              .filter((w) => w.project === p.name)
              .map((w) => {
                const mark = markOf.get(w.id);
                return (
                  <li key={w.id}>
                    <button
                      type="button"
                      className={`workspace-link ${selected === w.id ? "selected" : ""}`}
                      aria-current={selected === w.id ? "page" : undefined}
                      data-testid={`workspace-${w.branch}`}
                      onClick={() => navigate({ workspace: w.id, tab: "chat", chat: null })}
                    >
                      <span className="branch">{w.branch}</span>
                      {w.direct && (
                        <span className="badge badge-direct" title="The project's own checkout, not a worktree of band's">
                          direct
                        </span>
                      )}
                      {w.archivedAt != null && (
                        <span className="badge badge-interrupted" title="Archived: restore it to work in it">
                          archived
                        </span>
                      )}
                      {w.missing && (
                        <span className="badge badge-failed" title="Its worktree is gone: remove the workspace">
                          missing
                        </span>
                      )}
                      {mark?.unread && <span className="unread" aria-label="unread" data-testid="unread" />}
                      <StatusBadge status={mark?.badge ?? "idle"} />
                    </button>
                  </li>
                );
              })}
          </ul>
          {workspaces.every((w) => w.project !== p.name) && <p className="muted small">No workspaces yet.</p>}
        </section>
      ))}
      {loaded && projects.length === 0 && (
        <p className="muted empty-note">{control ? "No projects yet: add a git repository below." : "No projects yet."}</p>
      )}
      {control && <AddProject />}
      <StatusLegend />
      {creatingIn !== null && (
        <Suspense fallback={null}>
          <NewWorkspace project={creatingIn} onClose={() => setCreatingIn(null)} />
        </Suspense>
      )}
      {removingProject !== null && (
        <Suspense fallback={null}>
          <RemoveProject project={removingProject} onClose={() => setRemovingProject(null)} />
        </Suspense>
      )}
    </nav>
  );
}

function AddProject() {
  const band = useBand();
  const desktop = useDesktop();
  const [path, setPath] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const add = async (chosen: string) => {
    setBusy(true);
    setError(null);
    try {
      await band.addProject(chosen);
      setPath("");
    } catch (err) {
      setPath(chosen);
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!path.trim()) return;
    await add(path.trim());
  };
  // In band-desktop: the native folder dialog, and the chosen folder is added at once.
  const choose = async () => {
    if (!desktop) return;
    try {
      const chosen = await desktop.pickFolder("Add a project: choose its folder");
      if (chosen) await add(chosen);
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form className="add-project" onSubmit={submit}>
      <label htmlFor="project-path">Add a project</label>
      <div className="row">
        <input
          id="project-path"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          placeholder="/path/to/a/git/repository"
          autoComplete="off"
          spellCheck={false}
        />
        <button type="submit" disabled={busy || !path.trim()}>
          Add
        </button>
        {desktop && (
          <button type="button" className="secondary" disabled={busy} onClick={() => void choose()} data-testid="choose-folder">
            Choose…
          </button>
        )}
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** What the dots and badges mean, on screen (no hovering needed). */
function StatusLegend() {
  const entries: [string, string][] = [
    ["waiting", "waiting for you"],
    ["working", "working"],
    ["failed", "failed"],
    ["interrupted", "interrupted"],
    ["completed", "done"],
  ];
  return (
    <ul className="legend small muted" aria-label="Status legend" data-testid="legend">
      {entries.map(([status, words]) => (
        <li key={status}>
          <span className={`status-dot status-${status}`} aria-hidden="true" /> {words}
        </li>
      ))}
    </ul>
  );
}
