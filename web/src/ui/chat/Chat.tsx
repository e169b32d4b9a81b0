// One open chat: its header, its log, whether the agent is working or waiting, its queue, and the
// composer (or, for a read-only device, a line saying it can watch).

import { Suspense, lazy, useCallback, useEffect } from "react";
import type { ChatInfo, WorkspaceInfo } from "../../api/types";
import { useBand, useCan } from "../../state/band";
import { loadQueue, respond, useChatLog, useUsage } from "../../state/chat";
import { errorText } from "../../state/errors";
import { useStore } from "../../state/store";
import { ChatHeader } from "./ChatHeader";
import { Composer } from "./Composer";
import { Log } from "./Log";
import { Queue } from "./Queue";
import { useMedia } from "../media";

// A terminal chat shows its agent's terminal (xterm.js, loaded on demand).
const ChatTerminal = lazy(() => import("../terminal/ChatTerminal"));

export function Chat({ chat, workspace, onNew }: { chat: ChatInfo; workspace: WorkspaceInfo; onNew(): void }) {
  const band = useBand();
  const { log, version, state, loadOlder, olderBusy } = useChatLog(chat);
  const { turns, totals } = useUsage(chat);
  const queue = useStore(band.state, (s) => s.queues[chat.id]);
  useEffect(() => void loadQueue(band, chat.id).catch(() => {}), [band, chat.id]);

  const control = useCan("control");
  const answer = useCallback(
    (request: string, decision: "allow" | "deny") => respond(band, chat.id, request, decision).catch((e) => alert(errorText(e))),
    [band, chat.id],
  );
  const working = chat.status === "working" || chat.status === "waiting";
  const narrow = useMedia("(max-width: 760px)");

  return (
    <div className="chat" data-testid="chat" data-status={chat.status}>
      <ChatHeader chat={chat} totals={totals} onNew={onNew} />
      {chat.via === "terminal" && (
        <Suspense fallback={<p className="muted pad small">Loading the terminal…</p>}>
          <ChatTerminal chat={chat} narrow={narrow} />
        </Suspense>
      )}
      {state === "loading" ? (
        <div className="muted center grow">Loading…</div>
      ) : (
        <Log
          log={log}
          version={version}
          turns={turns}
          onRespond={control ? answer : undefined}
          loadOlder={loadOlder}
          olderBusy={olderBusy}
          label={`Chat ${chat.name || chat.id} in ${workspace.branch}`}
        />
      )}
      {state === "error" && <div className="error small center">Could not load this chat; retrying…</div>}
      {working && (
        <div className="working-line small muted" aria-live="polite">
          <span className={`status-dot status-${chat.status}`} /> {chat.status === "waiting" ? "Waiting for you" : "Working…"}
        </div>
      )}
      {!working && chat.labels.queued && (
        <div className="working-line small muted" aria-live="polite" data-testid="queued-for-slot">
          queued: {chat.labels.queued}
        </div>
      )}
      {queue && queue.length > 0 && <Queue chat={chat.id} queue={queue} />}
      {control ? (
        <Composer chat={chat} />
      ) : (
        <p className="read-only small muted" data-testid="read-only">
          This device has read access: it can watch, not act.
        </p>
      )}
    </div>
  );
}
