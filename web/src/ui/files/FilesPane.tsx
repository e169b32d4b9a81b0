// The Files pane: the workspace's tree (listed a directory at a time, as it is opened) and a
// read-only viewer with line numbers and syntax highlighting. Everything goes through
// files.list / files.read, which keep reads inside the workspace (SECURITY.md 13); binary files
// link to the raw route, which serves them as SECURITY.md 14 says. The open file is part of the
// remembered layout. Loaded on demand: Prism is not in the dashboard's first download.

import { memo, useCallback, useEffect, useMemo, useRef, useState, type UIEvent } from "react";
import type { FileContentInfo, FileEntryInfo, FileListing, WorkspaceInfo } from "../../api/types";
import { useBand } from "../../state/band";
import { useDesktop } from "../../state/desktop";
import { errorText } from "../../state/errors";
import { listFiles, readFile, workspaceStatus } from "../../state/files";
import { watchFiles } from "../../state/pulls";
import { useStore } from "../../state/store";
import { highlight, type Line } from "./highlight";

type Dir = { state: "loading" } | { state: "ready"; listing: FileListing } | { state: "error"; message: string };

/** Parent directories of `path`, outermost first ("" is the root). */
export function ancestors(path: string): string[] {
  const parts = path.split("/");
  const out = [""];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join("/"));
  return out;
}

/** Uncommitted changes as the tree shows them: a letter per changed file, and every directory holding one. */
export function changeMarks(changes: { kind: string; path: string }[]): { files: Map<string, string>; dirs: Set<string> } {
  const letter: Record<string, string> = { added: "A", modified: "M", deleted: "D", renamed: "R", untracked: "U", conflicted: "C" };
  const files = new Map<string, string>();
  const dirs = new Set<string>();
  for (const c of changes) {
    files.set(c.path, letter[c.kind] ?? "M");
    const parts = c.path.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  return { files, dirs };
}

const noMarks = changeMarks([]);

export function rawUrl(workspace: number, path: string): string {
  return `/workspaces/${workspace}/raw/${path.split("/").map(encodeURIComponent).join("/")}`;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export default function FilesPane({ workspace, narrow }: { workspace: WorkspaceInfo; narrow: boolean }) {
  const band = useBand();
  const file = useStore(band.state, (s) => s.layouts[workspace.id]?.file ?? null);
  const [dirs, setDirs] = useState<Record<string, Dir>>({});
  const [open, setOpen] = useState<Set<string>>(() => new Set(file ? ancestors(file) : [""]));
  const [generation, setGeneration] = useState(0);
  const [marks, setMarks] = useState(noMarks);
  const ws = workspace.id;

  // Which files have uncommitted changes (the agent's work not yet committed).
  useEffect(() => {
    let cancelled = false;
    workspaceStatus(band, ws).then(
      (status) => !cancelled && setMarks(changeMarks(status.changes)),
      () => {},
    );
    return () => {
      cancelled = true;
    };
  }, [band, ws, generation]);

  const list = useCallback(
    async (path: string) => {
      setDirs((d) => ({ ...d, [path]: d[path]?.state === "ready" ? d[path] : { state: "loading" } }));
      try {
        const listing = await listFiles(band, ws, path);
        setDirs((d) => ({ ...d, [path]: { state: "ready", listing } }));
      } catch (e) {
        setDirs((d) => ({ ...d, [path]: { state: "error", message: errorText(e) } }));
      }
    },
    [band, ws],
  );
  // The next page of a directory too large for one listing, appended to what is shown.
  const more = useCallback(
    async (path: string, from: number) => {
      try {
        const page = await listFiles(band, ws, path, from);
        setDirs((d) => {
          const dir = d[path];
          if (dir?.state !== "ready") return d;
          const entries = [...dir.listing.entries, ...page.entries];
          return { ...d, [path]: { state: "ready", listing: { ...page, offset: 0, entries } } };
        });
      } catch (e) {
        setDirs((d) => ({ ...d, [path]: { state: "error", message: errorText(e) } }));
      }
    },
    [band, ws],
  );

  // Every open directory is listed; again after each agent turn and on Refresh.
  const openKey = [...open].sort().join("\n");
  useEffect(() => {
    for (const path of openKey.split("\n")) void list(path);
  }, [list, openKey, generation]);
  useEffect(() => band.onTurnEnded((_c, w) => w === workspace.id && setGeneration((g) => g + 1)), [band, workspace.id]);
  // And when files change on disk (an editor, a terminal): the server watches while this pane is open.
  useEffect(() => watchFiles(band, workspace.id, () => setGeneration((g) => g + 1)), [band, workspace.id]);

  const toggle = (path: string) =>
    setOpen((o) => {
      const next = new Set(o);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });
  const choose = (path: string | null) => band.rememberLayout(workspace.id, { file: path });

  const tree = (
    <div className="file-tree" data-testid="file-tree" role="tree" aria-label="Workspace files">
      <DirEntries dirs={dirs} marks={marks} path="" open={open} depth={0} selected={file} onToggle={toggle} onOpen={choose} onMore={(p, from) => void more(p, from)} />
    </div>
  );
  const viewer = file ? (
    <FileView key={file} workspace={workspace.id} path={file} generation={generation} onClose={() => choose(null)} narrow={narrow} />
  ) : (
    <div className="file-empty muted center">Choose a file to read it.</div>
  );

  return (
    <section className="pane files-pane" aria-label="Files" data-testid="files">
      <header className="pane-head">
        <h2>Files</h2>
        <span className="small muted" title={workspace.path}>
          {workspace.branch}
        </span>
        <button type="button" className="secondary" onClick={() => setGeneration((g) => g + 1)}>
          Refresh
        </button>
      </header>
      {narrow ? (
        <div className="files-body single">{file ? viewer : tree}</div>
      ) : (
        <div className="files-body">
          {tree}
          {viewer}
        </div>
      )}
    </section>
  );
}

type Marks = ReturnType<typeof changeMarks>;

function DirEntries(props: {
  dirs: Record<string, Dir>;
  marks: Marks;
  path: string;
  open: Set<string>;
  depth: number;
  selected: string | null;
  onToggle(path: string): void;
  onOpen(path: string): void;
  onMore(path: string, from: number): void;
}) {
  const { dirs, path, depth } = props;
  const dir = dirs[path];
  const pad = { paddingLeft: 10 + depth * 14 };
  if (!dir || dir.state === "loading") {
    return (
      <div className="file-note muted small" style={pad}>
        Loading…
      </div>
    );
  }
  if (dir.state === "error") {
    return (
      <div className="file-note error small" style={pad} role="alert">
        {dir.message}
      </div>
    );
  }
  const { entries, truncated, total } = dir.listing;
  if (entries.length === 0) {
    return (
      <div className="file-note muted small" style={pad}>
        {path ? "Empty" : "No files yet"}
      </div>
    );
  }
  return (
    <>
      {entries.map((e) => (
        <Entry key={e.path} {...props} entry={e} pad={pad} />
      ))}
      {truncated && (
        <div className="file-note muted small" style={pad}>
          {entries.length} of {total} entries.{" "}
          <button type="button" className="link" onClick={() => props.onMore(path, entries.length)}>
            Show more
          </button>
        </div>
      )}
    </>
  );
}

function Entry(props: {
  entry: FileEntryInfo;
  pad: { paddingLeft: number };
  dirs: Record<string, Dir>;
  marks: Marks;
  open: Set<string>;
  depth: number;
  selected: string | null;
  onToggle(path: string): void;
  onOpen(path: string): void;
  onMore(path: string, from: number): void;
}) {
  const { entry: e, pad, open, selected, onToggle, onOpen, marks } = props;
  if (e.kind === "dir") {
    const expanded = open.has(e.path);
    return (
      <>
        <button
          type="button"
          role="treeitem"
          aria-expanded={expanded}
          className="file-entry dir"
          data-testid="file-entry"
          data-path={e.path}
          style={pad}
          onClick={() => onToggle(e.path)}
        >
          <span className="twisty" aria-hidden="true">
            {expanded ? "▾" : "▸"}
          </span>
          {e.name}
          {marks.dirs.has(e.path) && <span className="change-dot" title="holds uncommitted changes" />}
        </button>
        {expanded && <DirEntries {...props} path={e.path} depth={props.depth + 1} />}
      </>
    );
  }
  const readable = e.kind === "file" || e.kind === "symlink";
  return (
    <button
      type="button"
      role="treeitem"
      aria-selected={selected === e.path}
      className={`file-entry ${selected === e.path ? "selected" : ""}`}
      data-testid="file-entry"
      data-path={e.path}
      style={pad}
      disabled={!readable}
      title={readable ? e.path : `${e.path}: not a regular file`}
      onClick={() => onOpen(e.path)}
    >
      <span className="twisty" aria-hidden="true" />
      <span className="file-name">{e.name}</span>
      {e.kind === "symlink" && <span className="muted small"> →</span>}
      {marks.files.has(e.path) && (
        <span className={`change-mark change-${marks.files.get(e.path)}`} title="uncommitted change" data-testid="change-mark">
          {marks.files.get(e.path)}
        </span>
      )}
      {e.size != null && <span className="muted small file-size">{size(e.size)}</span>}
    </button>
  );
}

function FileView(props: { workspace: number; path: string; generation: number; onClose(): void; narrow: boolean }) {
  const { workspace, path, generation, onClose, narrow } = props;
  const band = useBand();
  const desktop = useDesktop();
  const [content, setContent] = useState<FileContentInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    readFile(band, workspace, path).then(
      (c) => {
        if (cancelled) return;
        setContent(c);
        setError(null);
      },
      (e) => !cancelled && setError(errorText(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [band, workspace, path, generation]);

  const lines = useMemo(() => (content?.text != null ? highlight(content.text, content.language) : null), [content]);

  return (
    <div className="file-view" data-testid="file-view" data-path={path}>
      <div className="file-view-head">
        {narrow && (
          <button type="button" className="secondary" onClick={onClose} aria-label="Back to the files">
            ‹ Files
          </button>
        )}
        <span className="file-path" title={path}>
          {path}
        </span>
        {content && <span className="small muted">{size(content.size)}</span>}
        {desktop ? (
          // In band-desktop a new window is never opened (the raw page would go nowhere): the file
          // goes to the person's editor instead.
          <button
            type="button"
            className="secondary small"
            data-testid="open-file-in-editor"
            onClick={() => {
              setActionError(null);
              desktop.openInEditor(workspace, path).catch((err: unknown) => setActionError(errorText(err)));
            }}
          >
            Open in editor
          </button>
        ) : (
          <a className="small" href={rawUrl(workspace, path)} target="_blank" rel="noopener noreferrer">
            Raw
          </a>
        )}
        {!narrow && (
          <button type="button" className="icon-button" aria-label="Close the file" onClick={onClose}>
            ×
          </button>
        )}
      </div>
      {actionError && (
        <p className="error pad small" role="alert">
          {actionError}
        </p>
      )}
      {error ? (
        <p className="error pad" role="alert">
          {error}
        </p>
      ) : !content ? (
        <p className="muted pad">Loading…</p>
      ) : content.binary || !lines ? (
        <p className="muted pad">
          A binary file ({size(content.size)}).{" "}
          {desktop ? (
            <button type="button" className="link" onClick={() => void desktop.reveal(workspace, path).catch((err: unknown) => setActionError(errorText(err)))}>
              Show it in the file manager
            </button>
          ) : (
            <a href={rawUrl(workspace, path)} target="_blank" rel="noopener noreferrer">
              Open it raw
            </a>
          )}
          .
        </p>
      ) : (
        <Code lines={lines} language={content.language ?? undefined} />
      )}
    </div>
  );
}

/** Below this many lines every line is in the page (the browser's find works); above, only those in view. */
const WINDOW_FROM = 3000;
const LINE_PX = 20;

function Code({ lines, language }: { lines: Line[]; language?: string }) {
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(800);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setHeight(el.clientHeight || 800);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight || 800));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const windowed = lines.length > WINDOW_FROM;
  const onScroll = windowed ? (e: UIEvent<HTMLDivElement>) => setTop(e.currentTarget.scrollTop) : undefined;
  const first = windowed ? Math.max(0, Math.floor(top / LINE_PX) - 40) : 0;
  const last = windowed ? Math.min(lines.length, Math.ceil((top + height) / LINE_PX) + 40) : lines.length;
  const digits = String(lines.length).length;
  const rows = [];
  for (let i = first; i < last; i++) rows.push(<CodeLine key={i} n={i + 1} line={lines[i]} digits={digits} />);
  return (
    <div className="code-scroll" ref={ref} onScroll={onScroll} data-language={language}>
      <pre
        className="code"
        style={windowed ? { height: lines.length * LINE_PX, paddingTop: first * LINE_PX } : undefined}
        aria-label="File contents"
      >
        {rows}
      </pre>
    </div>
  );
}

const CodeLine = memo(function CodeLine({ n, line, digits }: { n: number; line: Line; digits: number }) {
  return (
    <div className="code-line">
      <span className="code-ln" style={{ width: `${digits + 1}ch` }} aria-hidden="true">
        {n}
      </span>
      <span className="code-text">
        {line.map((run, i) =>
          run.kinds.length ? (
            <span key={i} className={run.kinds.map((k) => `tok-${k}`).join(" ")}>
              {run.text}
            </span>
          ) : (
            run.text
          ),
        )}
        {line.length === 0 ? "\n" : null}
      </span>
    </div>
  );
});
