import type { ChatInfo, ChatStatus, WorkspaceInfo } from "../api/types";
import {
  applyNotice,
  chatLabels,
  emptyState,
  isUnread,
  loaded,
  loadSeen,
  openChat,
  openWorkspaceLayout,
  setWorkspaceLayout,
  saveSeen,
  sawUpTo,
  workspaceBadge,
  workspaceUnread,
  type AppState,
} from "./app";

const ws = (id: number, branch: string, project = "app"): WorkspaceInfo => ({
  id,
  project,
  branch,
  base: "main",
  path: `/wt/${project}/${branch}`,
  branchCreated: true,
  createdAt: 1,
});
const chat = (id: number, workspaceId: number, status: ChatStatus = "idle", lastSeq = 0): ChatInfo => ({
  id,
  workspaceId,
  agent: "claude-code",
  mode: "ask",
  name: "",
  labels: {},
  via: "protocol",
  status,
  lastSeq,
  createdAt: 1,
  updatedAt: 1,
});
const project = { id: 1, name: "app", path: "/repo/app", defaultBranch: "main", createdAt: 1 };

function start(): AppState {
  return loaded(emptyState, [project], [ws(2, "zeta"), ws(1, "alpha")], [chat(10, 1, "completed", 40), chat(11, 2)]);
}

test("a load sorts workspaces and counts what exists as seen", () => {
  const s = start();
  expect(s.workspaces.map((w) => w.branch)).toEqual(["alpha", "zeta"]);
  expect(s.seen).toEqual({ 10: 40, 11: 0 });
  expect(workspaceUnread(s, 1)).toBe(false);
});

test("statuses: the most urgent chat gives its workspace's badge", () => {
  let s = start();
  expect(workspaceBadge(s, 1)).toBe("idle");
  s = applyNotice(s, { type: "chat", chat: chat(12, 1, "working") });
  expect(workspaceBadge(s, 1)).toBe("working");
  s = applyNotice(s, { type: "chat", chat: chat(10, 1, "failed", 41) });
  expect(workspaceBadge(s, 1)).toBe("failed");
  s = applyNotice(s, { type: "chat", chat: chat(12, 1, "waiting") });
  expect(workspaceBadge(s, 1)).toBe("waiting");
  s = applyNotice(s, { type: "chat_removed", chat: chat(12, 1, "waiting") });
  s = applyNotice(s, { type: "chat_removed", chat: chat(10, 1) });
  expect(workspaceBadge(s, 1)).toBe("idle");
  expect(workspaceBadge(s, 2)).toBe("idle");
});

test("unread: new events in a chat not on screen; opening it or seeing them clears it", () => {
  let s = start();
  s = applyNotice(s, { type: "chat", chat: chat(10, 1, "completed", 55) });
  expect(isUnread(s, s.chats[10])).toBe(true);
  expect(workspaceUnread(s, 1)).toBe(true);
  expect(workspaceUnread(s, 2)).toBe(false);
  s = openChat(s, 10);
  expect(workspaceUnread(s, 1)).toBe(false);
  // While it is open, whatever arrives is seen.
  s = applyNotice(s, { type: "chat", chat: chat(10, 1, "working", 70) });
  expect(s.seen[10]).toBe(70);
  s = openChat(s, null);
  s = applyNotice(s, { type: "chat", chat: chat(10, 1, "completed", 80) });
  expect(workspaceUnread(s, 1)).toBe(true);
  s = sawUpTo(s, 10, 80);
  expect(workspaceUnread(s, 1)).toBe(false);
  expect(sawUpTo(s, 10, 3)).toBe(s);
});

test("a chat created elsewhere is unread once it has events", () => {
  let s = start();
  s = applyNotice(s, { type: "chat", chat: chat(20, 2, "working", 0) });
  expect(workspaceUnread(s, 2)).toBe(false);
  s = applyNotice(s, { type: "chat", chat: chat(20, 2, "completed", 9) });
  expect(workspaceUnread(s, 2)).toBe(true);
});

test("workspaces come and go with notices, their chats with them; queues follow", () => {
  let s = start();
  s = applyNotice(s, { type: "workspace_created", workspace: ws(3, "beta") });
  s = applyNotice(s, { type: "workspace_created", workspace: ws(3, "beta") });
  expect(s.workspaces.map((w) => w.branch)).toEqual(["alpha", "beta", "zeta"]);
  s = applyNotice(s, { type: "workspace_removed", workspace: ws(1, "alpha") });
  expect(s.workspaces.map((w) => w.id)).toEqual([3, 2]);
  expect(s.chats[10]).toBeUndefined();
  s = applyNotice(s, { type: "queue", chatId: 11, queue: [{ id: 1, chatId: 11, position: 0, text: "next", createdAt: 1 }] });
  expect(s.queues[11].map((q) => q.text)).toEqual(["next"]);
});

test("what was seen survives a reload of the page", () => {
  const mem = new Map<string, string>();
  const storage = { getItem: (k: string) => mem.get(k) ?? null, setItem: (k: string, v: string) => void mem.set(k, v) };
  saveSeen(storage, { 10: 55 });
  const s = loaded({ ...emptyState, seen: loadSeen(storage) }, [project], [ws(1, "alpha")], [chat(10, 1, "completed", 60)]);
  expect(workspaceUnread(s, 1)).toBe(true);
  expect(loadSeen({ getItem: () => "not json" })).toEqual({});
});

test("another device's layout waits for the next open: a pane on screen is never switched under someone", () => {
  const here = { pane: "changes" as const, sideOpen: true, split: 0.5, chat: null, file: null };
  const there = { ...here, pane: "files" as const };
  let s: AppState = setWorkspaceLayout(loaded(emptyState, [], [ws(1, "a")], []), 1, here);
  s = applyNotice(s, { type: "layout", workspaceId: 1, updatedAt: 1, layout: there as unknown as Record<string, unknown> });
  expect(s.layouts[1].pane).toBe("changes");
  s = openWorkspaceLayout(s, 1);
  expect(s.layouts[1].pane).toBe("files");
  // A workspace whose layout was never loaded takes it at once.
  s = applyNotice(s, { type: "layout", workspaceId: 2, updatedAt: 1, layout: there as unknown as Record<string, unknown> });
  expect(s.layouts[2].pane).toBe("files");
  expect(openWorkspaceLayout(s, 2)).toBe(s);
});

test("chat tabs get clear names: titles as they are, shared names numbered", () => {
  const named = (id: number, name: string) => ({ ...chat(id, 1), name });
  const labels = chatLabels([named(1, "claude-code"), named(2, "Fix the login"), named(3, "claude-code"), named(4, "claude-code")]);
  expect([...labels.values()]).toEqual(["claude-code 1", "Fix the login", "claude-code 2", "claude-code 3"]);
});
