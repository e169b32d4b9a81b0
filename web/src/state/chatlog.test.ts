import type { EventInfo } from "../api/types";
import { ChatLog, type Item } from "./chatlog";

let seq = 0;
type Body = EventInfo extends infer E ? (E extends unknown ? Omit<E, "chatId" | "seq" | "at"> : never) : never;
const ev = (body: Body): EventInfo => ({ chatId: 1, seq: ++seq, at: 1000 * seq, ...body }) as EventInfo;
const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.01 };

/** A whole turn: prompt, text in chunks, a tool call asking permission, allowed, more text. */
function turn(): EventInfo[] {
  return [
    ev({ type: "prompt", text: "write hello" }),
    ev({ type: "turn_started" }),
    ev({ type: "status", status: "working" }),
    ev({ type: "agent_thought_chunk", text: "thinking " }),
    ev({ type: "agent_thought_chunk", text: "hard" }),
    ev({ type: "agent_message_chunk", text: "I'll " }),
    ev({ type: "agent_message_chunk", text: "write it." }),
    ev({ type: "tool_call", toolCallId: "t1", title: "Write", toolKind: "edit", rawInput: { file_path: "/a" } }),
    ev({ type: "permission", requestId: "r1", tool: "Write", rawInput: { file_path: "/a" } }),
    ev({ type: "status", status: "waiting" }),
    ev({ type: "permission_resolved", requestId: "r1", decision: "allow", by: "user" }),
    ev({ type: "tool_call_update", toolCallId: "t1", status: "in_progress" }),
    ev({ type: "tool_call_update", toolCallId: "t1", status: "completed", rawOutput: "ok" }),
    ev({ type: "agent_message_chunk", text: "Done" }),
    ev({ type: "agent_message_chunk", text: "." }),
    ev({ type: "turn_ended", stopReason: "end_turn", usage }),
    ev({ type: "status", status: "completed" }),
  ];
}

const kinds = (items: Item[]) => items.map((i) => i.kind);

beforeEach(() => {
  seq = 0;
});

test("chunks coalesce into messages, broken by tool calls; thoughts apart from text", () => {
  const log = new ChatLog(1);
  log.append(turn());
  expect(kinds(log.items)).toEqual(["prompt", "message", "message", "tool", "permission", "message", "turn"]);
  const texts = log.items.filter((i) => i.kind === "message").map((i) => (i.kind === "message" ? [i.thought, i.text] : []));
  expect(texts).toEqual([
    [true, "thinking hard"],
    [false, "I'll write it."],
    [false, "Done."],
  ]);
  expect(log.status).toBe("completed");
});

test("adjacent messages with different ids stay apart; chunks of one id come together", () => {
  const log = new ChatLog(1);
  log.append([
    ev({ type: "agent_message_chunk", text: "First ", messageId: "m1" }),
    ev({ type: "agent_message_chunk", text: "message.", messageId: "m1" }),
    ev({ type: "agent_message_chunk", text: "Second message.", messageId: "m2" }),
    ev({ type: "agent_message_chunk", text: " Still second.", messageId: "m2" }),
  ]);
  const texts = log.items.map((i) => (i.kind === "message" ? i.text : i.kind));
  expect(texts).toEqual(["First message.", "Second message. Still second."]);
});

test("tool calls carry their updates; permissions go from pending to resolved", () => {
  const log = new ChatLog(1);
  const events = turn();
  log.append(events.slice(0, 10));
  const tool = log.items.find((i) => i.kind === "tool");
  expect(tool).toMatchObject({ toolCallId: "t1", title: "Write", status: "pending", input: { file_path: "/a" } });
  expect(log.pending).toEqual(["r1"]);
  expect(log.items.find((i) => i.kind === "permission")).not.toHaveProperty("decision");
  expect(log.status).toBe("waiting");

  log.append(events.slice(10));
  expect(log.pending).toEqual([]);
  expect(log.items.find((i) => i.kind === "permission")).toMatchObject({ decision: "allow", by: "user" });
  expect(log.items.find((i) => i.kind === "tool")).toMatchObject({ status: "completed", output: "ok" });
});

test("a turn ends with its usage and duration; an unanswered request expires with it", () => {
  const log = new ChatLog(1);
  log.append([
    ev({ type: "prompt", text: "x" }),
    ev({ type: "turn_started" }),
    ev({ type: "permission", requestId: "r9", tool: "Bash", rawInput: { command: "ls" } }),
    ev({ type: "turn_ended", error: "agent crashed", usage }),
  ]);
  const end = log.items[log.items.length - 1];
  expect(end).toMatchObject({ kind: "turn", error: "agent crashed", usage, durationMs: 2000 });
  expect(log.pending).toEqual([]);
  expect(log.items.find((i) => i.kind === "permission")).toMatchObject({ decision: "expired" });
});

test("replayed events are ignored; changed items are new objects, unchanged ones kept", () => {
  const log = new ChatLog(1);
  const events = turn();
  log.append(events.slice(0, 7));
  const prompt = log.items[0];
  const message = log.items[2];
  const v = log.version;
  expect(log.append(events.slice(0, 7))).toBe(false);
  expect(log.version).toBe(v);
  log.append(events.slice(5, 8)); // overlaps: only the tool call is new
  expect(log.items[0]).toBe(prompt);
  expect(log.items[2]).toBe(message);
  expect(log.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
});

test("an older page prepended refolds: a message and a tool call cut by the page boundary come together", () => {
  const all = turn();
  const whole = new ChatLog(1);
  whole.append(all);
  const paged = new ChatLog(1);
  paged.append(all.slice(11)); // from the first tool_call_update on
  expect(paged.hasOlder).toBe(true);
  expect(paged.items[0]).toMatchObject({ kind: "tool", title: "tool call", status: "completed", output: "ok" });
  paged.prepend(all.slice(6, 11));
  paged.prepend(all.slice(0, 6));
  expect(paged.hasOlder).toBe(false);
  expect(paged.items).toEqual(whole.items);
  expect(paged.prepend(all.slice(0, 3))).toBe(false);
});

test("an older page prepended keeps the objects of the items it did not change (their rows are not drawn again)", () => {
  const all = [...turn(), ...turn()];
  const paged = new ChatLog(1);
  paged.append(all.slice(12)); // from the first turn's last tool_call_update on
  const before = new Map(paged.items.map((i) => [i.key, i]));
  paged.prepend(all.slice(0, 12));
  const after = new Map(paged.items.map((i) => [i.key, i]));
  // The first turn's last message and the whole second turn are as they were.
  for (const key of ["e14", "e18", "e21", "e23", "e25", "e26", "e31", "e33"]) expect(after.get(key)).toBe(before.get(key));
  // The tool call cut by the page boundary came together with its start (e8), and the first
  // turn's end now knows when it started: new objects.
  expect(after.has("e13")).toBe(false);
  expect(after.get("e8")).toMatchObject({ kind: "tool", title: "Write", status: "completed" });
  expect(after.get("e16")).not.toBe(before.get("e16"));
  expect(after.get("e16")).toMatchObject({ kind: "turn", startedSeq: 2 });
});

test("items have stable keys from their first event", () => {
  const log = new ChatLog(1);
  log.append(turn());
  expect(log.items.map((i) => i.key)).toEqual(["e1", "e4", "e6", "e8", "e9", "e14", "e16"]);
});

test("a turn cut short (Stop, or a server restart) leaves no tool call pending: it reads interrupted", () => {
  for (const end of [
    () => ev({ type: "turn_ended", stopReason: "cancelled", usage }),
    () => ev({ type: "turn_ended", error: "band-server restarted", usage }),
  ]) {
    const log = new ChatLog(1);
    log.append([
      ev({ type: "prompt", text: "run it" }),
      ev({ type: "turn_started" }),
      ev({ type: "tool_call", toolCallId: "a", title: "Bash", toolKind: "execute", rawInput: { command: "echo" } }),
      ev({ type: "tool_call", toolCallId: "b", title: "Read", toolKind: "read", rawInput: { file_path: "/x" } }),
      ev({ type: "tool_call_update", toolCallId: "b", status: "completed", rawOutput: "x" }),
      ev({ type: "tool_call", toolCallId: "c", title: "Grep", toolKind: "search", rawInput: { pattern: "x" } }),
      ev({ type: "tool_call_update", toolCallId: "c", status: "in_progress" }),
      end(),
    ]);
    const status = Object.fromEntries(log.items.flatMap((i) => (i.kind === "tool" ? [[i.toolCallId, i.status]] : [])));
    expect(status).toEqual({ a: "interrupted", b: "completed", c: "interrupted" });
  }
});

test("a turn that ends well leaves an unfinished tool call as the agent said", () => {
  const log = new ChatLog(1);
  log.append([
    ev({ type: "turn_started" }),
    ev({ type: "tool_call", toolCallId: "a", title: "Bash", toolKind: "execute", rawInput: { command: "echo" } }),
    ev({ type: "turn_ended", stopReason: "end_turn", usage }),
  ]);
  expect(log.items.find((i) => i.kind === "tool")).toMatchObject({ status: "pending" });
});
