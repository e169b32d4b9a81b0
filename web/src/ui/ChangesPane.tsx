import { memo, useCallback, useEffect, useMemo, useState, type MouseEvent, type ReactNode } from "react";
import type { ReviewCommentInfo, WorkspaceDiffInfo, WorkspaceInfo } from "../api/types";
import { chatLabels } from "../state/app";
import { useBand, useCan } from "../state/band";
import { loadDiff } from "../state/changes";
import { parseDiff, splitRows, type DiffFile, type DiffLine } from "../state/diff";
import { errorText } from "../state/errors";
import {
  addComment,
  commentsAt,
  lineSide,
  linesLabel,
  loadComments,
  quoteOf,
  resolveComment,
  select,
  selected,
  sendComments,
  unsent,
  type Selection,
} from "../state/reviews";
import { watchFiles } from "../state/pulls";
import { useStore } from "../state/store";

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
  // And when files change on disk outside band: the server watches while this pane is open.
  const [watchNote, setWatchNote] = useState<string | null>(null);
  useEffect(
    () =>
      watchFiles(band, workspace.id, (c) => {
        if (c.degraded) setWatchNote(c.degraded);
        else void load();
      }),
    [band, load, workspace.id],
  );

  // Review comments: loaded with the pane, read again whenever they change (any client).
  const [comments, setComments] = useState<ReviewCommentInfo[]>([]);
  const [sel, setSel] = useState<Selection | null>(null);
  const [reviewError, setReviewError] = useState<string | null>(null);
  const loadReview = useCallback(async () => {
    try {
      setComments(await loadComments(band, workspace.id));
    } catch (e) {
      setReviewError(errorText(e));
    }
  }, [band, workspace.id]);
  useEffect(() => {
    void loadReview();
    return band.onComments((ws) => ws === workspace.id && void loadReview());
  }, [band, loadReview, workspace.id]);
  const review = useMemo<Review>(
    () => ({
      pick: (path, line, extend) => {
        const at = lineSide(line);
        if (at) setSel((cur) => select(cur, path, at.side, at.no, extend));
      },
      cancel: () => setSel(null),
      add: async (file, s, body) => {
        await addComment(band, workspace.id, s, quoteOf(file, s), body);
        setSel(null);
        await loadReview();
      },
      resolve: async (id) => {
        setReviewError(null);
        try {
          await resolveComment(band, id);
          await loadReview();
        } catch (e) {
          setReviewError(errorText(e));
        }
      },
    }),
    [band, workspace.id, loadReview],
  );

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
      {comments.length > 0 && (
        <ReviewBar workspace={workspace} comments={comments} onSent={loadReview} />
      )}
      <div className="changes-body">
        {watchNote && (
          <p className="muted small" role="status" data-testid="watch-note">
            {watchNote}
          </p>
        )}
        {reviewError && (
          <p className="error" role="alert">
            {reviewError}
          </p>
        )}
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
          <FileDiff
            key={`${f.path}:${i}`}
            id={`file-${workspace.id}-${i}`}
            file={f}
            view={view}
            comments={comments}
            sel={sel?.path === f.path ? sel : null}
            review={review}
          />
        ))}
      </div>
    </section>
  );
}

interface Review {
  pick(path: string, line: DiffLine, extend: boolean): void;
  cancel(): void;
  add(file: DiffFile, sel: Selection, body: string): Promise<void>;
  resolve(id: number): Promise<void>;
}

/** Open comments, and "Send to agent": every unsent one as one message to a chat (default: the one active last). */
function ReviewBar({ workspace, comments, onSent }: { workspace: WorkspaceInfo; comments: ReviewCommentInfo[]; onSent: () => Promise<void> }) {
  const band = useBand();
  const control = useCan("control");
  const all = useStore(band.state, (s) => s.chats);
  const chats = useMemo(
    () => Object.values(all).filter((c) => c.workspaceId === workspace.id).sort((a, b) => a.id - b.id),
    [all, workspace.id],
  );
  const labels = useMemo(() => chatLabels(chats), [chats]);
  const [chat, setChat] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const open = comments.filter((c) => !c.resolved);
  const pending = unsent(comments);
  const send = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await sendComments(band, workspace.id, chat);
      const to = labels.get(r.chatId) ?? `chat ${r.chatId}`;
      setNote(`Sent ${r.comments.length} comment${r.comments.length === 1 ? "" : "s"} to ${to}${r.sent.outcome === "queued" ? " (queued: it is busy)" : ""}.`);
      await onSent();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  if (open.length === 0 && !note) return null;
  return (
    <div className="review-bar" data-testid="review-bar">
      <span className="small">
        {open.length} comment{open.length === 1 ? "" : "s"}, {pending.length} unsent
      </span>
      {chats.length > 1 && (
        <select aria-label="Send to chat" value={chat ?? ""} onChange={(e) => setChat(e.target.value ? Number(e.target.value) : null)}>
          <option value="">Last active chat</option>
          {chats.map((c) => (
            <option key={c.id} value={c.id}>
              {labels.get(c.id)}
            </option>
          ))}
        </select>
      )}
      <button
        type="button"
        onClick={() => void send()}
        disabled={!control || busy || pending.length === 0 || chats.length === 0}
        title={chats.length === 0 ? "Start a chat in this workspace first" : undefined}
      >
        {busy ? "Sending…" : "Send to agent"}
      </button>
      {note && <span className="small muted" role="status">{note}</span>}
      {error && <span className="error small" role="alert">{error}</span>}
    </div>
  );
}

const FileDiff = memo(function FileDiff({
  id,
  file,
  view,
  comments,
  sel,
  review,
}: {
  id: string;
  file: DiffFile;
  view: View;
  comments: ReviewCommentInfo[];
  sel: Selection | null;
  review: Review;
}) {
  const lines = file.hunks.reduce((n, h) => n + h.lines.length, 0);
  const [open, setOpen] = useState(lines <= BIG);
  const mine = useMemo(() => comments.filter((c) => c.path === file.path && !c.resolved), [comments, file.path]);
  const cols = view === "split" ? 4 : 3;
  const pick = (line: DiffLine) => (e: MouseEvent) => review.pick(file.path, line, e.shiftKey);
  // What follows a row: the comments ending on its line(s), and the form under the selection's last line.
  const after = (key: string, rowLines: (DiffLine | undefined)[]): ReactNode[] => {
    const out: ReactNode[] = [];
    for (const l of rowLines) {
      if (!l) continue;
      for (const c of commentsAt(mine, file.path, l)) {
        out.push(
          <tr key={`${key}c${c.id}`} className="review-row">
            <td colSpan={cols}>
              <CommentCard comment={c} onResolve={() => void review.resolve(c.id)} />
            </td>
          </tr>,
        );
      }
      const at = lineSide(l);
      if (sel && at && at.side === sel.side && at.no === sel.end) {
        out.push(
          <tr key={`${key}form`} className="review-row">
            <td colSpan={cols}>
              <CommentForm sel={sel} onCancel={review.cancel} onAdd={(body) => review.add(file, sel, body)} />
            </td>
          </tr>,
        );
      }
    }
    return out;
  };
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
        {mine.length > 0 && <span className="small review-count">{mine.length} comment{mine.length === 1 ? "" : "s"}</span>}
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
                    <td colSpan={cols}>{h.header}</td>
                  </tr>,
                  ...(view === "unified"
                    ? h.lines.flatMap((l, li) => [
                        <UnifiedRow key={`${hi}.${li}`} line={l} on={selected(sel, file.path, l)} pick={pick(l)} />,
                        ...after(`${hi}.${li}`, [l]),
                      ])
                    : splitRows(h).flatMap((r, ri) => [
                        <tr key={`${hi}.${ri}`}>
                          <Half line={r.left} side="old" on={!!r.left && selected(sel, file.path, r.left)} pick={r.left && pick(r.left)} />
                          <Half line={r.right} side="new" on={!!r.right && selected(sel, file.path, r.right)} pick={r.right && pick(r.right)} />
                        </tr>,
                        ...after(`${hi}.${ri}`, r.left && r.right && r.left.type === "context" ? [r.right] : [r.left, r.right]),
                      ])),
                ])}
              </tbody>
            </table>
          </div>
        ))}
    </article>
  );
});

/** A line number that starts (or, with shift, extends) a comment's selection. */
function LineNo({ line, no, pick }: { line: DiffLine; no: number | undefined; pick?: (e: MouseEvent) => void }) {
  const at = lineSide(line);
  if (no == null || !at || at.no !== no || !pick) return <>{no ?? ""}</>;
  return (
    <button type="button" className="ln-pick" onClick={pick} aria-label={`Comment on ${at.side} line ${no}`} title="Comment on this line (shift-click: a range)">
      {no}
    </button>
  );
}

function UnifiedRow({ line, on, pick }: { line: DiffLine; on: boolean; pick: (e: MouseEvent) => void }) {
  return (
    <tr className={`l-${line.type}${on ? " l-picked" : ""}`}>
      <td className="ln">
        <LineNo line={line} no={line.oldNo} pick={line.type === "del" ? pick : undefined} />
      </td>
      <td className="ln">
        <LineNo line={line} no={line.newNo} pick={pick} />
      </td>
      <td className="code">
        <span className="sign">{line.type === "add" ? "+" : line.type === "del" ? "-" : " "}</span>
        {line.text}
      </td>
    </tr>
  );
}

function Half({ line, side, on, pick }: { line?: DiffLine; side: "old" | "new"; on: boolean; pick?: (e: MouseEvent) => void }) {
  if (!line) return <><td className="ln empty" /><td className="code empty" /></>;
  const no = side === "old" ? line.oldNo : line.newNo;
  // A context line counts on the new side: its left half is not a place to comment.
  const canPick = side === "new" || line.type === "del";
  return (
    <>
      <td className={`ln l-${line.type}${on ? " l-picked" : ""}`}>
        <LineNo line={line} no={no} pick={canPick ? pick : undefined} />
      </td>
      <td className={`code l-${line.type}${on ? " l-picked" : ""}`}>{line.text}</td>
    </>
  );
}

function CommentForm({ sel, onCancel, onAdd }: { sel: Selection; onCancel: () => void; onAdd: (body: string) => Promise<void> }) {
  const [body, setBody] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await onAdd(body);
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };
  return (
    <form
      className="review-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label className="small muted" htmlFor="review-body">
        Comment on {sel.path} {linesLabel({ startLine: sel.start, endLine: sel.end })}
        {sel.side === "old" ? " (removed)" : ""}
      </label>
      <textarea
        id="review-body"
        aria-label="Review comment"
        autoFocus
        rows={3}
        value={body}
        onChange={(e) => setBody(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) void submit();
          if (e.key === "Escape") onCancel();
        }}
      />
      {error && <p className="error small" role="alert">{error}</p>}
      <div className="row">
        <button type="submit" disabled={busy || !body.trim()}>
          Add comment
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function CommentCard({ comment, onResolve }: { comment: ReviewCommentInfo; onResolve: () => void }) {
  const control = useCan("control");
  return (
    <div className="review-comment" data-testid="review-comment">
      <div className="small muted">
        {linesLabel(comment)}
        {comment.side === "old" ? " (removed)" : ""} · {comment.sentAt != null ? `sent to chat ${comment.sentChatId}` : "not sent yet"}
      </div>
      <div className="review-body">{comment.body}</div>
      <button type="button" className="link small" onClick={onResolve} disabled={!control}>
        Resolve
      </button>
    </div>
  );
}
