// The pickers for a chat's agent and permission mode (the new-workspace dialog and the new-chat
// form; the chat header uses MODE_LABELS for its own select). The values come from the API
// (`AgentValues`, `ModeValues`); only the labels are the dashboard's, one per mode, checked by
// the compiler.

import { AgentValues, ModeValues, type Agent, type Mode } from "../../api/types";

export const MODE_LABELS: Record<Mode, string> = {
  ask: "Ask: every tool call asks you",
  "accept-edits": "Accept edits: file edits allowed, commands ask",
  "allow-all": "Allow all",
};

/** The modes, in the API's order, with their labels. */
export const MODES: readonly (readonly [Mode, string])[] = ModeValues.map((m) => [m, MODE_LABELS[m]] as const);

/** The agent and permission-mode pickers of a new chat (named `agent` and `mode` in a form). */
export function AgentAndMode(props: { agent: Agent; mode: Mode; onAgent(a: Agent): void; onMode(m: Mode): void }) {
  return (
    <div className="form-row">
      <label>
        Agent
        <select name="agent" value={props.agent} onChange={(e) => props.onAgent(e.target.value as Agent)}>
          {AgentValues.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
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
