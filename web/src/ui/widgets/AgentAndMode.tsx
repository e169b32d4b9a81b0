// The agents band can run and the permission modes a chat can have, and the pickers for both
// (the new-workspace dialog and the new-chat form; the chat header uses MODES for its own select).

export const AGENTS = ["claude-code", "codex"] as const;
export const MODES = [
  ["ask", "Ask: every tool call asks you"],
  ["accept-edits", "Accept edits: file edits allowed, commands ask"],
  ["allow-all", "Allow all"],
] as const;

/** The agent and permission-mode pickers of a new chat (named `agent` and `mode` in a form). */
export function AgentAndMode(props: { agent: string; mode: string; onAgent(a: string): void; onMode(m: string): void }) {
  return (
    <div className="form-row">
      <label>
        Agent
        <select name="agent" value={props.agent} onChange={(e) => props.onAgent(e.target.value)}>
          {AGENTS.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
      </label>
      <label>
        Mode
        <select name="mode" value={props.mode} onChange={(e) => props.onMode(e.target.value)}>
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
