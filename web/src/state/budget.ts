// Budgets are policy rules (maxCostUsd, maxTokens, and the global dailyMaxCostUsd and
// dailyMaxTokens): policy.show for a chat lists each one in force with what its scope has spent,
// and policy.set at the budget's own scope raises, lowers or removes it.

import type { BudgetStatusInfo } from "../api/types";
import type { Band } from "./band";
import { compact, usd } from "./chatlog";
import { setPolicy, showPolicy } from "./governance";

export function chatBudgets(band: Band, chat: number): Promise<BudgetStatusInfo[]> {
  return showPolicy(band, { chat }).then((p) => p.budgets ?? []);
}

/** A budget counts dollars (its limit and spent in millionths), else tokens. */
export function isCost(key: string): boolean {
  return key === "maxCostUsd" || key === "dailyMaxCostUsd";
}

/** The limit as a person types it: dollars (`0.5`) or tokens (`100000`). */
export function limitText(b: BudgetStatusInfo): string {
  return isCost(b.key) ? String(b.limit / 1e6) : String(b.limit);
}

/** The one a badge shows: spent before warning before ok, then the most used. */
export function worst(budgets: BudgetStatusInfo[]): BudgetStatusInfo | null {
  const rank = (b: BudgetStatusInfo) => (b.state === "spent" ? 2 : b.state === "warning" ? 1 : 0);
  const used = (b: BudgetStatusInfo) => (b.limit === 0 ? Infinity : b.spent / b.limit);
  return budgets.reduce<BudgetStatusInfo | null>((w, b) => (!w || rank(b) > rank(w) || (rank(b) === rank(w) && used(b) > used(w)) ? b : w), null);
}

/** `$0.012 of $0.5`, `900 of 1k tokens`. */
export function spentText(b: BudgetStatusInfo): string {
  return isCost(b.key) ? `${usd(b.spent / 1e6)} of ${usd(b.limit / 1e6)}` : `${compact(b.spent)} of ${compact(b.limit)} tokens`;
}

/**
 * Checks what was typed for a budget (empty removes it) and returns the `KEY=VALUE` to set, or
 * says what is wrong.
 */
export function budgetAssignment(key: string, typed: string): { set: string } | { error: string } {
  const t = typed.trim();
  if (t === "") return { set: `${key}=` };
  const n = Number(t);
  if (isCost(key)) {
    if (!Number.isFinite(n) || n < 0) return { error: `${key} '${typed}' is not an amount of dollars: write e.g. 0.50` };
  } else if (!Number.isInteger(n) || n < 0) {
    return { error: `${key} '${typed}' is not a whole number of tokens: write e.g. 100000` };
  }
  return { set: `${key}=${t}` };
}

/** Sets one budget at its scope. */
export function setBudget(band: Band, b: Pick<BudgetStatusInfo, "key" | "at">, assignment: string) {
  return setPolicy(band, b.at, [assignment]);
}
