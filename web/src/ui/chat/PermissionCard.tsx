// An agent's permission request: what it wants to do, and Allow / Deny while it waits (for a
// device with control access), or who decided and how.

import type { Item } from "../../state/chatlog";
import { gist, pretty } from "./format";

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
}
