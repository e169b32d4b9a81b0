import { memo, useCallback, useEffect, useMemo, useState } from "react";
import type { WorkspaceDiffInfo, WorkspaceInfo } from "../api/types";
import { useBand } from "../state/band";
import { loadDiff } from "../state/changes";
import { parseDiff, splitRows, type DiffFile, type DiffLine } from "../state/diff";
import { errorText } from "../state/errors";

type View = "unified" | "split";

/** Files longer than this start collapsed (a click shows them). */
const BIG = 400;

export function ChangesPane({ workspace }: { workspace: WorkspaceInfo }) {
  const band = useBand();
  const [diff, setDiff] = useState<WorkspaceDiffInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [view, setView] = useState<View>(() => (localStorage.getItem("band.diffView") === "split" ? "split" : "unified"));

  const load = useCallback(async () => {
    setLoading(true);
    try {
      setDiff(await loadDiff(band, workspace.id));
      setError(null);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
  }, [band, workspace.id]);

  useEffect(() => {
    void load();
    // After every agent turn in this workspace.
    return band.onTurnEnded((_chat, ws) => ws === workspace.id && void load());
  }, [band, load, workspace.id]);

  const files = useMemo(() => (diff ? parseDiff(diff.patch) : []), [diff]);
  const totals = files.reduce((t, f) => ({ add: t.add + f.additions, del: t.del + f.deletions }), { add: 0, del: 0 });
  const choose = (v: View) => {
    setView(v);
    localStorage.setItem("band.diffView", v);
  };

  return (
    <section className="pane changes-pane" aria-label="Changes" data-testid="changes">
      <header className="pane-head">
        <h2>Changes</h2>
        <span className="small muted" title={diff ? `against ${workspace.base}, since ${diff.from}` : undefined}>
          {files.length} file{files.length === 1 ? "" : "s"} <span className="add">+{totals.add}</span>{" "}
          <span className="del">−{totals.del}</span>
        </span>
        <div className="seg" role="group" aria-label="Diff view">
          <button type="button" className={view === "unified" ? "active" : ""} aria-pressed={view === "unified"} onClick={() => choose("unified")}>
            Unified
          </button>
          <button type="button" className={view === "split" ? "active" : ""} aria-pressed={view === "split"} onClick={() => choose("split")}>
            Split
          </button>
        </div>
        <button type="button" className="secondary" onClick={() => void load()} disabled={loading}>
          {loading ? "…" : "Refresh"}
        </button>
      </header>
      <div className="changes-body">
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {diff && files.length === 0 && <p className="muted center">No changes against {workspace.base} yet.</p>}
        {files.length > 1 && (
          <ul className="file-index">
            {files.map((f, i) => (
              <li key={i}>
                <a href={`#file-${i}`} onClick={(e) => {
                  e.preventDefault();
                  document.getElementById(`file-${workspace.id}-${i}`)?.scrollIntoView({ block: "start" });
                }}>
                  <span className={`file-status fs-${f.status}`}>{f.status[0].toUpperCase()}</span> {f.path}
                </a>
              </li>
            ))}
          </ul>
        )}
        {files.map((f, i) => (
          <FileDiff key={`${f.path}:${i}`} id={`file-${workspace.id}-${i}`} file={f} view={view} />
        ))}
      </div>
    </section>
  );
}

const FileDiff = memo(function FileDiff({ id, file, view }: { id: string; file: DiffFile; view: View }) {
  const lines = file.hunks.reduce((n, h) => n + h.lines.length, 0);
  const [open, setOpen] = useState(lines <= BIG);
  return (
    <article className="file-diff" id={id} data-testid="file-diff" data-path={file.path}>
      <header className="file-head" onClick={() => setOpen(!open)}>
        <span className={`file-status fs-${file.status}`}>{file.status}</span>
        <span className="file-path">
          {file.status === "renamed" ? `${file.oldPath} → ${file.newPath}` : file.path}
        </span>
        <span className="small">
          <span className="add">+{file.additions}</span> <span className="del">−{file.deletions}</span>
        </span>
        <button type="button" className="link small" aria-expanded={open}>
          {open ? "Hide" : `Show ${lines} lines`}
        </button>
      </header>
      {open &&
        (file.status === "binary" ? (
          <p className="muted small pad">Binary file</p>
        ) : (
          <div className="diff-scroll">
            <table className={`diff diff-${view}`}>
              <tbody>
                {file.hunks.map((h, hi) => [
                  <tr key={`h${hi}`} className="hunk">
                    <td colSpan={view === "split" ? 4 : 3}>{h.header}</td>
                  </tr>,
                  ...(view === "unified"
                    ? h.lines.map((l, li) => <UnifiedRow key={`${hi}.${li}`} line={l} />)
                    : splitRows(h).map((r, ri) => (
                        <tr key={`${hi}.${ri}`}>
                          <Half line={r.left} side="old" />
                          <Half line={r.right} side="new" />
                        </tr>
                      ))),
                ])}
              </tbody>
            </table>
          </div>
        ))}
    </article>
  );
});

function UnifiedRow({ line }: { line: DiffLine }) {
  return (
    <tr className={`l-${line.type}`}>
      <td className="ln">{line.oldNo ?? ""}</td>
      <td className="ln">{line.newNo ?? ""}</td>
      <td className="code">
        <span className="sign">{line.type === "add" ? "+" : line.type === "del" ? "-" : " "}</span>
        {line.text}
      </td>
    </tr>
  );
}

function Half({ line, side }: { line?: DiffLine; side: "old" | "new" }) {
  if (!line) return <><td className="ln empty" /><td className="code empty" /></>;
  const no = side === "old" ? line.oldNo : line.newNo;
  return (
    <>
      <td className={`ln l-${line.type}`}>{no ?? ""}</td>
      <td className={`code l-${line.type}`}>{line.text}</td>
    </>
  );
}
