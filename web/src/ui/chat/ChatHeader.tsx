// The chat's header: its agent, mode and model (changeable with control access), the usage of all
// its turns, Stop while the agent works, and "+ Chat".

import { Suspense, lazy, useEffect, useState } from "react";
import type { ChatInfo, Mode, UsageTotalsInfo } from "../../api/types";
import { useBand, useCan } from "../../state/band";
import { deleteChat, renameChat, stopChat, updateChat } from "../../state/chat";
import { compact, usd } from "../../state/chatlog";
import { errorText } from "../../state/errors";
import { MODES } from "../widgets/AgentAndMode";
import { Menu } from "../widgets/Menu";
import { Modal } from "../widgets/Modal";
import { navigate, useRoute } from "../route";

// A chat's budgets: the badge and its dialog load on demand (the first download's budget).
const BudgetBadge = lazy(() => import("./BudgetBadge"));
const BudgetDialog = lazy(() => import("./BudgetBadge").then((m) => ({ default: m.BudgetDialog })));

export function ChatHeader({ chat, totals, onNew }: { chat: ChatInfo; totals: UsageTotalsInfo | null; onNew(): void }) {
  const band = useBand();
  const [model, setModel] = useState(chat.model ?? "");
  useEffect(() => setModel(chat.model ?? ""), [chat.model]);
  const update = (change: { model?: string; mode?: Mode }) =>
    updateChat(band, chat.id, change).catch((e) => alert(errorText(e)));
  const busy = chat.status === "working" || chat.status === "waiting";
  const control = useCan("control");
  const admin = useCan("admin");
  const [dialog, setDialog] = useState<"rename" | "delete" | "budget" | null>(null);
  const [budgetVersion, setBudgetVersion] = useState(0);
  return (
    <div className="chat-controls">
      <span className="agent" title="Agent">
        {chat.agent}
      </span>
      <label className="inline">
        <span className="sr-only">Mode</span>
        <select aria-label="Mode" value={chat.mode} disabled={!control} onChange={(e) => void update({ mode: e.target.value as Mode })}>
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
      <Suspense fallback={null}>
        <BudgetBadge chat={chat} turns={totals?.turns ?? 0} version={budgetVersion} onOpen={() => setDialog("budget")} />
      </Suspense>
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
      {control && (
        <Menu
          label="Chat actions"
          items={[
            { label: "Rename chat", onSelect: () => setDialog("rename") },
            ...(admin ? [{ label: "Budgets…", onSelect: () => setDialog("budget") }] : []),
            { label: "Delete chat", danger: true, onSelect: () => setDialog("delete") },
          ]}
        />
      )}
      {dialog === "rename" && <RenameChat chat={chat} onClose={() => setDialog(null)} />}
      {dialog === "delete" && <DeleteChat chat={chat} onClose={() => setDialog(null)} />}
      {dialog === "budget" && (
        <Suspense fallback={null}>
          <BudgetDialog
            chat={chat}
            onClose={(changed) => {
              setDialog(null);
              if (changed) setBudgetVersion((v) => v + 1);
            }}
          />
        </Suspense>
      )}
    </div>
  );
}

function RenameChat({ chat, onClose }: { chat: ChatInfo; onClose(): void }) {
  const band = useBand();
  const [name, setName] = useState(chat.name);
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal title="Rename chat" onClose={onClose}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          renameChat(band, chat.id, name.trim()).then(onClose, (err) => setError(errorText(err)));
        }}
      >
        <label>
          Name
          <input name="name" value={name} onChange={(e) => setName(e.target.value)} autoFocus autoComplete="off" maxLength={200} />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!name.trim()}>
            Rename
          </button>
        </div>
      </form>
    </Modal>
  );
}

function DeleteChat({ chat, onClose }: { chat: ChatInfo; onClose(): void }) {
  const band = useBand();
  const route = useRoute();
  const busy = chat.status === "working" || chat.status === "waiting";
  const [error, setError] = useState<string | null>(null);
  const remove = () => {
    setError(null);
    deleteChat(band, chat.id, busy).then(
      () => {
        onClose();
        if (route.chat === chat.id) navigate({ ...route, chat: null }, true);
      },
      (err) => setError(errorText(err)),
    );
  };
  return (
    <Modal title={`Delete “${chat.name}”?`} onClose={onClose}>
      <div className="form">
        <p>
          This deletes the chat and its whole log (every message, tool call and decision). The workspace and its files stay.
          {busy && " Its agent is working: it is stopped first."}
        </p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="danger" onClick={remove}>
            {busy ? "Stop and delete" : "Delete"}
          </button>
        </div>
      </div>
    </Modal>
  );
}
