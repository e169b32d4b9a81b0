import type { ChatInfo, ChatStatus, WorkspaceNotice } from "../api/types";
import { fakeBand } from "../state/fakeRpc";
import { announcement, notificationsWanted, setNotificationsWanted, shouldAnnounce, watchWaiting, type Notifier } from "./notify";

const chat = (id: number, status: ChatStatus): ChatInfo => ({
  id,
  workspaceId: 2,
  agent: "claude-code",
  mode: "ask",
  name: "",
  labels: {},
  via: "protocol",
  status,
  lastSeq: 1,
  createdAt: 1,
  updatedAt: 1,
});

/** A Band over a stub connection whose workspace notices the test sends. */
async function bandWithNotices() {
  const workspace = { id: 2, project: "app", branch: "feat", base: "main", path: "/wt", branchCreated: true, createdAt: 1 };
  const answers: Record<string, unknown> = {
    "workspaces.list": [workspace],
    "layout.get": { layout: null },
    "auth.whoami": { scope: "admin" },
  };
  const { band, fake } = fakeBand((method) => answers[method] ?? []);
  band.start();
  await band.reload();
  const [notices] = fake.open("workspaces");
  return { band, notice: (n: WorkspaceNotice) => notices.deliver(n) };
}

function fakeNotifier(permission: NotificationPermission = "granted") {
  const shown: { title: string; body: string; click: () => void }[] = [];
  const notifier: Notifier = {
    permission,
    requestPermission: async () => permission,
    show: (title, body, click) => shown.push({ title, body, click }),
  };
  return { notifier, shown };
}

test("a chat that starts waiting is announced when nobody looks at it, once", async () => {
  const { band, notice } = await bandWithNotices();
  const { notifier, shown } = fakeNotifier();
  let visible = false;
  watchWaiting(band, notifier, () => true, () => visible);
  notice({ type: "chat", chat: chat(7, "working") });
  expect(shown).toHaveLength(0);
  notice({ type: "chat", chat: chat(7, "waiting") });
  notice({ type: "chat", chat: chat(7, "waiting") }); // still waiting: not again
  expect(shown.map((n) => n.title)).toEqual(["app / feat: waiting for you"]);
  expect(shown[0].body).toBe("claude-code asks for a decision in chat 7.");

  // On screen and visible: no notification; visible but another chat open: one.
  visible = true;
  band.open(7);
  notice({ type: "chat", chat: chat(7, "working") });
  notice({ type: "chat", chat: chat(7, "waiting") });
  expect(shown).toHaveLength(1);
  band.open(null);
  notice({ type: "chat", chat: chat(7, "working") });
  notice({ type: "chat", chat: chat(7, "waiting") });
  expect(shown).toHaveLength(2);
});

test("nothing is shown when turned off or not permitted", async () => {
  const { band, notice } = await bandWithNotices();
  const off = fakeNotifier();
  watchWaiting(band, off.notifier, () => false, () => false);
  const denied = fakeNotifier("denied");
  watchWaiting(band, denied.notifier, () => true, () => false);
  notice({ type: "chat", chat: chat(8, "waiting") });
  expect(off.shown).toHaveLength(0);
  expect(denied.shown).toHaveLength(0);
});

test("the choice is remembered per browser; the rule and the text", () => {
  const store = new Map<string, string>();
  const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
  expect(notificationsWanted(storage)).toBe(false);
  setNotificationsWanted(storage, true);
  expect(notificationsWanted(storage)).toBe(true);
  expect(shouldAnnounce(chat(1, "waiting"), 1, true)).toBe(false);
  expect(shouldAnnounce(chat(1, "waiting"), 1, false)).toBe(true);
  expect(shouldAnnounce(chat(1, "waiting"), 2, true)).toBe(true);
  expect(announcement({ ...chat(3, "waiting"), name: "fix login" }, undefined)).toEqual({
    title: "workspace 2: waiting for you",
    body: "claude-code asks for a decision in fix login.",
  });
});
