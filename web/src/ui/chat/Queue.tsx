// The messages waiting for the agent to be free: with control access they can be moved up and
// down, edited and cancelled.

import { useState } from "react";
import type { QueuedInfo } from "../../api/types";
import { useBand, useCan } from "../../state/band";
import { cancelQueued, editQueued, moveQueued } from "../../state/chat";
import { errorText } from "../../state/errors";

export function Queue({ chat, queue }: { chat: number; queue: QueuedInfo[] }) {
  const band = useBand();
  const control = useCan("control");
  const [editing, setEditing] = useState<number | null>(null);
  const [draft, setDraft] = useState("");
  const fail = (e: unknown) => alert(errorText(e));
  const move = (id: number, position: number) => moveQueued(band, chat, id, position).catch(fail);
  return (
    <div className="queue" aria-label="Queued messages">
      <div className="small muted">Queued ({queue.length})</div>
      <ol>
        {queue.map((q, i) => (
          <li key={q.id} data-testid="queued">
            {editing === q.id ? (
              <form
                className="row"
                onSubmit={(e) => {
                  e.preventDefault();
                  editQueued(band, chat, q.id, draft).then(() => setEditing(null), fail);
                }}
              >
                <input value={draft} onChange={(e) => setDraft(e.target.value)} aria-label="Queued message" />
                <button type="submit">Save</button>
                <button type="button" className="secondary" onClick={() => setEditing(null)}>
                  Cancel
                </button>
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
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => {
                        setDraft(q.text);
                        setEditing(q.id);
                      }}
                    >
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
