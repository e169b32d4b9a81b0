// The pickers for a chat's agent and permission mode (the new-workspace dialog and the new-chat
// form; the chat header uses MODE_LABELS for its own select). The agents come from the server
// (`agents.list`, through state/agents): installed ones first, with their versions; the others
// are listed disabled, saying how to install them. The modes come from the API (`ModeValues`);
// only their labels are the dashboard's, one per mode, checked by the compiler.

import { useEffect, useRef } from "react";
import { ModeValues, type AgentId, type Mode } from "../../api/types";
import { defaultAgent, useAgents } from "../../state/agents";

export const MODE_LABELS: Record<Mode, string> = {
  ask: "Ask: every tool call asks you",
  "accept-edits": "Accept edits: file edits allowed, commands ask",
  "allow-all": "Allow all",
};

/** The modes, in the API's order, with their labels. */
export const MODES: readonly (readonly [Mode, string])[] = ModeValues.map((m) => [m, MODE_LABELS[m]] as const);

/** The agent and permission-mode pickers of a new chat (named `agent` and `mode` in a form). */
export function AgentAndMode(props: { agent: AgentId; mode: Mode; onAgent(a: AgentId): void; onMode(m: Mode): void }) {
  const { choices, error } = useAgents();
  const { agent, onAgent } = props;
  // Once the list is here, a default that cannot run here gives way to one that can.
  const settled = useRef(false);
  useEffect(() => {
    if (settled.current || !choices.length) return;
    settled.current = true;
    if (!choices.some((c) => c.id === agent && c.usable)) onAgent(defaultAgent(choices));
  }, [choices, agent, onAgent]);
  const usable = choices.filter((c) => c.usable);
  const others = choices.filter((c) => !c.usable);
  const selected = choices.find((c) => c.id === agent);
  return (
    <div className="form-row">
      <label>
        Agent
        <select name="agent" value={agent} onChange={(e) => onAgent(e.target.value)}>
          {!choices.length && <option value={agent}>{agent}</option>}
          {usable.length > 0 && (
            <optgroup label="Installed">
              {usable.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.label}
                </option>
              ))}
            </optgroup>
          )}
          {others.length > 0 && (
            <optgroup label="Not available here">
              {others.map((c) => (
                <option key={c.id} value={c.id} disabled>
                  {c.label}: {c.hint}
                </option>
              ))}
            </optgroup>
          )}
        </select>
        {selected && !selected.usable && <small className="hint">{selected.hint}</small>}
        {error && <small className="hint">The agent list could not be loaded; Claude Code is the default.</small>}
      </label>
      <label>
        Mode
        <select name="mode" value={props.mode} onChange={(e) => props.onMode(e.target.value as Mode)}>
          {MODES.map(([m, label]) => (
            <option key={m} value={m}>
              {label}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
