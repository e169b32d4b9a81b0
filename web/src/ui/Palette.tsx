// The command palette (Ctrl/Cmd+K): go to a workspace or a chat, the overview, new workspace,
// new chat, and what the page offers now (Stop, Merge, Settings...), found by typing; and the
// keys' help overlay (`?`). Loaded on demand.

import { useEffect, useMemo, useState } from "react";
import { chatLabels } from "../state/app";
import { useBand } from "../state/band";
import { navigate } from "./route";
import { Modal } from "./widgets/Modal";
import { PaletteField, type Typed } from "./widgets/PaletteField";
import "./palette.css";

interface Entry {
  label: string;
  hint: string;
  run(): void;
}

/** A visible, enabled button whose text (or label) matches `text`, if any. */
function button(text: RegExp, within = document.body): HTMLButtonElement | undefined {
  return [...within.querySelectorAll<HTMLButtonElement>("button")].find(
    (b) =>
      !b.disabled &&
      b.offsetParent !== null &&
      (text.test(b.textContent?.trim() ?? "") || text.test(b.getAttribute("aria-label") ?? "")),
  );
}

/** Runs `fn` once the page has drawn what a navigation changed. */
const later = (fn: () => void) => setTimeout(fn, 60);

export default function Palette({ onClose, typed }: { onClose(): void; typed?: Typed }) {
  const band = useBand();
  const [query, setQuery] = useState(typed?.query ?? "");
  const [at, setAt] = useState(0);
  const entries = useMemo(() => {
    const s = band.state.get();
    const out: Entry[] = [];
    const home = () => navigate({ workspace: null, tab: "chat", chat: null });
    out.push({ label: "All agents", hint: "the overview", run: home });
    for (const [label, hint] of [
      ["Stop", "end the open chat's turn"],
      ["Merge", "merge the open workspace"],
      ["+ Chat", "new chat in the open workspace"],
      ["Settings", "band's settings"],
      ["Schedules", "scheduled prompts"],
      ["Usage", "tokens, cost and tool calls"],
      ["Policies", "what agents may do, the audit"],
      ["Remote", "pair a device, the tunnel"],
    ] as const) {
      const b = button(new RegExp(`^${label.replace("+", "\\+")}$`));
      if (b)
        out.push({
          label: label === "+ Chat" ? "New chat" : label,
          hint,
          run: () => b.click(),
        });
    }
    for (const p of s.projects) {
      out.push({
        label: `New workspace in ${p.name}`,
        hint: p.path,
        run: () => {
          home();
          later(() => button(new RegExp(`^New workspace in ${p.name}$`))?.click());
        },
      });
    }
    for (const w of s.workspaces) {
      out.push({
        label: `${w.project}/${w.branch}`,
        hint: "workspace",
        run: () => navigate({ workspace: w.id, tab: "chat", chat: null }),
      });
      const chats = Object.values(s.chats)
        .filter((c) => c.workspaceId === w.id)
        .sort((a, b) => a.id - b.id);
      const labels = chatLabels(chats);
      for (const c of chats) {
        out.push({
          label: `${labels.get(c.id)} · ${w.project}/${w.branch}`,
          hint: `chat, ${c.status}`,
          run: () => navigate({ workspace: w.id, tab: "chat", chat: c.id }),
        });
      }
    }
    return out;
  }, [band]);
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = entries.filter((e) => words.every((w) => `${e.label} ${e.hint}`.toLowerCase().includes(w))).slice(0, 50);
  const pick = (e: Entry | undefined) => {
    if (!e) return;
    onClose();
    later(() => e.run());
  };
  // Enter was pressed in the stand-in, before this code had loaded: the first match it is.
  useEffect(() => {
    if (typed?.enter) pick(shown[0]);
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <Modal title="Command palette" onClose={onClose} focusField>
      <PaletteField
        value={query}
        onChange={(v) => {
          setQuery(v);
          setAt(0);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") setAt((i) => Math.min(i + 1, shown.length - 1));
          else if (e.key === "ArrowUp") setAt((i) => Math.max(i - 1, 0));
          else if (e.key === "Enter") pick(shown[at]);
          else return;
          e.preventDefault();
        }}
      />
      <ul className="palette-list" role="listbox" aria-label="Commands">
        {shown.map((e, i) => (
          <li
            key={`${e.label}-${i}`}
            role="option"
            aria-selected={i === at}
            onMouseDown={(ev) => ev.preventDefault()}
            onClick={() => pick(e)}
          >
            <span>{e.label}</span> <span className="muted small">{e.hint}</span>
          </li>
        ))}
        {shown.length === 0 && <li className="muted small">Nothing matches.</li>}
      </ul>
    </Modal>
  );
}

const KEYS: [string, string][] = [
  ["Ctrl+K / ⌘K", "command palette: go to a workspace or chat, new workspace, new chat, Stop, Merge…"],
  ["j", "the next chat waiting for you"],
  ["a", "Allow the waiting permission on screen"],
  ["d", "Deny the waiting permission on screen"],
  ["s", "Stop the open chat's turn"],
  ["1 2 3 4", "Chat, Changes, Files, Terminal"],
  ["F6", "leave the terminal (it keeps every other key)"],
  ["Esc", "close a dialog"],
  ["?", "this help"],
];

export function KeyHelp({ onClose }: { onClose(): void }) {
  return (
    <Modal title="Keyboard" onClose={onClose}>
      <p className="small muted">Keys act when no field or terminal has the focus.</p>
      <table className="key-help" data-testid="key-help">
        <tbody>
          {KEYS.map(([k, what]) => (
            <tr key={k}>
              <th>
                <kbd>{k}</kbd>
              </th>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Modal>
  );
}
