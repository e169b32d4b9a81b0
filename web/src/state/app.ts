// The dashboard's shared state: projects, workspaces, chats (with their statuses and queues)
// and what the user has seen of each chat. Pure functions over a plain value, applied to one
// store; workspace notices keep it live, and a reload after every reconnection covers whatever
// was missed while away.

import type {
  ChatInfo,
  ProjectConfigInfo,
  ProjectInfo,
  QueuedInfo,
  ScriptRunInfo,
  WhoAmI,
  WorkspaceInfo,
  WorkspaceNotice,
} from "../api/types";
import { appendScriptOutput, upsertScriptRun } from "./scripts";
import {
  parseGlobalLayout,
  parseWorkspaceLayout,
  sameLayout,
  type GlobalLayout,
  type WorkspaceLayout,
} from "./layout";

export interface AppState {
  loaded: boolean;
  projects: ProjectInfo[];
  workspaces: WorkspaceInfo[];
  chats: Record<number, ChatInfo>;
  queues: Record<number, QueuedInfo[]>;
  /** Chat id to the last sequence number the user has seen. */
  seen: Record<number, number>;
  /** The chat on screen (its events count as seen). */
  openChat: number | null;
  /** Remembered layouts of the workspaces loaded so far (layout.get), kept live by notices. */
  layouts: Record<number, WorkspaceLayout>;
  /**
   * Layouts another client set for workspaces whose layout is loaded here: applied when the
   * workspace is next opened (`openWorkspaceLayout`), never under someone looking at it.
   */
  nextLayouts: Record<number, WorkspaceLayout>;
  /** The remembered global layout; null until loaded. */
  globalLayout: GlobalLayout | null;
  /** Who this browser is signed in as (its scope, and its device if paired); null until known. */
  me: WhoAmI | null;
  /** Setup and teardown runs of the workspaces looked at so far (workspaces.scripts), kept live. */
  scripts: Record<number, ScriptRunInfo[]>;
  /** Configurations of the projects looked at so far (projects.config); a change drops one. */
  configs: Record<string, ProjectConfigInfo>;
}

export const emptyState: AppState = {
  loaded: false,
  projects: [],
  workspaces: [],
  chats: {},
  queues: {},
  seen: {},
  openChat: null,
  layouts: {},
  nextLayouts: {},
  globalLayout: null,
  me: null,
  scripts: {},
  configs: {},
};

export type { Scope } from "../api/types";
import { ScopeValues, type Scope } from "../api/types";
const scopes = ScopeValues;

/** Whether the signed-in credential may do what needs `needs` (unknown yet: assume read). */
export function can(s: AppState, needs: Scope): boolean {
  const have = scopes.indexOf((s.me?.scope as Scope) ?? "read");
  return have >= scopes.indexOf(needs);
}

/** A workspace's badge: the most urgent status of its chats. */
export type Badge = "waiting" | "failed" | "working" | "interrupted" | "idle";

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
const byBranch = (a: WorkspaceInfo, b: WorkspaceInfo) =>
  a.project.localeCompare(b.project) || a.branch.localeCompare(b.branch);

/** State after a full reload of the lists. Chats never seen before count as seen up to now. */
export function loaded(
  s: AppState,
  projects: ProjectInfo[],
  workspaces: WorkspaceInfo[],
  chats: ChatInfo[],
): AppState {
  const seen = { ...s.seen };
  const byId: Record<number, ChatInfo> = {};
  for (const c of chats) {
    byId[c.id] = c;
    seen[c.id] ??= c.lastSeq;
  }
  if (s.openChat !== null && byId[s.openChat]) seen[s.openChat] = Math.max(seen[s.openChat] ?? 0, byId[s.openChat].lastSeq);
  return {
    ...s,
    loaded: true,
    projects: [...projects].sort(byName),
    workspaces: [...workspaces].sort(byBranch),
    chats: byId,
    seen,
    // Whatever was missed while away is fetched again by whoever shows it.
    scripts: {},
    configs: {},
  };
}

export function applyNotice(s: AppState, n: WorkspaceNotice): AppState {
  switch (n.type) {
    case "chat": {
      const c = n.chat;
      const isNew = !s.chats[c.id];
      const seen = { ...s.seen };
      // A chat someone just created starts unread only if it already has events.
      if (isNew && seen[c.id] === undefined) seen[c.id] = 0;
      if (s.openChat === c.id) seen[c.id] = Math.max(seen[c.id] ?? 0, c.lastSeq);
      return { ...s, chats: { ...s.chats, [c.id]: c }, seen };
    }
    case "chat_removed":
      return removeChat(s, n.chat.id);
    case "queue":
      return { ...s, queues: { ...s.queues, [n.chatId]: n.queue } };
    case "workspace_created":
      if (s.workspaces.some((w) => w.id === n.workspace.id)) return s;
      return { ...s, workspaces: [...s.workspaces, n.workspace].sort(byBranch) };
    case "workspace_changed":
      return { ...s, workspaces: s.workspaces.map((w) => (w.id === n.workspace.id ? n.workspace : w)) };
    case "workspace_removed": {
      const chats = Object.fromEntries(
        Object.entries(s.chats).filter(([, c]) => c.workspaceId !== n.workspace.id),
      ) as Record<number, ChatInfo>;
      return { ...s, workspaces: s.workspaces.filter((w) => w.id !== n.workspace.id), chats };
    }
    case "layout":
      return n.workspaceId == null
        ? setGlobalLayout(s, parseGlobalLayout(n.layout))
        : s.layouts[n.workspaceId]
          ? laterLayout(s, n.workspaceId, parseWorkspaceLayout(n.layout))
          : setWorkspaceLayout(s, n.workspaceId, parseWorkspaceLayout(n.layout));
    case "script_run":
      return { ...s, scripts: { ...s.scripts, [n.run.workspaceId]: upsertScriptRun(s.scripts[n.run.workspaceId] ?? [], n.run) } };
    case "script_output": {
      const runs = s.scripts[n.workspaceId];
      if (!runs) return s;
      const next = appendScriptOutput(runs, n.runId, n.offset, n.text);
      return next === runs ? s : { ...s, scripts: { ...s.scripts, [n.workspaceId]: next } };
    }
    case "comments":
      // Review comments live in the Changes pane, which reads them again (band.onComments).
      return s;
    case "project_config": {
      if (!s.configs[n.project]) return s;
      const configs = { ...s.configs };
      delete configs[n.project];
      return { ...s, configs };
    }
  }
}

/** Keeps `layout` for the next time `workspace` is opened (nothing to keep when it is the same). */
function laterLayout(s: AppState, workspace: number, layout: WorkspaceLayout): AppState {
  const next = s.nextLayouts[workspace];
  if (sameLayout(s.layouts[workspace], layout)) {
    if (!next) return s;
    const nextLayouts = { ...s.nextLayouts };
    delete nextLayouts[workspace];
    return { ...s, nextLayouts };
  }
  if (next && sameLayout(next, layout)) return s;
  return { ...s, nextLayouts: { ...s.nextLayouts, [workspace]: layout } };
}

/** A chat deleted (here or elsewhere) leaves the lists. */
export function removeChat(s: AppState, id: number): AppState {
  if (!s.chats[id]) return s;
  const chats = { ...s.chats };
  delete chats[id];
  return { ...s, chats };
}

/** A workspace being opened takes the layout another client left for it, if any. */
export function openWorkspaceLayout(s: AppState, workspace: number): AppState {
  const next = s.nextLayouts[workspace];
  if (!next) return s;
  const nextLayouts = { ...s.nextLayouts };
  delete nextLayouts[workspace];
  return { ...setWorkspaceLayout(s, workspace, next), nextLayouts };
}

export function setWorkspaceLayout(s: AppState, workspace: number, layout: WorkspaceLayout): AppState {
  const now = s.layouts[workspace];
  if (now && sameLayout(now, layout)) return s;
  return { ...s, layouts: { ...s.layouts, [workspace]: layout } };
}

export function setGlobalLayout(s: AppState, layout: GlobalLayout): AppState {
  if (s.globalLayout && sameLayout(s.globalLayout, layout)) return s;
  return { ...s, globalLayout: layout };
}

export function addProject(s: AppState, p: ProjectInfo): AppState {
  return { ...s, projects: [...s.projects.filter((x) => x.id !== p.id), p].sort(byName) };
}

export function addWorkspace(s: AppState, w: WorkspaceInfo): AppState {
  return { ...s, workspaces: [...s.workspaces.filter((x) => x.id !== w.id), w].sort(byBranch) };
}

export function removeWorkspace(s: AppState, id: number): AppState {
  const workspace = s.workspaces.find((w) => w.id === id);
  return workspace ? applyNotice(s, { type: "workspace_removed", workspace }) : s;
}

export function upsertChat(s: AppState, c: ChatInfo): AppState {
  return applyNotice(s, { type: "chat", chat: c });
}

/** The user looks at `chat` (null: at none); everything it has so far counts as seen. */
export function openChat(s: AppState, chat: number | null): AppState {
  if (chat === null) return s.openChat === null ? s : { ...s, openChat: null };
  const seq = Math.max(s.seen[chat] ?? 0, s.chats[chat]?.lastSeq ?? 0);
  if (s.openChat === chat && s.seen[chat] === seq) return s;
  return { ...s, openChat: chat, seen: { ...s.seen, [chat]: seq } };
}

/** The open chat's view got events up to `seq`. */
export function sawUpTo(s: AppState, chat: number, seq: number): AppState {
  if ((s.seen[chat] ?? 0) >= seq) return s;
  return { ...s, seen: { ...s.seen, [chat]: seq } };
}

export function chatsOf(s: AppState, workspaceId: number): ChatInfo[] {
  return Object.values(s.chats)
    .filter((c) => c.workspaceId === workspaceId)
    .sort((a, b) => a.id - b.id);
}

/**
 * A clear name per chat tab: its name (titled by its first prompt), numbered when several chats
 * of the workspace share one (three untitled "claude-code" chats: "claude-code 1", "2", "3").
 */
export function chatLabels(chats: readonly ChatInfo[]): Map<number, string> {
  const count = new Map<string, number>();
  for (const c of chats) count.set(c.name, (count.get(c.name) ?? 0) + 1);
  const seen = new Map<string, number>();
  const out = new Map<number, string>();
  for (const c of chats) {
    const name = c.name || `chat ${c.id}`;
    if ((count.get(c.name) ?? 0) > 1) {
      const n = (seen.get(c.name) ?? 0) + 1;
      seen.set(c.name, n);
      out.set(c.id, `${name} ${n}`);
    } else out.set(c.id, name);
  }
  return out;
}

export function isUnread(s: AppState, c: ChatInfo): boolean {
  return s.openChat !== c.id && c.lastSeq > (s.seen[c.id] ?? 0);
}

const urgency: Badge[] = ["waiting", "failed", "working", "interrupted", "idle"];

export function badgeOf(status: string): Badge {
  switch (status) {
    case "waiting":
    case "failed":
    case "working":
    case "interrupted":
      return status;
    default:
      return "idle";
  }
}

export function workspaceBadge(s: AppState, workspaceId: number): Badge {
  let best: Badge = "idle";
  for (const c of chatsOf(s, workspaceId)) {
    const b = badgeOf(c.status);
    if (urgency.indexOf(b) < urgency.indexOf(best)) best = b;
  }
  return best;
}

export function workspaceUnread(s: AppState, workspaceId: number): boolean {
  return chatsOf(s, workspaceId).some((c) => isUnread(s, c));
}

const SEEN_KEY = "band.seen.v1";

export function loadSeen(storage: Pick<Storage, "getItem"> | undefined): Record<number, number> {
  try {
    const v = JSON.parse(storage?.getItem(SEEN_KEY) ?? "{}");
    return v && typeof v === "object" ? v : {};
  } catch {
    return {};
  }
}

export function saveSeen(storage: Pick<Storage, "setItem"> | undefined, seen: Record<number, number>): void {
  try {
    storage?.setItem(SEEN_KEY, JSON.stringify(seen));
  } catch {
    // Private mode or full: unread markers then last for this page only.
  }
}
