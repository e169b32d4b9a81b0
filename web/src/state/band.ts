// The dashboard's model: one RPC connection, the app store kept live by workspace notices, and
// the actions the views call. Views read the store through hooks and never talk to the socket.

import { createContext, useContext } from "react";
import { Rpc, type ConnectionState } from "../api/rpc";
import type { WorkspaceNotice } from "../api/types";
import {
  addProject,
  addWorkspace,
  applyNotice,
  emptyState,
  loaded,
  loadSeen,
  openChat,
  removeWorkspace,
  saveSeen,
  sawUpTo,
  upsertChat,
  type AppState,
} from "./app";
import { createStore, type Store } from "./store";

type TurnListener = (chatId: number, workspaceId: number) => void;

export class Band {
  readonly state: Store<AppState>;
  readonly connection: Store<ConnectionState>;
  private turnListeners = new Set<TurnListener>();
  private stopNotices: (() => void) | null = null;

  constructor(
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

  start(): void {
    this.stopNotices = this.rpc.subscribeWorkspaces(
      (n) => this.onNotice(n),
      () => void this.reload(),
    );
    this.rpc.start();
    void this.reload();
  }

  stop(): void {
    this.stopNotices?.();
    this.rpc.close();
  }

  async reload(): Promise<void> {
    const [projects, workspaces, chats] = await Promise.all([
      this.rpc.call("projects.list", {}),
      this.rpc.call("workspaces.list", {}),
      this.rpc.call("chats.list", {}),
    ]);
    this.state.set((s) => loaded(s, projects, workspaces, chats));
  }

  private onNotice(n: WorkspaceNotice): void {
    const before = n.type === "chat" ? this.state.get().chats[n.chat.id] : undefined;
    this.state.set((s) => applyNotice(s, n));
    // A chat that stopped working ended a turn (the Changes pane refreshes on that too).
    if (n.type === "chat" && before?.status === "working" && n.chat.status !== "working") {
      this.turnEnded(n.chat.id, n.chat.workspaceId);
    }
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
    branch: string;
    base?: string;
    prompt?: string;
    agent?: string;
    model?: string;
    mode?: string;
  }) {
    const created = await this.rpc.call("workspaces.create", params);
    const { created: _c, chat, ...workspace } = created;
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

  async createChat(workspaceId: number, agent: string, mode: string, model?: string) {
    const chat = await this.rpc.call("chats.create", { workspace: String(workspaceId), agent, mode, model: model || undefined });
    this.state.set((s) => upsertChat(s, chat));
    return chat;
  }

  async updateChat(chat: number, change: { model?: string; mode?: string; name?: string }) {
    const info = await this.rpc.call("chats.update", { chat, ...change });
    this.state.set((s) => upsertChat(s, info));
    return info;
  }

  async loadQueue(chat: number) {
    const queue = await this.rpc.call("chats.queue", { chat });
    this.state.set((s) => ({ ...s, queues: { ...s.queues, [chat]: queue } }));
  }
}

export const BandContext = createContext<Band | null>(null);

export function useBand(): Band {
  const b = useContext(BandContext);
  if (!b) throw new Error("BandContext missing");
  return b;
}
