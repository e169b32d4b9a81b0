// The overview: every chat of every workspace at a glance (chats.overview), the ones that need
// someone first, filtered by project, status, agent and text. Fetched when shown, again whenever
// a chat's status or log moves (workspace notices), and every few seconds for last messages.

import { useEffect, useState } from "react";
import type { ChatOverviewInfo } from "../api/types";
import { badgeOf } from "./app";
import { useBand, type Band } from "./band";
import { errorText } from "./errors";

export function loadOverview(band: Band): Promise<ChatOverviewInfo[]> {
  return band.rpc.call("chats.overview", {});
}

export interface OverviewFilter {
  /** A project's name; empty: all. */
  project: string;
  /** A badge (waiting, failed, working, interrupted, idle); empty: all. */
  status: string;
  /** An agent id; empty: all. */
  agent: string;
  /** Words found in the chat's name, branch, project, agent, last message or what it waits on. */
  text: string;
}

export const noFilter: OverviewFilter = { project: "", status: "", agent: "", text: "" };

export function filterOverview(items: readonly ChatOverviewInfo[], f: OverviewFilter): ChatOverviewInfo[] {
  const words = f.text.toLowerCase().split(/\s+/).filter(Boolean);
  return items.filter((o) => {
    if (f.project && o.project !== f.project) return false;
    if (f.status && badgeOf(o.chat.status) !== f.status) return false;
    if (f.agent && o.chat.agent !== f.agent) return false;
    if (words.length === 0) return true;
    const hay = [o.chat.name, o.project, o.branch, o.chat.agent, o.lastMessage ?? "", ...o.pending.map((p) => `${p.tool} ${p.summary}`)]
      .join("\n")
      .toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** "3s", "4m", "2h 5m", "3d": how long since `since` (Unix ms). */
export function elapsed(since: number, now: number): string {
  const s = Math.max(0, Math.floor((now - since) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d`;
}

/** "12.3k tokens · $0.04" (the cost only when reported). */
export function usageText(o: ChatOverviewInfo): string {
  const u = o.usage.usage;
  const tokens = u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens;
  const t = tokens >= 1000 ? `${(tokens / 1000).toFixed(1)}k` : String(tokens);
  return u.costUsd != null ? `${t} tokens · $${u.costUsd.toFixed(2)}` : `${t} tokens`;
}

/** How often the overview is fetched again while shown, for last messages between statuses. */
const REFRESH_MS = 5000;

/** The overview, live while mounted: refetched on chat changes (debounced) and every few seconds. */
export function useOverview(): { items: ChatOverviewInfo[] | null; error: string | null; refresh(): void } {
  const band = useBand();
  const [items, setItems] = useState<ChatOverviewInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [nudge, setNudge] = useState(0);
  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    let again = false;
    const fetchNow = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        const next = await loadOverview(band);
        if (alive) {
          setItems(next);
          setError(null);
        }
      } catch (e) {
        if (alive) setError(errorText(e));
      } finally {
        running = false;
        if (again && alive) {
          again = false;
          void fetchNow();
        }
      }
    };
    const soon = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        void fetchNow().finally(() => alive && soon(REFRESH_MS));
      }, ms);
    };
    void fetchNow();
    soon(REFRESH_MS);
    let key = chatsKey(band);
    const unsubscribe = band.state.subscribe(() => {
      const next = chatsKey(band);
      if (next !== key) {
        key = next;
        soon(150);
      }
    });
    return () => {
      alive = false;
      clearTimeout(timer);
      unsubscribe();
    };
  }, [band, nudge]);
  return { items, error, refresh: () => setNudge((n) => n + 1) };
}

function chatsKey(band: Band): string {
  const s = band.state.get();
  return Object.values(s.chats)
    .map((c) => `${c.id}:${c.status}:${c.lastSeq}:${c.name}`)
    .join(",");
}
