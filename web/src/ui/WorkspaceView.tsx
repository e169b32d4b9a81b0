import {
  lazy,
  Suspense,
  useEffect,
  useRef,
  useState,
  type FormEvent,
  type KeyboardEvent,
  type PointerEvent,
  type ReactNode,
} from "react";
import type { WorkspaceInfo } from "../api/types";
import { useBand, useCan } from "../state/band";
import { chatsOf, workspaceBadge } from "../state/app";
import { errorText, isRefused } from "../state/errors";
import { clampSplit, type SidePane, type WorkspaceLayout } from "../state/layout";
import { useStore } from "../state/store";
import { ChangesPane } from "./ChangesPane";
import { ChatPane } from "./chat/ChatPane";
import { archiveWorkspace, factsLine, restoreWorkspace, useFacts } from "../state/lifecycle";
import { useMedia } from "./media";
import { navigate, type Route, type Tab } from "./route";
import { ConnectionBadge } from "./widgets/ConnectionBadge";
import { Menu } from "./widgets/Menu";
import { Modal } from "./widgets/Modal";
import { StatusBadge } from "./widgets/StatusBadge";
import { useDesktop } from "../state/desktop";

// The scripts bar (setup and teardown) loads just after the workspace: the first download's budget.
const ScriptsBar = lazy(() => import("./ScriptsBar").then((m) => ({ default: m.ScriptsBar })));

const FilesPane = lazy(() => import("./files/FilesPane"));
const TerminalPane = lazy(() => import("./terminal/TerminalPane"));
// Merging is rare: its dialog loads on demand (the first download's budget).
const MergeWorkspace = lazy(() => import("./MergeWorkspace").then((m) => ({ default: m.MergeWorkspace })));

const SIDE: readonly [SidePane, string][] = [
  ["changes", "Changes"],
  ["files", "Files"],
  ["terminal", "Terminal"],
];


export function WorkspaceView({ workspace, route, narrow }: { workspace: WorkspaceInfo; route: Route; narrow: boolean }) {
  const band = useBand();
  const badge = useStore(band.state, (s) => workspaceBadge(s, workspace.id));
  const layout = useStore(band.state, (s) => s.layouts[workspace.id]);
  const [removing, setRemoving] = useState(false);
  // Each time the person opens the Terminal pane, its shell takes the keyboard (never on load).
  const [terminalAsked, setTerminalAsked] = useState(0);
  const [merging, setMerging] = useState(false);
  const [lifecycleError, setLifecycleError] = useState<string | null>(null);
  const control = useCan("control");
  const facts = useFacts(band, workspace);
  const archived = workspace.archivedAt != null;
  const lifecycle = async (what: "archive" | "restore") => {
    setLifecycleError(null);
    try {
      if (what === "archive") await archiveWorkspace(band, workspace.id);
      else await restoreWorkspace(band, workspace.id);
    } catch (e) {
      setLifecycleError(errorText(e));
    }
  };
  useEffect(() => void band.loadLayout(workspace.id), [band, workspace.id]);

  const choose = (pane: SidePane) => {
    if (!layout) return;
    // The open pane's button closes it: the chat takes the whole width.
    if (layout.pane === pane && layout.sideOpen) band.rememberLayout(workspace.id, { sideOpen: false });
    else {
      band.rememberLayout(workspace.id, { pane, sideOpen: true });
      if (pane === "terminal") setTerminalAsked((n) => n + 1);
    }
  };

  const canMerge = control && !workspace.direct && !archived && !workspace.missing;
  const canArchive = control && !workspace.direct;
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
            {workspace.direct && (
              <span className="badge badge-direct" data-testid="direct" title="The project's own checkout, not a worktree">
                direct
              </span>
            )}
          </h1>
          <div className="ws-sub muted small" title={workspace.path}>
            from {workspace.base} · {workspace.path}
            {workspace.missing && " · its worktree is gone: remove the workspace"}
          </div>
          {facts && (
            <div className="ws-facts muted small" data-testid="facts">
              {factsLine(facts).join(" · ")}
            </div>
          )}
        </div>
        <StatusBadge status={badge} />
        {!narrow && layout && (
          <div className="seg side-switch" role="group" aria-label="Side pane">
            {SIDE.map(([pane, label]) => {
              const on = layout.sideOpen && layout.pane === pane;
              return (
                <button key={pane} type="button" className={on ? "active" : ""} aria-pressed={on} onClick={() => choose(pane)}>
                  {label}
                </button>
              );
            })}
          </div>
        )}
        {narrow && <ConnectionBadge />}
        {!narrow && canMerge && (
          <button type="button" className="secondary" onClick={() => setMerging(true)}>
            Merge
          </button>
        )}
        {!narrow && canArchive && (
          <button type="button" className="secondary" onClick={() => void lifecycle(archived ? "restore" : "archive")}>
            {archived ? "Restore" : "Archive"}
          </button>
        )}
        <DesktopActions workspace={workspace.id} />
        {control && (
          <Menu
            label="Workspace actions"
            items={[
              // On a phone the header keeps the branch whole: Merge and Archive live in the menu.
              ...(narrow && canMerge ? [{ label: "Merge…", onSelect: () => setMerging(true) }] : []),
              ...(narrow && canArchive
                ? [{ label: archived ? "Restore" : "Archive", onSelect: () => void lifecycle(archived ? "restore" : "archive") }]
                : []),
              { label: "Remove workspace", danger: true, onSelect: () => setRemoving(true) },
            ]}
          />
        )}
      </header>
      {archived && (
        <p className="scripts-line warn pad" data-testid="archived">
          Archived: its worktree was removed; its branch {workspace.branch} and its chats are kept. Restore it to work in
          it again.
        </p>
      )}
      {lifecycleError && (
        <p className="error pad" role="alert">
          {lifecycleError}
        </p>
      )}
      <Suspense fallback={null}>
        <ScriptsBar workspace={workspace} />
      </Suspense>
      {layout ? (
        <Panes
          workspace={workspace}
          route={route}
          narrow={narrow}
          layout={layout}
          terminalAsked={terminalAsked}
          onAskTerminal={() => setTerminalAsked((n) => n + 1)}
        />
      ) : (
        <div className="muted center grow pad">Loading…</div>
      )}
      {merging && (
        <Suspense fallback={null}>
          <MergeWorkspace workspace={workspace} onClose={() => setMerging(false)} />
        </Suspense>
      )}
      {removing && <RemoveWorkspace workspace={workspace} onClose={() => setRemoving(false)} />}
    </main>
  );
}

/** The workspace's panes, once its remembered layout is known. */
function Panes(props: {
  workspace: WorkspaceInfo;
  route: Route;
  narrow: boolean;
  layout: WorkspaceLayout;
  terminalAsked: number;
  onAskTerminal(): void;
}) {
  const { workspace, route, narrow, layout, terminalAsked, onAskTerminal } = props;
  const band = useBand();
  const stacked = useMedia("(max-width: 1100px)");
  const tab = route.tab;

  // An address naming a pane opens it beside the chat (wide screens).
  useEffect(() => {
    if (!narrow && tab !== "chat") band.rememberLayout(workspace.id, { pane: tab, sideOpen: true });
  }, [band, narrow, tab, workspace.id]);

  // The pane on screen: the tab on a phone, the side pane on a wide screen.
  const shown: Tab = narrow ? tab : layout.sideOpen ? layout.pane : "chat";
  // A terminal keeps running and stays attached once opened, whatever pane is in front.
  const [terminalOpened, setTerminalOpened] = useState(shown === "terminal");
  useEffect(() => {
    if (shown === "terminal") setTerminalOpened(true);
  }, [shown]);

  const go = (t: Tab) => {
    navigate({ ...route, tab: t });
    if (t !== "chat") band.rememberLayout(workspace.id, { pane: t });
    if (t === "terminal") onAskTerminal();
  };

  const loading = <div className="pane muted pad">Loading…</div>;
  const chat = <ChatPane workspace={workspace} chatId={route.chat ?? layout.chat} />;
  const side =
    shown === "changes" ? (
      <ChangesPane workspace={workspace} />
    ) : shown === "files" ? (
      <Suspense fallback={loading}>
        <FilesPane workspace={workspace} narrow={narrow} />
      </Suspense>
    ) : null;
  const terminal = terminalOpened && (
    <div className="pane-slot" hidden={shown !== "terminal"}>
      <Suspense fallback={loading}>
        <TerminalPane workspace={workspace} narrow={narrow} visible={shown === "terminal"} focusRequest={terminalAsked} />
      </Suspense>
    </div>
  );

  if (narrow) {
    return (
      <>
        <div className="single-pane">
          {shown === "chat" ? chat : side}
          {terminal}
        </div>
        <nav className="tabbar" aria-label="Panes">
          {(["chat", ...SIDE.map(([p]) => p)] as const).map((t) => (
            <button
              key={t}
              type="button"
              className={tab === t ? "active" : ""}
              aria-current={tab === t ? "page" : undefined}
              onClick={() => go(t)}
            >
              {t === "chat" ? "Chat" : SIDE.find(([p]) => p === t)![1]}
            </button>
          ))}
        </nav>
      </>
    );
  }
  // One tree whether the side pane is open or not, so the chat (and a terminal) stay mounted.
  return (
    <Split workspace={workspace.id} split={layout.split} vertical={stacked} collapsed={!layout.sideOpen}>
      {chat}
      <div className="side" hidden={!layout.sideOpen}>
        {side}
        {terminal}
      </div>
    </Split>
  );
}

/** Two panes and a handle between them; the chat's share is remembered when the drag ends. */
function Split(props: { workspace: number; split: number; vertical: boolean; collapsed: boolean; children: [ReactNode, ReactNode] }) {
  const { workspace, split, vertical, collapsed, children } = props;
  const band = useBand();
  const box = useRef<HTMLDivElement>(null);
  const [dragging, setDragging] = useState<number | null>(null);
  const share = dragging ?? split;
  const at = (e: PointerEvent<HTMLDivElement>) => {
    const r = box.current!.getBoundingClientRect();
    return clampSplit(vertical ? (e.clientY - r.top) / r.height : (e.clientX - r.left) / r.width);
  };
  const keep = (v: number) => band.rememberLayout(workspace, { split: clampSplit(v) });
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const step = { ArrowLeft: -0.05, ArrowUp: -0.05, ArrowRight: 0.05, ArrowDown: 0.05 }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    keep(split + step);
  };
  const tracks = collapsed ? "minmax(0, 1fr) 0 0" : `minmax(0, ${share}fr) 6px minmax(0, ${1 - share}fr)`;
  return (
    <div
      className={`panes split ${vertical ? "vertical" : ""}`}
      ref={box}
      style={vertical ? { gridTemplateRows: tracks } : { gridTemplateColumns: tracks }}
    >
      {children[0]}
      <div
        className="splitter"
        hidden={collapsed}
        role="separator"
        aria-orientation={vertical ? "horizontal" : "vertical"}
        aria-label="Resize the panes"
        aria-valuemin={25}
        aria-valuemax={75}
        aria-valuenow={Math.round(share * 100)}
        tabIndex={0}
        onKeyDown={onKey}
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          setDragging(at(e));
        }}
        onPointerMove={(e) => dragging !== null && setDragging(at(e))}
        onPointerUp={(e) => {
          if (dragging === null) return;
          keep(at(e));
          setDragging(null);
        }}
        onPointerCancel={() => setDragging(null)}
      />
      {children[1]}
    </div>
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
      if (!force && isRefused(e)) setRefusal(errorText(e));
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
        {workspace.direct ? (
          <p>
            This forgets the workspace{working ? " and stops the agents working in it" : ""}. It is the project's own
            checkout: <code>{workspace.path}</code>, its files and its branch are left exactly as they are.
          </p>
        ) : (
          <p>
            This removes the worktree at <code>{workspace.path}</code>
            {working ? " and stops the agents working in it" : ""}. A branch with unmerged commits is kept.
          </p>
        )}
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

/** In band-desktop only: the workspace in the file manager, or in the person's editor. */
function DesktopActions({ workspace }: { workspace: number }) {
  const desktop = useDesktop();
  const [error, setError] = useState<string | null>(null);
  if (!desktop) return null;
  const run = (action: () => Promise<unknown>) => {
    setError(null);
    action().catch((err: unknown) => setError(errorText(err)));
  };
  return (
    <div className="desktop-actions" role="group" aria-label="On this computer">
      <button type="button" className="secondary" data-testid="reveal" onClick={() => run(() => desktop.reveal(workspace))}>
        Reveal
      </button>
      <button type="button" className="secondary" data-testid="open-in-editor" onClick={() => run(() => desktop.openInEditor(workspace))}>
        Open in editor
      </button>
      {error && (
        <span className="error small" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

