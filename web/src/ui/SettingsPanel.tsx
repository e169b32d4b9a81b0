// The Settings page (main token only; loaded on demand, so it is not in the first download):
// the defaults of a new chat, idle agents, where worktrees go, the terminals' shell, each saved
// on its own through settings.set (validated by the server, which says when a restart is
// needed); the agents band knows with how to install the missing ones; this browser's
// notifications.

import { useState, type FormEvent } from "react";
import { ModeValues } from "../api/types";
import { useAgents } from "../state/agents";
import { errorText } from "../state/errors";
import { useBand } from "../state/band";
import { setSetting, useSettings } from "../state/settings";
import { MODE_LABELS } from "./widgets/AgentAndMode";
import { Modal } from "./widgets/Modal";

export default function SettingsPanel({ onClose }: { onClose(): void }) {
  const [settings, reload] = useSettings();
  const { choices } = useAgents();
  return (
    <Modal title="Settings" onClose={onClose}>
      <div className="form settings" data-testid="settings">
        {!settings ? (
          <p className="muted">Loading…</p>
        ) : (
          <>
            <h3>A new chat</h3>
            <Setting
              label="Default agent"
              name="defaults.agent"
              value={settings.defaults?.agent ?? ""}
              options={[["", "Claude Code (band's default)"], ...choices.filter((c) => c.usable).map((c) => [c.id, c.label] as [string, string])]}
              onSaved={reload}
            />
            <Setting
              label="Default mode"
              name="defaults.mode"
              value={settings.defaults?.mode ?? ""}
              options={[["", "Ask (band's default)"], ...ModeValues.map((m) => [m, MODE_LABELS[m]] as [string, string])]}
              onSaved={reload}
            />
            <Setting label="Default model" name="defaults.model" value={settings.defaults?.model ?? ""} placeholder="the agent's default" onSaved={reload} />
            <h3>Agents</h3>
            <Setting
              label="Stop an idle agent after (seconds; 0: never)"
              name="agentIdleTimeoutSeconds"
              value={String(settings.agentIdleTimeoutSeconds ?? 600)}
              inputMode="numeric"
              onSaved={reload}
            />
            <Setting
              label="Live agents at most (0: no limit; beyond it the oldest free agent stops, or starts wait in line)"
              name="maxLiveAgents"
              value={String(settings.maxLiveAgents ?? 0)}
              inputMode="numeric"
              onSaved={reload}
            />
            <div data-testid="agent-list">
              <ul className="agent-list small">
                {choices
                  .filter((c) => c.usable)
                  .map((c) => (
                    <li key={c.id}>
                      <strong>{c.label}</strong> <span className="muted">installed</span>
                    </li>
                  ))}
              </ul>
              {choices.some((c) => !c.usable) && (
                <details className="small">
                  <summary>Not installed here ({choices.filter((c) => !c.usable).length}): how to get them</summary>
                  <ul className="agent-list">
                    {choices
                      .filter((c) => !c.usable)
                      .map((c) => (
                        <li key={c.id}>
                          <strong>{c.label}</strong> <span className="muted">{c.hint}</span>
                        </li>
                      ))}
                  </ul>
                </details>
              )}
            </div>
            <h3>Workspaces and terminals</h3>
            <Setting label="Worktrees directory" name="worktreesDir" value={settings.worktreesDir} onSaved={reload} />
            <Setting label="Terminal shell" name="terminals.shell" value={settings.terminalShell ?? ""} placeholder="$SHELL, else /bin/bash" onSaved={reload} />
            {settings.restartNeeded && settings.restartNeeded.length > 0 && (
              <p className="hint" role="status" data-testid="restart-needed">
                Restart band-server for these to take effect: {settings.restartNeeded.join(", ")}.
              </p>
            )}
            <h3>Notifications</h3>
            <p className="small muted">
              Desktop notifications are this browser's: turn them on or off with the button under the projects.
            </p>
            <p className="small muted">The token is never shown here: rotate it with the CLI (`band token rotate`).</p>
          </>
        )}
      </div>
    </Modal>
  );
}

function Setting(props: {
  label: string;
  name: string;
  value: string;
  options?: [string, string][];
  placeholder?: string;
  inputMode?: "numeric";
  onSaved(): void;
}) {
  const band = useBand();
  const [value, setValue] = useState(props.value);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setNote(null);
    try {
      const changed = await setSetting(band, props.name, value);
      setNote({ ok: true, text: changed.restartNeeded ? "Saved: restart band-server for it to take effect." : "Saved: in effect now." });
      props.onSaved();
    } catch (err) {
      setNote({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="setting-row" onSubmit={save} data-setting={props.name}>
      <label>
        {props.label}
        {props.options ? (
          <select name={props.name} value={value} onChange={(e) => setValue(e.target.value)}>
            {props.options.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        ) : (
          <input
            name={props.name}
            value={value}
            placeholder={props.placeholder}
            inputMode={props.inputMode}
            onChange={(e) => setValue(e.target.value)}
            autoComplete="off"
            spellCheck={false}
          />
        )}
      </label>
      <button type="submit" className="secondary" disabled={busy || value === props.value}>
        Save
      </button>
      {note && (
        <small className={note.ok ? "hint" : "error"} role={note.ok ? "status" : "alert"}>
          {note.text}
        </small>
      )}
    </form>
  );
}
