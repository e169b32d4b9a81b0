// The chat's header: its agent, mode and model (changeable with control access), the usage of all
// its turns, Stop while the agent works, and "+ Chat".

import { useEffect, useState } from "react";
import type { ChatInfo, Mode, UsageTotalsInfo } from "../../api/types";
import { useBand, useCan } from "../../state/band";
import { stopChat, updateChat } from "../../state/chat";
import { compact, usd } from "../../state/chatlog";
import { errorText } from "../../state/errors";
import { MODES } from "../widgets/AgentAndMode";

export function ChatHeader({ chat, totals, onNew }: { chat: ChatInfo; totals: UsageTotalsInfo | null; onNew(): void }) {
  const band = useBand();
  const [model, setModel] = useState(chat.model ?? "");
  useEffect(() => setModel(chat.model ?? ""), [chat.model]);
  const update = (change: { model?: string; mode?: Mode }) =>
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
