// A chat's budgets in its header (loaded on demand): what is spent against the budget nearest
// its end, its state (a spent budget refuses new turns until raised), and, with admin access, a
// dialog that raises, lowers or removes each budget in force at its own scope, or sets the
// chat's own. Budgets are policy rules (policy.show / policy.set).

import { useEffect, useState } from "react";
import type { BudgetStatusInfo, ChatInfo } from "../../api/types";
import { useBand, useCan } from "../../state/band";
import { budgetAssignment, chatBudgets, limitText, setBudget, spentText, worst } from "../../state/budget";
import { errorText } from "../../state/errors";
import { Modal } from "../widgets/Modal";

/** The chat's budgets, fetched again when its status or its number of turns changes. */
function useBudgets(chat: ChatInfo, turns: number, version: number): BudgetStatusInfo[] | null {
  const band = useBand();
  const [budgets, setBudgets] = useState<BudgetStatusInfo[] | null>(null);
  useEffect(() => {
    let live = true;
    chatBudgets(band, chat.id).then(
      (b) => live && setBudgets(b),
      () => live && setBudgets(null),
    );
    return () => {
      live = false;
    };
  }, [band, chat.id, chat.status, turns, version]);
  return budgets;
}

export default function BudgetBadge({ chat, turns, version, onOpen }: { chat: ChatInfo; turns: number; version: number; onOpen(): void }) {
  const admin = useCan("admin");
  const budgets = useBudgets(chat, turns, version);
  const shown = budgets && worst(budgets);
  if (!shown) return null;
  const title = budgets
    .map(
      (b) =>
        `${b.rule} (${b.scope}): ${b.shown}${b.state === "spent" ? ", spent: no new turn starts until it is raised" : b.state === "warning" ? ", 80 % or more used" : ""}`,
    )
    .join("\n");
  return (
    <button
      type="button"
      className={`budget small ${shown.state}`}
      data-testid="budget"
      data-state={shown.state}
      title={title}
      disabled={!admin}
      onClick={onOpen}
    >
      {`Budget ${spentText(shown)}${shown.state === "spent" ? " — spent" : ""}`}
    </button>
  );
}

/** One row of the dialog: a budget in force, or the chat's own not yet set. */
type Row = { key: string; at: BudgetStatusInfo["at"]; label: string; spent: string; typed: string; initial: string };

function rows(chat: number, budgets: BudgetStatusInfo[]): Row[] {
  const out: Row[] = budgets.map((b) => ({
    key: b.key,
    at: b.at,
    label: `${b.key} of ${b.scope}`,
    spent: `spent ${spentText(b)}`,
    typed: limitText(b),
    initial: limitText(b),
  }));
  for (const key of ["maxCostUsd", "maxTokens"]) {
    if (!budgets.some((b) => b.key === key && b.at.chat === chat)) {
      out.push({ key, at: { chat }, label: `${key} of this chat`, spent: "not set", typed: "", initial: "" });
    }
  }
  return out;
}

export function BudgetDialog({ chat, onClose }: { chat: ChatInfo; onClose(changed: boolean): void }) {
  const band = useBand();
  const budgets = useBudgets(chat, 0, 0);
  const [form, setForm] = useState<Row[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (budgets && form === null) setForm(rows(chat.id, budgets));
  }, [budgets, chat.id, form]);
  const save = async () => {
    if (!form) return;
    const changes = [];
    for (const r of form.filter((r) => r.typed.trim() !== r.initial)) {
      const a = budgetAssignment(r.key, r.typed);
      if ("error" in a) return setError(a.error);
      changes.push([r, a.set] as const);
    }
    setSaving(true);
    try {
      // One call per scope changed; a refusal (say, a daily budget outside the global scope) is
      // shown in the server's words, and what was saved before it stays saved.
      for (const [r, set] of changes) await setBudget(band, r, set);
      onClose(changes.length > 0);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal title={`Budgets of ${chat.name}`} onClose={() => onClose(false)}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          void save();
        }}
      >
        <p className="small muted">
          At 80 % of a budget band warns once; at 100 % the running turn stops and no new turn starts until it is raised. Dollars for
          maxCostUsd, tokens for maxTokens; empty removes it. Every budget in force applies: a chat's does not lift its workspace's.
        </p>
        {form === null ? (
          <p className="muted small">Loading…</p>
        ) : (
          form.map((r, i) => (
            <label key={`${r.key}-${i}`}>
              {r.label} <span className="small muted">({r.spent})</span>
              <input
                name={`${r.key}-${i}`}
                inputMode={r.key.toLowerCase().includes("cost") ? "decimal" : "numeric"}
                value={r.typed}
                placeholder="no limit"
                autoComplete="off"
                onChange={(e) => setForm(form.map((x, j) => (j === i ? { ...x, typed: e.target.value } : x)))}
              />
            </label>
          ))
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="button" className="secondary" onClick={() => onClose(false)}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={saving || form === null}>
            Save budgets
          </button>
        </div>
      </form>
    </Modal>
  );
}
