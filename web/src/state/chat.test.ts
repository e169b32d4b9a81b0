import type { ChatInfo, EventInfo, QueuedInfo, TurnInfo } from "../api/types";
import {
  cancelQueued,
  createChat,
  editQueued,
  followChat,
  loadQueue,
  loadUsage,
  moveQueued,
  PAGE,
  prependOlder,
  respond,
  sendMessage,
  stopChat,
  updateChat,
  type Timing,
} from "./chat";
import { ChatLog } from "./chatlog";
import { fakeBand } from "./fakeRpc";

const ev = (seq: number, type = "prompt"): EventInfo =>
  (type === "turn_ended"
    ? { chatId: 4, seq, at: seq, type, stopReason: "end_turn", usage: { inputTokens: 1, outputTokens: 1 } }
    : { chatId: 4, seq, at: seq, type: "prompt", text: `p${seq}` }) as EventInfo;

const chatInfo = (id: number, over: Partial<ChatInfo> = {}): ChatInfo => ({
  id,
  workspaceId: 2,
  agent: "claude-code",
  mode: "ask",
  name: "",
  labels: {},
  via: "protocol",
  status: "idle",
  lastSeq: 0,
  createdAt: 1,
  updatedAt: 1,
  ...over,
});

/** Frames run when the test says; pauses are recorded and end at once. */
function fakeTiming() {
  const frames = new Map<number, () => void>();
  const sleeps: number[] = [];
  let next = 1;
  const timing: Timing = {
    frame: (fn) => {
      frames.set(next, fn);
      return next++;
    },
    cancelFrame: (h) => void frames.delete(h),
    sleep: async (ms) => void sleeps.push(ms),
  };
  const runFrames = () => {
    const due = [...frames.values()];
    frames.clear();
    due.forEach((f) => f());
  };
  return { timing, frames, sleeps, runFrames };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

test("a chat is loaded newest page first, then followed live from its last event, a frame's events at a time", async () => {
  const { band, fake } = fakeBand((method) => (method === "chats.events" ? [ev(12), ev(10), ev(11)] : undefined));
  const { timing, frames, runFrames } = fakeTiming();
  const turns: [number, number][] = [];
  band.onTurnEnded((chat, ws) => turns.push([chat, ws]));
  const log = new ChatLog(4);
  const seen: string[] = [];
  const stop = followChat(band, { id: 4, workspaceId: 2 }, log, {
    ready: () => seen.push("ready"),
    changed: () => seen.push("changed"),
    failed: () => seen.push("failed"),
  }, timing);
  await settle();

  expect(fake.calls).toEqual([["chats.events", { chat: 4, limit: PAGE }]]);
  expect(log.events.map((e) => e.seq)).toEqual([10, 11, 12]); // sorted
  expect(seen).toEqual(["ready"]);
  expect(band.state.get().seen[4]).toBe(12);
  const [sub] = fake.open("chat");
  expect([sub.id, sub.after]).toEqual([4, 12]);

  // Two live events in one frame: one change, seen up to the last; a turn's end is announced.
  sub.deliver(ev(13));
  sub.deliver(ev(14, "turn_ended"));
  expect(frames.size).toBe(1);
  expect(seen).toEqual(["ready"]);
  runFrames();
  expect(seen).toEqual(["ready", "changed"]);
  expect(log.lastSeq).toBe(14);
  expect(band.state.get().seen[4]).toBe(14);
  expect(turns).toEqual([[4, 2]]);

  // Stopped: no more subscription, and a frame not yet run never runs.
  sub.deliver(ev(15));
  stop();
  expect(frames.size).toBe(0);
  expect(fake.open("chat")).toHaveLength(0);
});

test("the chat the address names has its newest page asked for with the lists, and its view takes that page", async () => {
  const { band, fake } = fakeBand((method) => {
    if (method === "chats.events") return [ev(21), ev(20)];
    if (method === "layout.get") return { layout: {} };
    if (method === "auth.whoami") return { scope: "admin" };
    return [];
  });
  band.start(2, 4);
  // Asked before any view exists: in the same round trip as the lists and the layouts.
  expect(fake.methods).toEqual(["projects.list", "workspaces.list", "chats.list", "layout.get", "auth.whoami", "layout.get", "chats.events"]);
  const { timing } = fakeTiming();
  const log = new ChatLog(4);
  followChat(band, { id: 4, workspaceId: 2 }, log, { ready() {}, changed() {}, failed() {} }, timing);
  await settle();
  expect(fake.methods.filter((m) => m === "chats.events")).toHaveLength(1);
  expect(log.events.map((e) => e.seq)).toEqual([20, 21]);
  expect(fake.open("chat")[0].after).toBe(21);
  // Taken once: the same chat opened again asks anew.
  followChat(band, { id: 4, workspaceId: 2 }, new ChatLog(4), { ready() {}, changed() {}, failed() {} }, timing);
  await settle();
  expect(fake.methods.filter((m) => m === "chats.events")).toHaveLength(2);
});

test("a chat whose first page fails is tried again with growing pauses, and not once it is stopped", async () => {
  let failures = 5;
  const { band, fake } = fakeBand(async () => {
    if (failures-- > 0) throw new Error("offline");
    return [ev(1)];
  });
  const { timing, sleeps } = fakeTiming();
  const seen: string[] = [];
  const on = { ready: () => seen.push("ready"), changed: () => {}, failed: () => seen.push("failed") };
  followChat(band, { id: 4, workspaceId: 2 }, new ChatLog(4), on, timing);
  for (let i = 0; i < 20; i++) await settle();
  expect(sleeps).toEqual([500, 1000, 2000, 4000, 5000]);
  expect(seen).toEqual(["failed", "failed", "failed", "failed", "failed", "ready"]);
  expect(fake.open("chat")).toHaveLength(1);

  // Stopped while the first page is on its way: it is dropped, nothing is followed.
  const slow = fakeBand(() => new Promise((r) => setTimeout(() => r([ev(1)]), 5)));
  const stop = followChat(slow.band, { id: 4, workspaceId: 2 }, new ChatLog(4), on, timing);
  stop();
  await new Promise((r) => setTimeout(r, 20));
  expect(slow.fake.subscriptions).toHaveLength(0);
  expect(slow.fake.calls).toHaveLength(1);
});

test("an older page is asked for before the first event loaded and put in front", async () => {
  const { band, fake } = fakeBand(() => [ev(5), ev(6)]);
  const log = new ChatLog(4);
  log.append([ev(7), ev(8)]);
  expect(await prependOlder(band, 4, log)).toBe(true);
  expect(fake.calls).toEqual([["chats.events", { chat: 4, before: 7, limit: PAGE }]]);
  expect(log.events.map((e) => e.seq)).toEqual([5, 6, 7, 8]);
});

test("usage: finished turns by the sequence number that ended them, and the totals", async () => {
  const turn = (id: number, endedSeq: number | null): TurnInfo => ({
    id,
    prompt: "p",
    startedAt: 1,
    startedSeq: 1,
    endedSeq,
    durationMs: 1500,
    usage: { inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 },
  });
  const totals = { durationMs: 1500, turns: 1, usage: { inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 } };
  const { band, fake } = fakeBand((method) => (method === "chats.turns" ? [turn(1, 9), turn(2, null)] : totals));
  const usage = await loadUsage(band, 4);
  expect(fake.calls).toEqual([
    ["chats.turns", { chat: 4 }],
    ["chats.usage", { chat: 4 }],
  ]);
  expect([...usage.turns.keys()]).toEqual([9]);
  expect(usage.turns.get(9)?.id).toBe(1);
  expect(usage.totals).toBe(totals);
});

test("chat actions send what the server expects; those it answers with state update the store", async () => {
  const queue: QueuedInfo[] = [{ chatId: 4, createdAt: 1, id: 8, position: 0, text: "next" }];
  const { band, fake } = fakeBand((method, params) => {
    switch (method) {
      case "chats.create":
        return chatInfo(4, { agent: params.agent, mode: params.mode, model: params.model });
      case "chats.update":
        return chatInfo(4, { model: params.model });
      case "chats.queue":
      case "chats.queue.move":
        return queue;
    }
  });
  await createChat(band, 2, "codex", "ask", "");
  expect(band.state.get().chats[4]?.agent).toBe("codex");
  await updateChat(band, 4, { model: "opus" });
  expect(band.state.get().chats[4]?.model).toBe("opus");
  await loadQueue(band, 4);
  expect(band.state.get().queues[4]).toBe(queue);
  band.state.set((s) => ({ ...s, queues: {} }));
  await moveQueued(band, 4, 8, 0);
  expect(band.state.get().queues[4]).toBe(queue);
  await sendMessage(band, 4, "hello");
  await respond(band, 4, "r1", "deny");
  await stopChat(band, 4);
  await editQueued(band, 4, 8, "later");
  await cancelQueued(band, 4, 8);
  expect(fake.calls).toEqual([
    ["chats.create", { workspace: "2", agent: "codex", mode: "ask", model: undefined }], // no model: the agent's default
    ["chats.update", { chat: 4, model: "opus" }],
    ["chats.queue", { chat: 4 }],
    ["chats.queue.move", { chat: 4, id: 8, position: 0 }],
    ["chats.send", { chat: 4, message: "hello" }],
    ["chats.respond", { chat: 4, decision: "deny", request: "r1" }],
    ["chats.stop", { chat: 4 }],
    ["chats.queue.edit", { chat: 4, id: 8, text: "later" }],
    ["chats.queue.cancel", { chat: 4, id: 8 }],
  ]);
});
