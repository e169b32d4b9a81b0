// A chat, for the chat pane: what a person can do in it (start one, change its mode or model,
// send, answer a permission, stop, rearrange its queue), and its data as hooks: the log (the
// newest page, then live; older pages as the user scrolls up) and its usage. Statuses and queues
// are in the app store, kept current by workspace notices; the log and the usage belong to the
// chat on screen.

import { useCallback, useEffect, useRef, useState } from "react";
import type { AgentId, ChatInfo, EventInfo, Mode, TurnInfo, UsageTotalsInfo, Via } from "../api/types";
import { removeChat, upsertChat } from "./app";
import { useBand, type Band } from "./band";
import { ChatLog, PAGE } from "./chatlog";

export { PAGE };

export async function createChat(band: Band, workspaceId: number, agent: AgentId, mode: Mode, model?: string, via?: Via) {
  const chat = await band.rpc.call("chats.create", { workspace: String(workspaceId), agent, mode, model: model || undefined, via });
  band.state.set((s) => upsertChat(s, chat));
  return chat;
}

export async function updateChat(band: Band, chat: number, change: { model?: string; mode?: Mode; name?: string }) {
  const info = await band.rpc.call("chats.update", { chat, ...change });
  band.state.set((s) => upsertChat(s, info));
  return info;
}

/** Sends a message; a busy agent gets it queued. */
export function sendMessage(band: Band, chat: number, message: string) {
  return band.rpc.call("chats.send", { chat, message });
}

/** Answers the agent's permission request `request`. */
export function respond(band: Band, chat: number, request: string, decision: "allow" | "deny") {
  return band.rpc.call("chats.respond", { chat, decision, request });
}

export function stopChat(band: Band, chat: number) {
  return band.rpc.call("chats.stop", { chat });
}

export async function loadQueue(band: Band, chat: number) {
  const queue = await band.rpc.call("chats.queue", { chat });
  band.state.set((s) => ({ ...s, queues: { ...s.queues, [chat]: queue } }));
}

/** Moves a queued message to `position` (0-based) in its chat's queue. */
export async function moveQueued(band: Band, chat: number, id: number, position: number) {
  const queue = await band.rpc.call("chats.queue.move", { chat, id, position });
  band.state.set((s) => ({ ...s, queues: { ...s.queues, [chat]: queue } }));
}

/** Changes a queued message's text (the queue notice that follows shows it). */
export function editQueued(band: Band, chat: number, id: number, text: string) {
  return band.rpc.call("chats.queue.edit", { chat, id, text });
}

/**
 * Holds a queued message while it is edited (the queue waits for it), or releases it. The hold
 * lapses on the server after 2 minutes unless held again.
 */
export async function holdQueued(band: Band, chat: number, id: number, hold: boolean) {
  const queue = await band.rpc.call("chats.queue.hold", { chat, id, hold });
  band.state.set((s) => ({ ...s, queues: { ...s.queues, [chat]: queue } }));
}

/** Renames a chat. */
export async function renameChat(band: Band, chat: number, name: string) {
  const info = await band.rpc.call("chats.rename", { chat, name });
  band.state.set((s) => upsertChat(s, info));
  return info;
}

/** Deletes a chat with its events; a working one only when `stop` (it is stopped first). */
export async function deleteChat(band: Band, chat: number, stop: boolean) {
  const info = await band.rpc.call("chats.delete", { chat, stop });
  band.state.set((s) => removeChat(s, chat));
  return info;
}

/** Takes a message out of the queue (the queue notice that follows shows it). */
export function cancelQueued(band: Band, chat: number, id: number) {
  return band.rpc.call("chats.queue.cancel", { chat, id });
}

/** What `followChat` tells its user. */
export interface ChatFollower {
  /** The newest page is in the log. */
  ready(): void;
  /** Live events were added to the log. */
  changed(): void;
  /** The newest page could not be loaded; it is tried again after a pause. */
  failed(): void;
}

/** Frames and pauses (tests give their own). */
export interface Timing {
  frame(fn: () => void): number;
  cancelFrame(handle: number): void;
  sleep(ms: number): Promise<void>;
}

const browserTiming: Timing = {
  frame: (fn) => requestAnimationFrame(fn),
  cancelFrame: (h) => cancelAnimationFrame(h),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/**
 * Fills `log` with the chat's newest page (retried with backoff until it loads), then follows the
 * chat live from the last event loaded: the server replays anything in between. Live events are
 * added once per animation frame; what is added counts as seen, and a batch holding a
 * `turn_ended` is announced (`Band.turnEnded`: the Changes and Files panes refresh). Returns the
 * function that stops it.
 */
export function followChat(
  band: Band,
  chat: { id: number; workspaceId: number },
  log: ChatLog,
  on: ChatFollower,
  timing: Timing = browserTiming,
): () => void {
  let cancelled = false;
  let unsubscribe = () => {};
  let buffer: EventInfo[] = [];
  let frame = 0;
  const flush = () => {
    frame = 0;
    const batch = buffer;
    buffer = [];
    if (!log.append(batch)) return;
    on.changed();
    band.saw(chat.id, log.lastSeq);
    if (batch.some((e) => e.type === "turn_ended")) band.turnEnded(chat.id, chat.workspaceId);
  };
  const load = async () => {
    for (let attempt = 0; !cancelled; attempt++) {
      try {
        const page = await band.newestPage(chat.id);
        if (cancelled) return;
        log.append([...page].sort((a, b) => a.seq - b.seq));
        on.ready();
        band.saw(chat.id, log.lastSeq);
        // Live from the last event loaded: the server replays anything in between.
        unsubscribe = band.rpc.subscribeChat(chat.id, log.lastSeq, (e) => {
          buffer.push(e);
          if (!frame) frame = timing.frame(flush);
        });
        return;
      } catch {
        on.failed();
        await timing.sleep(Math.min(5000, 500 * 2 ** attempt));
      }
    }
  };
  void load();
  return () => {
    cancelled = true;
    unsubscribe();
    timing.cancelFrame(frame);
  };
}

/** Adds the page before the first event loaded to `log`; true when that changed it. */
export async function prependOlder(band: Band, chat: number, log: ChatLog): Promise<boolean> {
  const page = await band.rpc.call("chats.events", { chat, before: log.firstSeq, limit: PAGE });
  return log.prepend(page);
}

/** A chat's log: the newest page, then live; older pages as the user scrolls up. */
export function useChatLog(chat: ChatInfo) {
  const band = useBand();
  const [log] = useState(() => new ChatLog(chat.id));
  const [version, setVersion] = useState(0);
  const [state, setState] = useState<"loading" | "ready" | "error">("loading");
  const loadingOlder = useRef(false);
  const [olderBusy, setOlderBusy] = useState(false);

  useEffect(
    () =>
      followChat(band, { id: chat.id, workspaceId: chat.workspaceId }, log, {
        ready: () => {
          setVersion(log.version);
          setState("ready");
        },
        changed: () => setVersion(log.version),
        failed: () => setState("error"),
      }),
    [band, chat.id, chat.workspaceId, log],
  );

  const loadOlder = useCallback(async () => {
    if (loadingOlder.current || !log.hasOlder || !log.events.length) return;
    loadingOlder.current = true;
    setOlderBusy(true);
    try {
      if (await prependOlder(band, chat.id, log)) setVersion(log.version);
    } catch {
      // Tried again on the next scroll.
    } finally {
      loadingOlder.current = false;
      setOlderBusy(false);
    }
  }, [band, chat.id, log]);

  return { log, version, state, loadOlder, olderBusy };
}

export interface Usage {
  /** Finished turns by the sequence number of their `turn_ended`. */
  turns: Map<number, TurnInfo>;
  totals: UsageTotalsInfo;
}

export async function loadUsage(band: Band, chat: number): Promise<Usage> {
  const [turns, totals] = await Promise.all([band.rpc.call("chats.turns", { chat }), band.rpc.call("chats.usage", { chat })]);
  return { turns: new Map(turns.filter((t) => t.endedSeq != null).map((t) => [t.endedSeq!, t])), totals };
}

/** Per-turn figures (duration) and the chat's totals, reloaded after every turn. */
export function useUsage(chat: ChatInfo) {
  const band = useBand();
  const [turns, setTurns] = useState<Map<number, TurnInfo>>(new Map());
  const [totals, setTotals] = useState<UsageTotalsInfo | null>(null);
  useEffect(() => {
    let cancelled = false;
    const load = async () => {
      try {
        const usage = await loadUsage(band, chat.id);
        if (cancelled) return;
        setTurns(usage.turns);
        setTotals(usage.totals);
      } catch {
        // Shown when the next turn ends.
      }
    };
    void load();
    const off = band.onTurnEnded((id) => id === chat.id && void load());
    return () => {
      cancelled = true;
      off();
    };
  }, [band, chat.id]);
  return { turns, totals };
}
