// The workspace's chats as tabs (with unread markers and status dots), and "+ Chat".

import type { ChatInfo } from "../../api/types";
import { chatLabels, isUnread } from "../../state/app";
import { useBand, useCan } from "../../state/band";
import { useStore } from "../../state/store";
import { navigate, useRoute } from "../route";

/** What each status dot means, in words (the legend and screen readers). */
export const STATUS_WORDS: Record<string, string> = {
  working: "working",
  waiting: "waiting for you",
  failed: "failed",
  interrupted: "interrupted",
  completed: "done",
  idle: "not started",
};

export function ChatTabs({ chats, current, onNew }: { chats: ChatInfo[]; current?: number; onNew(): void }) {
  const band = useBand();
  const route = useRoute();
  const unread = useStore(band.state, (s) => chats.filter((c) => isUnread(s, c)).map((c) => c.id).join(","));
  const control = useCan("control");
  const labels = chatLabels(chats);
  return (
    <div className="chat-tabs" role="tablist">
      {chats.map((c) => (
        <button
          key={c.id}
          type="button"
          role="tab"
          aria-selected={c.id === current}
          className={c.id === current ? "active" : ""}
          onClick={() => navigate({ ...route, chat: c.id })}
        >
          <span className={`status-dot status-${c.status}`} aria-hidden="true" />
          <span className="tab-name" title={c.name}>
            {labels.get(c.id)}
          </span>
          {unread.split(",").includes(String(c.id)) && <span className="unread" aria-label="unread" />}
          <span className="sr-only">({STATUS_WORDS[c.status] ?? c.status})</span>
        </button>
      ))}
      {control && (
        <button type="button" className="secondary" onClick={onNew}>
          + Chat
        </button>
      )}
    </div>
  );
}
