// A chat's event log folded into what the chat pane shows: message chunks coalesced into
// messages, tool calls with their updates, permission requests pending or resolved, turns with
// their usage. The log is the truth; this is a projection of the loaded part of it.
//
// Events arrive live at the end (append) and as older pages at the start (prepend, while the
// user scrolls up). Appending folds only the new events; prepending refolds what is loaded, so
// a message or tool call cut by a page boundary comes together again, and keeps the objects of
// the items it left as they were. Items are never mutated: a changed item is a new object, so
// rows can be memoized on identity.

import type { EventInfo, UsageInfo } from "../api/types";

/** Events per page of a chat's log. */
export const PAGE = 200;

export type Item =
  | { kind: "prompt"; key: string; seq: number; at: number; text: string }
  | { kind: "message"; key: string; seq: number; text: string; thought: boolean; messageId?: string }
  | {
      kind: "tool";
      key: string;
      seq: number;
      toolCallId: string;
      title: string;
      toolKind: string;
      input: unknown;
      status: string;
      output?: string;
    }
  | {
      kind: "permission";
      key: string;
      seq: number;
      requestId: string;
      tool: string;
      input: unknown;
      decision?: string;
      by?: string;
    }
  | { kind: "plan"; key: string; seq: number; entries: string[] }
  | {
      kind: "turn";
      key: string;
      seq: number;
      at: number;
      startedSeq?: number;
      durationMs?: number;
      stopReason?: string;
      error?: string;
      usage: UsageInfo;
    }
  | { kind: "error"; key: string; seq: number; message: string };

export type ItemKind = Item["kind"];

export class ChatLog {
  /** The loaded events, ascending by seq, without holes. */
  events: EventInfo[] = [];
  items: Item[] = [];
  /** The chat's status as its log last said it. */
  status: string | undefined;
  /** Usage reported during the current turn (before its turn_ended). */
  liveUsage: UsageInfo | undefined;
  /** Bumped on every change: what the view subscribes to. */
  version = 0;

  private tools = new Map<string, number>();
  private permissions = new Map<string, number>();
  private pendingPermissions = new Set<string>();
  private turnStarted: { seq: number; at: number } | undefined;
  private openMessage: number | undefined;

  constructor(readonly chatId: number) {}

  get firstSeq(): number {
    return this.events.length ? this.events[0].seq : 0;
  }

  get lastSeq(): number {
    return this.events.length ? this.events[this.events.length - 1].seq : 0;
  }

  /** True while older events exist that are not loaded. */
  get hasOlder(): boolean {
    return this.firstSeq > 1;
  }

  /** Permission requests not answered yet, oldest first. */
  get pending(): string[] {
    return [...this.pendingPermissions];
  }

  /** Adds events after the last one; anything at or below it is ignored. True if it changed. */
  append(events: readonly EventInfo[]): boolean {
    let changed = false;
    for (const e of events) {
      if (this.events.length && e.seq <= this.lastSeq) continue;
      this.events.push(e);
      this.fold(e);
      changed = true;
    }
    if (changed) this.version++;
    return changed;
  }

  /** Adds a page of older events before the first one. True if it changed. */
  prepend(events: readonly EventInfo[]): boolean {
    const first = this.events.length ? this.firstSeq : Infinity;
    const older = events.filter((e) => e.seq < first).sort((a, b) => a.seq - b.seq);
    if (!older.length) return false;
    const all = older.concat(this.events);
    const before = new Map(this.items.map((item) => [item.key, item]));
    this.reset();
    for (const e of all) {
      this.events.push(e);
      this.fold(e);
    }
    // Rows the new page did not change keep their objects, so their memoized views are not
    // rendered again (a refold otherwise re-renders every row in view, Markdown and all).
    for (let i = 0; i < this.items.length; i++) {
      const old = before.get(this.items[i].key);
      if (old && sameItem(old, this.items[i])) this.items[i] = old;
    }
    this.version++;
    return true;
  }

  private reset(): void {
    this.events = [];
    this.items = [];
    this.tools.clear();
    this.permissions.clear();
    this.pendingPermissions.clear();
    this.turnStarted = undefined;
    this.openMessage = undefined;
    this.status = undefined;
    this.liveUsage = undefined;
  }

  private push(item: Item): number {
    this.items.push(item);
    return this.items.length - 1;
  }

  private replace(index: number, item: Item): void {
    this.items[index] = item;
  }

  private fold(e: EventInfo): void {
    const key = `e${e.seq}`;
    switch (e.type) {
      case "prompt":
        this.openMessage = undefined;
        this.push({ kind: "prompt", key, seq: e.seq, at: e.at, text: e.text });
        break;
      case "turn_started":
        this.openMessage = undefined;
        this.turnStarted = { seq: e.seq, at: e.at };
        this.liveUsage = undefined;
        break;
      case "agent_message_chunk":
      case "agent_thought_chunk": {
        const thought = e.type === "agent_thought_chunk";
        // Chunks of one message share its id; a new id is a new message even right after
        // another (logs from before message ids have none: those chunks run together).
        const messageId = e.type === "agent_message_chunk" ? (e.messageId ?? undefined) : undefined;
        const open = this.openMessage !== undefined ? this.items[this.openMessage] : undefined;
        if (open && open.kind === "message" && open.thought === thought && open.messageId === messageId) {
          this.replace(this.openMessage!, { ...open, text: open.text + e.text });
        } else {
          this.openMessage = this.push({ kind: "message", key, seq: e.seq, text: e.text, thought, messageId });
        }
        break;
      }
      case "tool_call": {
        this.openMessage = undefined;
        const existing = this.tools.get(e.toolCallId);
        const item: Item = {
          kind: "tool",
          key,
          seq: e.seq,
          toolCallId: e.toolCallId,
          title: e.title,
          toolKind: e.toolKind,
          input: e.rawInput,
          status: "pending",
        };
        if (existing !== undefined) {
          const old = this.items[existing];
          if (old.kind === "tool") this.replace(existing, { ...item, key: old.key, seq: old.seq, status: old.status, output: old.output });
        } else {
          this.tools.set(e.toolCallId, this.push(item));
        }
        break;
      }
      case "tool_call_update": {
        const index = this.tools.get(e.toolCallId);
        const old = index !== undefined ? this.items[index] : undefined;
        if (old && old.kind === "tool") {
          this.replace(index!, { ...old, status: e.status, output: e.rawOutput ?? old.output });
        } else {
          // Its tool call is on a page not loaded yet (or the agent never announced it).
          this.openMessage = undefined;
          this.tools.set(
            e.toolCallId,
            this.push({
              kind: "tool",
              key,
              seq: e.seq,
              toolCallId: e.toolCallId,
              title: "tool call",
              toolKind: "other",
              input: undefined,
              status: e.status,
              output: e.rawOutput ?? undefined,
            }),
          );
        }
        break;
      }
      case "permission":
        this.openMessage = undefined;
        this.pendingPermissions.add(e.requestId);
        this.permissions.set(
          e.requestId,
          this.push({ kind: "permission", key, seq: e.seq, requestId: e.requestId, tool: e.tool, input: e.rawInput }),
        );
        break;
      case "permission_resolved": {
        this.pendingPermissions.delete(e.requestId);
        const index = this.permissions.get(e.requestId);
        const old = index !== undefined ? this.items[index] : undefined;
        if (old && old.kind === "permission") {
          this.replace(index!, { ...old, decision: e.decision, by: e.by });
        }
        break;
      }
      case "plan":
        this.openMessage = undefined;
        this.push({ kind: "plan", key, seq: e.seq, entries: e.entries });
        break;
      case "usage_update":
        this.liveUsage = e.usage;
        break;
      case "turn_ended": {
        this.openMessage = undefined;
        const started = this.turnStarted;
        this.push({
          kind: "turn",
          key,
          seq: e.seq,
          at: e.at,
          startedSeq: started?.seq,
          durationMs: started ? e.at - started.at : undefined,
          stopReason: e.stopReason ?? undefined,
          error: e.error ?? undefined,
          usage: e.usage,
        });
        this.turnStarted = undefined;
        this.liveUsage = undefined;
        // A turn that ends leaves nothing waiting on the user.
        for (const id of this.pendingPermissions) {
          const i = this.permissions.get(id);
          const old = i !== undefined ? this.items[i] : undefined;
          if (old && old.kind === "permission" && !old.decision) this.replace(i!, { ...old, decision: "expired", by: "turn end" });
        }
        this.pendingPermissions.clear();
        // A turn cut short (stopped, failed, or ended by a restart) ran none of its unfinished
        // tool calls to the end: they read interrupted, not pending.
        if (e.stopReason === "cancelled" || e.error) {
          for (const i of this.tools.values()) {
            const old = this.items[i];
            if (old && old.kind === "tool" && (old.status === "pending" || old.status === "in_progress")) {
              this.replace(i, { ...old, status: "interrupted" });
            }
          }
        }
        break;
      }
      case "status":
        this.status = e.status;
        break;
      case "error":
        this.openMessage = undefined;
        this.push({ kind: "error", key, seq: e.seq, message: e.message });
        break;
      case "agent_session":
      case "session_info":
      case "available_commands_update":
      // A terminal agent's hooks: its terminal shows what they say.
      case "hook":
        break;
    }
  }
}

/** Items equal field by field (their payloads are the same event objects after a refold). */
function sameItem(a: Item, b: Item): boolean {
  const ka = Object.keys(a) as (keyof Item)[];
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

/** `1234` -> `1.2k`, for token counts. */
export function compact(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function usd(n: number | null | undefined): string {
  if (n === undefined || n === null) return "";
  return n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`;
}
