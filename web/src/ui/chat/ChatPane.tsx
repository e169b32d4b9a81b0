// The chat pane: the workspace's chats as tabs, the open one, or the form that starts one.

import { useEffect, useState } from "react";
import type { WorkspaceInfo } from "../../api/types";
import { chatsOf } from "../../state/app";
import { useBand, useCan } from "../../state/band";
import { useStore } from "../../state/store";
import { Chat } from "./Chat";
import { ChatTabs } from "./ChatTabs";
import { NewChat } from "./NewChat";

export function ChatPane({ workspace, chatId }: { workspace: WorkspaceInfo; chatId: number | null }) {
  const band = useBand();
  const chats = useStore(band.state, (s) => chatsOf(s, workspace.id));
  const chat = chats.find((c) => c.id === chatId) ?? chats[chats.length - 1];
  const [starting, setStarting] = useState(false);
  const control = useCan("control");

  useEffect(() => {
    if (!chat) return;
    band.open(chat.id);
    band.rememberLayout(workspace.id, { chat: chat.id });
    return () => band.open(null);
  }, [band, chat?.id, workspace.id]); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <section className="pane chat-pane" aria-label="Chat">
      {chats.length > 1 || starting ? (
        <ChatTabs chats={chats} current={chat?.id} onNew={() => setStarting(true)} />
      ) : null}
      {chat && !starting ? (
        <Chat key={chat.id} chat={chat} workspace={workspace} onNew={() => setStarting(true)} />
      ) : control ? (
        <NewChat workspace={workspace} onDone={() => setStarting(false)} canCancel={chats.length > 0} />
      ) : (
        <p className="muted center pad">No chat in this workspace yet.</p>
      )}
    </section>
  );
}
