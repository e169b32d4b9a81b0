// A chat's budgets in the dashboard, in headless Debian Chromium against a real band-server running
// the real Claude Code CLI on the mock model: after a real turn, a chat budget smaller than what
// the turn cost shows in the chat's header as spent (with the limit and what was spent); its
// dialog refuses nonsense, and raising it turns it back to ok (the server says so) while the
// workspace's budget, listed beside it, still holds; desktop and phone.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startStack } from "./stack.mjs";

const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 60_000;

test("a chat's budget: spent shown in its header, raised from its dialog; desktop and phone", { timeout: 240_000 }, async () => {
  const stack = await startStack({ name: "band-e2e-spend", scenario: () => [{ text: "Hello there." }, { text: "Again." }] });
  const browser = await launchChromium();
  try {
    await stack.call("projects.add", { path: stack.repo });
    const created = await stack.call("workspaces.create", { project: "app", branch: "feat", prompt: "Say hello", mode: "allow-all" });
    const chatId = created.chat.id;
    const chat = await stack.waitChat(chatId, "completed", TIMEOUT);
    await stack.call("policy.set", { workspace: "app/feat", set: ["maxCostUsd=5"] });
    for (const size of ["desktop", "phone"]) {
      await stack.call("policy.set", { chat: chatId, set: ["maxCostUsd=0.000001"] });
      const tiny = (await stack.call("policy.show", { chat: chatId })).budgets.find((b) => b.at.chat === chatId);
      assert.equal(tiny.state, "spent", JSON.stringify(tiny));
      const phone = size === "phone";
      const context = await browser.newContext(
        phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 800 } },
      );
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      const act = (l) => (phone ? l.tap() : l.click());
      try {
        await page.goto(stack.link);
        await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
        await page.goto(new URL(`/w/${chat.workspaceId}`, stack.link).href);
        const badge = page.locator('[data-testid="budget"]');
        await badge.and(page.locator('[data-state="spent"]')).waitFor({ timeout: TIMEOUT });
        assert.match(await badge.innerText(), /^Budget \$[\d.]+ of \$0\.00\d* — spent$/);
        assert.match(await badge.getAttribute("title"), new RegExp(`maxCostUsd=0.000001 \\(chat ${chatId}\\): .*spent: no new turn starts`));
        assert.match(await badge.getAttribute("title"), /maxCostUsd=5 \(workspace app\/feat\)/);
        assert.ok(await badge.isVisible(), "the budget shows on this screen");
        await page.screenshot({ path: join(shots, `spend-${size}-spent.png`) });

        await act(badge);
        const dialog = page.getByRole("dialog", { name: `Budgets of ${chat.name}` });
        const own = dialog.getByLabel(`maxCostUsd of chat ${chatId}`);
        await own.fill("ten");
        await act(dialog.getByRole("button", { name: "Save budgets" }));
        await dialog.getByRole("alert").filter({ hasText: "maxCostUsd 'ten' is not an amount of dollars" }).waitFor();
        assert.equal(await dialog.getByLabel("maxCostUsd of workspace app/feat").inputValue(), "5");
        await own.fill("2");
        await act(dialog.getByRole("button", { name: "Save budgets" }));
        await dialog.waitFor({ state: "detached" });
        await badge.and(page.locator('[data-state="ok"]')).waitFor();
        assert.match(await badge.innerText(), /^Budget \$[\d.]+ of \$2\.00$/);
        const shown = (await stack.call("policy.show", { chat: chatId })).budgets.find((b) => b.at.chat === chatId);
        assert.deepEqual([shown.state, shown.limit], ["ok", 2_000_000]);
        await page.screenshot({ path: join(shots, `spend-${size}-raised.png`) });
        assert.deepEqual(errors, []);
      } catch (e) {
        await page.screenshot({ path: join(shots, `FAILED-spend-${size}.png`) }).catch(() => {});
        throw e;
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser.close();
    await stack.stop();
  }
});
