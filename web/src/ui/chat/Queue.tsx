// The messages waiting for the agent to be free: with control access they can be moved up and
// down, edited and cancelled. A message being edited is held on the server, so a turn that ends
// meanwhile waits for the edit instead of sending the old text; if it went out anyway (the hold
// lapsed), the edited text is kept and can be sent as a new message.

import { useEffect, useRef, useState } from "react";
import type { QueuedInfo } from "../../api/types";
import { useBand, useCan } from "../../state/band";
import { cancelQueued, editQueued, holdQueued, moveQueued, sendMessage } from "../../state/chat";
import { errorText } from "../../state/errors";

/** How often a hold is renewed while the edit box is open (the server lets one lapse after 120 s). */
const RENEW_MS = 60_000;

export function Queue({ chat, queue }: { chat: number; queue: QueuedInfo[] }) {
  const band = useBand();
  const control = useCan("control");
  const [editing, setEditing] = useState<number | null>(null);
  const [draft, setDraft] = useState("");
  const fail = (e: unknown) => alert(errorText(e));
  const move = (id: number, position: number) => moveQueued(band, chat, id, position).catch(fail);
  const held = useRef<number | null>(null);

  // While the edit box is open the message stays held (renewed); closing it releases it.
  useEffect(() => {
    if (editing === null) return;
    held.current = editing;
    const renew = setInterval(() => void holdQueued(band, chat, editing, true).catch(() => {}), RENEW_MS);
    return () => {
      clearInterval(renew);
      if (held.current === editing) void holdQueued(band, chat, editing, false).catch(() => {});
      held.current = null;
    };
  }, [band, chat, editing]);

  const startEditing = (q: QueuedInfo) => {
    setDraft(q.text);
    setEditing(q.id);
    holdQueued(band, chat, q.id, true).catch((e) => {
      setEditing(null);
      fail(e);
    });
  };
  const save = (id: number) => {
    // The server ends the hold with the edit (and sends it if the chat is free).
    held.current = null;
    editQueued(band, chat, id, draft).then(() => setEditing(null), fail);
  };
  const gone = editing !== null && !queue.some((q) => q.id === editing);

  return (
    <div className="queue" aria-label="Queued messages">
      <div className="small muted">Queued ({queue.length})</div>
      {gone && (
        <form
          className="row"
          data-testid="queued-sent"
          onSubmit={(e) => {
            e.preventDefault();
            sendMessage(band, chat, draft).then(() => setEditing(null), fail);
          }}
        >
          <span className="small error">The original was sent before your edit was saved.</span>
          <input value={draft} onChange={(e) => setDraft(e.target.value)} aria-label="Edited message" />
          <button type="submit">Send edited text</button>
          <button type="button" className="secondary" onClick={() => setEditing(null)}>
            Discard
          </button>
        </form>
      )}
      <ol>
        {queue.map((q, i) => (
          <li key={q.id} data-testid="queued">
            {editing === q.id ? (
              <form
                className="row"
                onSubmit={(e) => {
                  e.preventDefault();
                  save(q.id);
                }}
              >
                <input value={draft} onChange={(e) => setDraft(e.target.value)} aria-label="Queued message" />
                <button type="submit">Save</button>
                <button type="button" className="secondary" onClick={() => setEditing(null)}>
                  Cancel
                </button>
                <span className="small muted" data-testid="held">
                  Held: the agent waits for your edit.
                </span>
              </form>
            ) : (
              <div className="row">
                <span className="queued-text">{q.text}</span>
                {control && (
                  <>
                    <button
                      type="button"
                      className="secondary"
                      aria-label="Move up"
                      disabled={i === 0}
                      onClick={() => move(q.id, i - 1)}
                    >
                      ↑
                    </button>
                    <button
                      type="button"
                      className="secondary"
                      aria-label="Move down"
                      disabled={i === queue.length - 1}
                      onClick={() => move(q.id, i + 1)}
                    >
                      ↓
                    </button>
                    <button type="button" className="secondary" onClick={() => startEditing(q)}>
                      Edit
                    </button>
                    <button type="button" className="secondary" onClick={() => cancelQueued(band, chat, q.id).catch(fail)}>
                      Cancel
                    </button>
                  </>
                )}
              </div>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}
