// A terminal chat's terminal in its chat pane: the agent's own screen (xterm.js, the Terminal
// pane's view), typed into like any terminal with control access, watched with read access.
// Found among the workspace's terminals by its chat; looked for again whenever the chat's status
// changes (its agent starts with the first message, and stops with the chat).
// Loaded on demand, with xterm.js.

import { useEffect, useState } from "react";
import type { ChatInfo, TerminalInfo } from "../../api/types";
import { useBand, useCan } from "../../state/band";
import { chatTerminal } from "../../state/terminals";
import { XtermView } from "./TerminalPane";

export default function ChatTerminal({ chat, narrow }: { chat: ChatInfo; narrow: boolean }) {
  const band = useBand();
  const control = useCan("control");
  const [terminal, setTerminal] = useState<TerminalInfo | null | undefined>(undefined);
  useEffect(() => {
    let cancelled = false;
    chatTerminal(band, chat.workspaceId, chat.id).then(
      (t) => !cancelled && setTerminal((old) => (old && t && old.id === t.id ? old : t)),
      () => !cancelled && setTerminal(null),
    );
    return () => {
      cancelled = true;
    };
  }, [band, chat.workspaceId, chat.id, chat.status]);
  return (
    <section className="chat-terminal" aria-label="The agent's terminal" data-testid="chat-terminal">
      {terminal ? (
        <XtermView
          key={terminal.id}
          terminal={terminal}
          visible
          focus={false}
          focusRequest={0}
          onLeave={() => (document.activeElement as HTMLElement | null)?.blur()}
          readOnly={!control}
          onConnection={() => {}}
          onGone={() => setTerminal(null)}
        />
      ) : (
        <p className="muted pad small">
          {terminal === undefined
            ? "Looking for the agent's terminal…"
            : "The agent's terminal opens with the next message."}
          {narrow ? "" : " Messages you send are typed into it."}
        </p>
      )}
    </section>
  );
}
