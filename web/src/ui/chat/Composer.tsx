// Where a message is written: Enter sends (Shift+Enter: a new line); while the agent is busy the
// message is queued.

import { useState, type FormEvent, type KeyboardEvent } from "react";
import type { ChatInfo } from "../../api/types";
import { useBand } from "../../state/band";
import { sendMessage } from "../../state/chat";
import { errorText } from "../../state/errors";

export function Composer({ chat }: { chat: ChatInfo }) {
  const band = useBand();
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const send = async (e?: FormEvent) => {
    e?.preventDefault();
    const message = text.trim();
    if (!message) return;
    setError(null);
    try {
      await sendMessage(band, chat.id, message);
      setText("");
    } catch (err) {
      setError(errorText(err));
    }
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    }
  };
  const busy = chat.status === "working" || chat.status === "waiting";
  return (
    <form className="composer" onSubmit={send}>
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
      <textarea
        aria-label="Message"
        placeholder={busy ? "Queue a message for when the agent is free…" : "Message the agent… (Enter sends, Shift+Enter: new line)"}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKey}
        rows={2}
      />
      <button type="submit" className="primary" disabled={!text.trim()}>
        {busy ? "Queue" : "Send"}
      </button>
    </form>
  );
}
