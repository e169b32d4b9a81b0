// An agent's permission request: what it wants to do, and Allow / Deny while it waits (for a
// device with control access), or who decided and how.

import type { Item } from "../../state/chatlog";
import { changeOf, gist, pretty } from "./format";

export function PermissionCard({
  item,
  onRespond,
}: {
  item: Extract<Item, { kind: "permission" }>;
  /** Absent: this device may not answer (read access). */
  onRespond?(request: string, decision: "allow" | "deny"): void;
}) {
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
      <PermissionInput input={item.input} />
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
}

/** Lines shown before a long change is folded. */
const FOLD = 20;

/**
 * What the agent asks to do: for a file write or edit, the path and what will be written (the
 * content, or the lines replaced and their replacement), folded when long; otherwise the command,
 * path or input.
 */
function PermissionInput({ input }: { input: unknown }) {
  const change = changeOf(input);
  if (!change) return <pre className="permission-input">{gist(input) || pretty(input)}</pre>;
  const lines = change.lines;
  const body = (ls: typeof lines) => (
    <pre className="permission-input change" data-testid="permission-change">
      {ls.map((l, i) => (
        <span key={i} className={l.kind === "+" ? "add" : l.kind === "-" ? "del" : undefined}>
          {l.kind === " " ? "  " : `${l.kind} `}
          {l.text}
          {"\n"}
        </span>
      ))}
    </pre>
  );
  return (
    <>
      <div className="permission-path">
        <code>{change.path}</code> <span className="small muted">{change.summary}</span>
      </div>
      {lines.length <= FOLD ? (
        body(lines)
      ) : (
        <details>
          <summary className="small">
            Show all {lines.length} lines
          </summary>
          {body(lines)}
        </details>
      )}
      {lines.length > FOLD && <div className="small muted">First lines: {lines.slice(0, 3).map((l) => l.text).join(" ⏎ ")}…</div>}
    </>
  );
}
