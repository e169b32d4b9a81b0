import { memo, useCallback, useEffect, useState, type FormEvent, type KeyboardEvent } from "react";
import type { ChatInfo, QueuedInfo, TurnInfo, UsageTotalsInfo, WorkspaceInfo } from "../api/types";
import { useBand, useCan } from "../state/band";
import { chatsOf, isUnread } from "../state/app";
import {
  cancelQueued,
  createChat,
  editQueued,
  loadQueue,
  moveQueued,
  respond as answer,
  sendMessage,
  stopChat,
  updateChat,
  useChatLog,
  useUsage,
} from "../state/chat";
import { compact, usd, type Item } from "../state/chatlog";
import { errorText } from "../state/errors";
import { useStore } from "../state/store";
import { navigate, useRoute } from "./route";
import { AgentAndMode, MODES } from "./widgets/AgentAndMode";
import { Markdown } from "./widgets/markdown";
import { VirtualList } from "./widgets/VirtualList";

/** Rows are keyed by the sequence number of their first event (`e<seq>`). */
const seqOfKey = (key: string) => Number(key.slice(1));

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

function ChatTabs({ chats, current, onNew }: { chats: ChatInfo[]; current?: number; onNew(): void }) {
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

function NewChat({ workspace, onDone, canCancel }: { workspace: WorkspaceInfo; onDone(): void; canCancel: boolean }) {
  const band = useBand();
  const route = useRoute();
  const [agent, setAgent] = useState("claude-code");
  const [mode, setMode] = useState("ask");
  const [message, setMessage] = useState("");
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const chat = await createChat(band, workspace.id, agent, mode);
      if (message.trim()) await sendMessage(band, chat.id, message.trim());
      onDone();
      navigate({ ...route, chat: chat.id });
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form className="form new-chat" onSubmit={submit}>
      <h2>Start a chat</h2>
      <AgentAndMode agent={agent} mode={mode} onAgent={setAgent} onMode={setMode} />
      <label>
        Message
        <textarea value={message} onChange={(e) => setMessage(e.target.value)} rows={4} />
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="form-actions">
        {canCancel && (
          <button type="button" className="secondary" onClick={onDone}>
            Cancel
          </button>
        )}
        <button type="submit" className="primary">
          Start
        </button>
      </div>
    </form>
  );
}

function Chat({ chat, workspace, onNew }: { chat: ChatInfo; workspace: WorkspaceInfo; onNew(): void }) {
  const band = useBand();
  const { log, version, state, loadOlder, olderBusy } = useChatLog(chat);
  const { turns, totals } = useUsage(chat);
  const queue = useStore(band.state, (s) => s.queues[chat.id]);
  useEffect(() => void loadQueue(band, chat.id).catch(() => {}), [band, chat.id]);

  const control = useCan("control");
  const respond = useCallback(
    (request: string, decision: "allow" | "deny") =>
      answer(band, chat.id, request, decision).catch((e) => alert(errorText(e))),
    [band, chat.id],
  );
  const render = useCallback(
    (item: Item) => (
      <ItemView item={item} onRespond={control ? respond : undefined} turn={item.kind === "turn" ? turns.get(item.seq) : undefined} />
    ),
    [respond, turns, control],
  );
  const keyOf = useCallback((i: Item) => i.key, []);
  const working = chat.status === "working" || chat.status === "waiting";

  return (
    <div className="chat" data-testid="chat" data-status={chat.status}>
      <ChatControls chat={chat} totals={totals} onNew={onNew} />
      {state === "loading" ? (
        <div className="muted center grow">Loading…</div>
      ) : (
        <VirtualList
          items={log.items}
          version={version}
          keyOf={keyOf}
          render={render}
          onNearTop={loadOlder}
          orderOf={seqOfKey}
          label={`Chat ${chat.name || chat.id} in ${workspace.branch}`}
          className="stream"
          header={
            log.hasOlder ? (
              <div className="muted center small">{olderBusy ? "Loading older events…" : "Scroll up for older events"}</div>
            ) : (
              <div className="muted center small">Start of the chat</div>
            )
          }
        />
      )}
      {state === "error" && <div className="error small center">Could not load this chat; retrying…</div>}
      {working && (
        <div className="working-line small muted" aria-live="polite">
          <span className={`status-dot status-${chat.status}`} /> {chat.status === "waiting" ? "Waiting for you" : "Working…"}
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

function ChatControls({ chat, totals, onNew }: { chat: ChatInfo; totals: UsageTotalsInfo | null; onNew(): void }) {
  const band = useBand();
  const [model, setModel] = useState(chat.model ?? "");
  useEffect(() => setModel(chat.model ?? ""), [chat.model]);
  const update = (change: { model?: string; mode?: string }) =>
    updateChat(band, chat.id, change).catch((e) => alert(errorText(e)));
  const busy = chat.status === "working" || chat.status === "waiting";
  const control = useCan("control");
  return (
    <div className="chat-controls">
      <span className="agent" title="Agent">
        {chat.agent}
      </span>
      <label className="inline">
        <span className="sr-only">Mode</span>
        <select aria-label="Mode" value={chat.mode} disabled={!control} onChange={(e) => void update({ mode: e.target.value })}>
          {MODES.map(([m]) => (
            <option key={m}>{m}</option>
          ))}
        </select>
      </label>
      <input
        aria-label="Model"
        className="model"
        value={model}
        placeholder="default model"
        readOnly={!control}
        onChange={(e) => setModel(e.target.value)}
        onBlur={() => model !== (chat.model ?? "") && void update({ model })}
        onKeyDown={(e) => e.key === "Enter" && (e.target as HTMLInputElement).blur()}
      />
      <span className="totals small muted" data-testid="totals" title="Tokens in / out and cost, all turns">
        {totals && totals.turns > 0
          ? `${totals.turns} turn${totals.turns === 1 ? "" : "s"} · ${compact(totals.usage.inputTokens)} in · ${compact(totals.usage.outputTokens)} out${totals.usage.costUsd != null ? ` · ${usd(totals.usage.costUsd)}` : ""}`
          : ""}
      </span>
      {busy && control && (
        <button type="button" className="danger" onClick={() => stopChat(band, chat.id).catch((e) => alert(errorText(e)))}>
          Stop
        </button>
      )}
      {control && (
        <button type="button" className="secondary" onClick={onNew}>
          + Chat
        </button>
      )}
    </div>
  );
}

function Composer({ chat }: { chat: ChatInfo }) {
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
                <button
                  type="button"
                  className="secondary"
                  onClick={() => cancelQueued(band, chat, q.id).catch(fail)}
                >
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

function pretty(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  try {
    return JSON.stringify(v, null, 2);
  } catch {
    return String(v);
  }
}

/** The one line that says what a tool call does (a command, a path), when its input has one. */
function gist(input: unknown): string {
  if (!input || typeof input !== "object") return "";
  const o = input as Record<string, unknown>;
  for (const k of ["command", "file_path", "path", "pattern", "url", "description"]) {
    const v = o[k];
    if (typeof v === "string" && v) return v;
    if (Array.isArray(v) && v.length) return v.join(" ");
  }
  return "";
}

const ItemView = memo(function ItemView({
  item,
  onRespond,
  turn,
}: {
  item: Item;
  /** Absent: this device may not answer (read access). */
  onRespond?(request: string, decision: "allow" | "deny"): void;
  turn?: TurnInfo;
}) {
  switch (item.kind) {
    case "prompt":
      return (
        <div className="msg msg-user" data-seq={item.seq}>
          <div className="bubble">{item.text}</div>
        </div>
      );
    case "message":
      return (
        <div className={`msg msg-agent ${item.thought ? "thought" : ""}`} data-seq={item.seq}>
          {item.thought ? <div className="thought-text">{item.text}</div> : <Markdown text={item.text} />}
        </div>
      );
    case "tool":
      return (
        <details className={`tool tool-${item.status}`} data-testid="tool-call">
          <summary>
            <span className="tool-kind">{item.toolKind}</span>
            <span className="tool-title">{item.title}</span>
            {!item.title.includes(gist(item.input)) && <span className="tool-gist">{gist(item.input)}</span>}
            <span className={`chip chip-${item.status}`}>{item.status.replace("_", " ")}</span>
          </summary>
          <div className="tool-body">
            <div className="small muted">Input</div>
            <pre>{pretty(item.input)}</pre>
            {item.output !== undefined && item.output !== null && (
              <>
                <div className="small muted">Output</div>
                <pre>{item.output}</pre>
              </>
            )}
          </div>
        </details>
      );
    case "permission":
      return (
        <div className={`permission ${item.decision ? "resolved" : "pending"}`} data-testid="permission">
          <div className="permission-head">
            <strong>{item.tool}</strong> wants permission
            {item.decision && (
              <span className={`chip chip-${item.decision}`}>
                {item.decision === "allow" ? "allowed" : item.decision === "deny" ? "denied" : item.decision}
                {item.by ? ` by ${item.by === "user" ? "you" : item.by}` : ""}
              </span>
            )}
          </div>
          <pre className="permission-input">{gist(item.input) || pretty(item.input)}</pre>
          {!item.decision && !onRespond && <div className="small muted">Waiting for someone with control access.</div>}
          {!item.decision && onRespond && (
            <div className="permission-actions">
              <button type="button" className="primary" onClick={() => onRespond(item.requestId, "allow")}>
                Allow
              </button>
              <button type="button" className="danger" onClick={() => onRespond(item.requestId, "deny")}>
                Deny
              </button>
            </div>
          )}
        </div>
      );
    case "plan":
      return (
        <div className="plan">
          <div className="small muted">Plan</div>
          <ol>
            {item.entries.map((e, i) => (
              <li key={i}>{e}</li>
            ))}
          </ol>
        </div>
      );
    case "turn": {
      const usage = turn?.usage ?? item.usage;
      const ms = turn?.durationMs ?? item.durationMs;
      return (
        <div className={`turn-end ${item.error ? "failed" : ""}`} data-testid="turn-end">
          <span>{item.error ? `failed: ${item.error}` : (item.stopReason ?? "ended").replace(/_/g, " ")}</span>
          <span>
            {compact(usage.inputTokens)} in · {compact(usage.outputTokens)} out
            {usage.cacheReadTokens ? ` · ${compact(usage.cacheReadTokens)} cached` : ""}
            {usage.costUsd != null ? ` · ${usd(usage.costUsd)}` : ""}
            {ms != null ? ` · ${(ms / 1000).toFixed(1)} s` : ""}
          </span>
        </div>
      );
    }
    case "error":
      return (
        <div className="msg-error" role="alert">
          {item.message}
        </div>
      );
  }
});
