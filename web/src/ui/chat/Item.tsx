// One row of a chat's log: the user's prompt, the agent's message (Markdown) or thought, a tool
// call with its input and output, a permission request, a plan, a turn's end with its usage, or
// an error.

import { memo, useState } from "react";
import type { TurnInfo } from "../../api/types";
import { compact, usd, type Item } from "../../state/chatlog";
import { Markdown } from "../widgets/markdown";
import { gist, pretty } from "./format";
import { PermissionCard } from "./PermissionCard";

export const ItemView = memo(function ItemView({
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
          <Prompt text={item.text} />
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
      return <PermissionCard item={item} onRespond={onRespond} />;
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

/** Prompts longer than this many lines (or characters) are folded to their start. */
const FOLD_LINES = 12;
const FOLD_CHARS = 1500;

/** The user's prompt; a long one (a pasted log) folded to its start, opened on request. */
function Prompt({ text }: { text: string }) {
  const [open, setOpen] = useState(false);
  const lines = text.split("\n");
  const long = lines.length > FOLD_LINES || text.length > FOLD_CHARS;
  if (!long || open) {
    return (
      <div className="bubble">
        {text}
        {long && (
          <button type="button" className="link fold" onClick={() => setOpen(false)}>
            Show less
          </button>
        )}
      </div>
    );
  }
  const start = lines.slice(0, FOLD_LINES).join("\n").slice(0, FOLD_CHARS);
  const kb = (new Blob([text]).size / 1024).toFixed(1);
  return (
    <div className="bubble folded">
      {start}…
      <button type="button" className="link fold" onClick={() => setOpen(true)}>
        Show all ({lines.length} lines, {kb} KB)
      </button>
    </div>
  );
}
