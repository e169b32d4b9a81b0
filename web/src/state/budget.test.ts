import { describe, expect, it } from "vitest";
import type { BudgetStatusInfo } from "../api/types";
import { budgetAssignment, limitText, spentText, worst } from "./budget";

const b = (over: Partial<BudgetStatusInfo>): BudgetStatusInfo => ({
  key: "maxCostUsd",
  at: { chat: 1 },
  rule: "maxCostUsd=1",
  scope: "chat 1",
  limit: 1_000_000,
  spent: 0,
  state: "ok",
  shown: "$0 of $1",
  ...over,
});

describe("budgets", () => {
  it("shows the spent one first, then the warning, then the most used", () => {
    const ok = b({ spent: 500_000 });
    const nearly = b({ key: "maxTokens", limit: 100, spent: 85, state: "warning" });
    const spent = b({ at: { workspace: "3" }, spent: 2_000_000, state: "spent" });
    expect(worst([])).toBeNull();
    expect(worst([ok, nearly, spent])).toBe(spent);
    expect(worst([ok, nearly])).toBe(nearly);
    expect(worst([b({ spent: 1 }), ok])).toBe(ok);
  });

  it("writes dollars and tokens as people read and type them", () => {
    expect(spentText(b({ spent: 120_000 }))).toBe("$0.12 of $1.00");
    expect(spentText(b({ key: "maxTokens", limit: 20_000, spent: 1500 }))).toBe("1.5k of 20k tokens");
    expect(limitText(b({ limit: 500_000 }))).toBe("0.5");
    expect(limitText(b({ key: "dailyMaxTokens", limit: 7 }))).toBe("7");
  });

  it("checks what was typed and says what is wrong", () => {
    expect(budgetAssignment("maxCostUsd", " 0.50 ")).toEqual({ set: "maxCostUsd=0.50" });
    expect(budgetAssignment("maxTokens", "")).toEqual({ set: "maxTokens=" });
    expect(budgetAssignment("maxCostUsd", "ten")).toEqual({ error: "maxCostUsd 'ten' is not an amount of dollars: write e.g. 0.50" });
    expect(budgetAssignment("maxCostUsd", "-1")).toHaveProperty("error");
    expect(budgetAssignment("dailyMaxTokens", "1.5")).toEqual({
      error: "dailyMaxTokens '1.5' is not a whole number of tokens: write e.g. 100000",
    });
  });
});
