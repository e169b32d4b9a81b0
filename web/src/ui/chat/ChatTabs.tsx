// The workspace's chats as tabs (with unread markers and status dots), and "+ Chat".

import type { ChatInfo } from "../../api/types";
import { isUnread } from "../../state/app";
import { useBand, useCan } from "../../state/band";
import { useStore } from "../../state/store";
import { navigate, useRoute } from "../route";

export function ChatTabs({ chats, current, onNew }: { chats: ChatInfo[]; current?: number; onNew(): void }) {
  const band = useBand();
  const route = useRoute();
  const unread = useStore(band.state, (s) => chats.filter((c) => isUnread(s, c)).map((c) => c.id).join(","));
  const control = useCan("control");
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
          {c.name || `chat ${c.id}`}
          {unread.split(",").includes(String(c.id)) && <span className="unread" aria-label="unread" />}
          <span className={`status-dot status-${c.status}`} title={c.status} />
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
