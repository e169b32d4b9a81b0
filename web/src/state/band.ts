// The dashboard's model: one RPC connection, the app store kept live by workspace notices, and
// the app-wide actions the views call (layouts, projects, workspaces). A feature's own calls and
// hooks are in state/<feature>.ts (chat, changes, files, terminals, remote), which reach the
// client through `Band.rpc`. Views read the store through hooks and call these actions; they
// never talk to the client or a socket (test/dataRule.test.ts fails when one does).

import { createContext, useContext } from "react";
import { Rpc, type ConnectionState } from "../api/rpc";
import type { AgentId, ChatInfo, EventInfo, Mode, WorkspaceNotice } from "../api/types";
import {
  addProject,
  addWorkspace,
  applyNotice,
  can,
  emptyState,
  loaded,
  loadSeen,
  openChat,
  openWorkspaceLayout,
  removeWorkspace,
  saveSeen,
  sawUpTo,
  setGlobalLayout,
  setWorkspaceLayout,
  upsertChat,
  type AppState,
  type Scope,
} from "./app";
import {
  defaultWorkspaceLayout,
  LayoutWriter,
  parseGlobalLayout,
  parseWorkspaceLayout,
  sameLayout,
  type GlobalLayout,
  type WorkspaceLayout,
} from "./layout";
import { hasGap, loadScripts } from "./scripts";
import { createStore, useStore, type Store } from "./store";
import { announceReady } from "./desktop";
import { PAGE } from "./chatlog";

type TurnListener = (chatId: number, workspaceId: number) => void;

export class Band {
  readonly state: Store<AppState>;
  readonly connection: Store<ConnectionState>;
  private turnListeners = new Set<TurnListener>();
  private waitingListeners = new Set<(chat: ChatInfo) => void>();
  private commentListeners = new Set<(workspaceId: number) => void>();
  private stopNotices: (() => void) | null = null;
  private layoutWriters = new Map<number | null, LayoutWriter<object>>();
  private layoutsLoading = new Map<number, Promise<WorkspaceLayout>>();
  /** The newest page of the chat the address names, asked for with the lists (taken once). */
  private firstPages = new Map<number, { page: Promise<EventInfo[]>; at: number }>();

  constructor(
    /** The client, for src/state only: views call actions and hooks instead. */
    readonly rpc: Rpc,
    private readonly storage?: Storage,
  ) {
    this.state = createStore<AppState>({ ...emptyState, seen: loadSeen(storage) });
    this.connection = createStore<ConnectionState>(rpc.state);
    rpc.onState((s) => this.connection.set(s));
    let saved = this.state.get().seen;
    this.state.subscribe(() => {
      const seen = this.state.get().seen;
      if (seen !== saved) {
        saved = seen;
        saveSeen(this.storage, seen);
      }
    });
  }

  /**
   * Connects and loads; the workspace and chat the address names have their layout and newest
   * page fetched alongside the lists (the chat's rows then need no second round trip).
   */
  start(workspace?: number | null, chat?: number | null): void {
    this.stopNotices = this.rpc.subscribeWorkspaces(
      (n) => this.onNotice(n),
      () => void this.reload(),
    );
    this.rpc.start();
    void this.reload();
    if (workspace != null) void this.loadLayout(workspace);
    if (chat != null) {
      const page = this.rpc.call("chats.events", { chat, limit: PAGE });
      page.catch(() => undefined); // whoever takes it sees the failure (and asks again)
      this.firstPages.set(chat, { page, at: Date.now() });
    }
  }

  /**
   * A chat's newest page: the one asked for at start if still untaken and fresh (a page taken
   * later would only make the live replay longer), else asked for now.
   */
  newestPage(chat: number): Promise<EventInfo[]> {
    const early = this.firstPages.get(chat);
    this.firstPages.delete(chat);
    if (early && Date.now() - early.at < 10_000) return early.page;
    return this.rpc.call("chats.events", { chat, limit: PAGE });
  }

  /** Sends layout changes still waiting (the page is going away). */
  flushLayouts(): void {
    for (const w of this.layoutWriters.values()) w.flush();
  }

  /** Reconnects now if waiting to retry (someone clicked the connection badge). */
  reconnectNow(): void {
    this.rpc.nudge();
  }

  stop(): void {
    this.flushLayouts();
    this.stopNotices?.();
    this.rpc.close();
  }

  async reload(): Promise<void> {
    const [projects, workspaces, chats, global, me] = await Promise.all([
      this.rpc.call("projects.list", {}),
      this.rpc.call("workspaces.list", {}),
      this.rpc.call("chats.list", {}),
      this.rpc.call("layout.get", {}),
      this.rpc.call("auth.whoami", {}),
    ]);
    this.state.set((s) => ({
      ...setGlobalLayout(loaded(s, projects, workspaces, chats), parseGlobalLayout(global.layout)),
      me,
    }));
    announceReady(projects.map((p) => p.name));
  }

  /** A workspace's remembered layout, fetched once; notices keep it current after that. */
  loadLayout(workspace: number): Promise<WorkspaceLayout> {
    this.state.set((s) => openWorkspaceLayout(s, workspace));
    const known = this.state.get().layouts[workspace];
    if (known) return Promise.resolve(known);
    let pending = this.layoutsLoading.get(workspace);
    if (!pending) {
      pending = this.fetchLayout(workspace).finally(() => this.layoutsLoading.delete(workspace));
      this.layoutsLoading.set(workspace, pending);
    }
    return pending;
  }

  private async fetchLayout(workspace: number): Promise<WorkspaceLayout> {
    let layout = defaultWorkspaceLayout;
    try {
      const info = await this.rpc.call("layout.get", { workspace: String(workspace) });
      layout = parseWorkspaceLayout(info.layout);
    } catch {
      // Defaults: the layout is a convenience.
    }
    this.state.set((s) => (s.layouts[workspace] ? s : setWorkspaceLayout(s, workspace, layout)));
    return this.state.get().layouts[workspace];
  }

  /** Changes a workspace's layout here at once, and on the server shortly after. */
  rememberLayout(workspace: number, change: Partial<WorkspaceLayout>): void {
    const now = this.state.get().layouts[workspace] ?? defaultWorkspaceLayout;
    const next = { ...now, ...change };
    if (sameLayout(now, next)) return;
    this.state.set((s) => setWorkspaceLayout(s, workspace, next));
    // A read-only device keeps its layout to itself (layout.set needs control).
    if (can(this.state.get(), "control")) this.writer(workspace).set(next);
  }

  rememberGlobal(change: Partial<GlobalLayout>): void {
    const now = this.state.get().globalLayout ?? { workspace: null };
    const next = { ...now, ...change };
    if (sameLayout(now, next)) return;
    this.state.set((s) => setGlobalLayout(s, next));
    if (can(this.state.get(), "control")) this.writer(null).set(next);
  }

  private writer(workspace: number | null): LayoutWriter<object> {
    let w = this.layoutWriters.get(workspace);
    if (!w) {
      w = new LayoutWriter((layout) =>
        this.rpc.call("layout.set", {
          layout: layout as Record<string, unknown>,
          workspace: workspace === null ? undefined : String(workspace),
        }),
      );
      this.layoutWriters.set(workspace, w);
    }
    return w;
  }

  private onNotice(n: WorkspaceNotice): void {
    const before = n.type === "chat" ? this.state.get().chats[n.chat.id] : undefined;
    // Script output past what is known: notices were missed, and the kept output fills the gap.
    if (n.type === "script_output" && hasGap(this.state.get().scripts[n.workspaceId], n.runId, n.offset)) {
      void loadScripts(this, n.workspaceId).catch(() => {});
      return;
    }
    this.state.set((s) => applyNotice(s, n));
    if (n.type === "comments") for (const l of this.commentListeners) l(n.workspaceId);
    // A chat that stopped working ended a turn (the Changes pane refreshes on that too).
    if (n.type === "chat" && before?.status === "working" && n.chat.status !== "working") {
      this.turnEnded(n.chat.id, n.chat.workspaceId);
    }
    // A chat that starts waiting needs someone: whoever listens (desktop notifications) hears.
    if (n.type === "chat" && n.chat.status === "waiting" && before?.status !== "waiting") {
      for (const l of this.waitingListeners) l(n.chat);
    }
  }

  /** Calls `l` each time a workspace's review comments change (added, resolved, sent). */
  onComments(l: (workspaceId: number) => void): () => void {
    this.commentListeners.add(l);
    return () => this.commentListeners.delete(l);
  }

  /** Calls `l` each time a chat starts waiting for a decision. */
  onWaiting(l: (chat: ChatInfo) => void): () => void {
    this.waitingListeners.add(l);
    return () => this.waitingListeners.delete(l);
  }

  /** Someone saw a chat's `turn_ended` (or its status leave working). */
  turnEnded(chatId: number, workspaceId: number): void {
    for (const l of this.turnListeners) l(chatId, workspaceId);
  }

  onTurnEnded(l: TurnListener): () => void {
    this.turnListeners.add(l);
    return () => this.turnListeners.delete(l);
  }

  open(chat: number | null): void {
    this.state.set((s) => openChat(s, chat));
  }

  saw(chat: number, seq: number): void {
    this.state.set((s) => sawUpTo(s, chat, seq));
  }

  async addProject(path: string) {
    const p = await this.rpc.call("projects.add", { path });
    this.state.set((s) => addProject(s, p));
    return p;
  }

  async createWorkspace(params: {
    project: string;
    /** The new worktree's branch; none with `direct`. */
    branch?: string;
    /** The project's own checkout instead of a new worktree. */
    direct?: boolean;
    base?: string;
    prompt?: string;
    agent?: AgentId;
    model?: string;
    mode?: Mode;
  }) {
    const created = await this.rpc.call("workspaces.create", params);
    const { created: _c, chat, setup: _s, ...workspace } = created;
    this.state.set((s) => {
      let next = addWorkspace(s, workspace);
      if (chat) next = upsertChat(next, chat);
      return next;
    });
    return created;
  }

  async removeWorkspace(id: number, force: boolean) {
    const removed = await this.rpc.call("workspaces.remove", { workspace: String(id), force });
    this.state.set((s) => removeWorkspace(s, id));
    return removed;
  }
}

export const BandContext = createContext<Band | null>(null);

export function useBand(): Band {
  const b = useContext(BandContext);
  if (!b) throw new Error("BandContext missing");
  return b;
}

/** Whether this browser's credential may do what needs `needs` (a read-only device: no). */
export function useCan(needs: Scope): boolean {
  const band = useBand();
  return useStore(band.state, (s) => can(s, needs));
}
