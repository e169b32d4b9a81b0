// A terminal chat in the dashboard, in headless Debian Chromium against a real band-server
// running the real Claude Code TUI in a PTY on the mock model: the new-chat form's "In a
// terminal", the agent's own screen (xterm.js) in the chat pane with the typed message on it, the
// permission (from Claude Code's PreToolUse hook, through `band notify`) answered from the
// dashboard's card, the file written. At desktop size and as a phone. Screenshots go to
// e2e/screenshots/.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startStack } from "./stack.mjs";

const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 90_000;

const scenario = (branch) => (worktrees) => [
  { text: "I'll write the file.", tool_calls: [{ name: "Write", input: { file_path: join(worktrees, "app", branch, "term.txt"), content: "from the terminal\n" } }] },
  { text: "Wrote term.txt for you." },
];

async function terminalChat(viewport, branch, phone) {
  const stack = await startStack({
    name: `band-e2e-term-${branch}`,
    scenario: scenario(branch),
    agentEnv: { CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: "1" },
  });
  // Claude Code's TUI as after a person's first run (band_mockmodel::offline::prepare_claude_tui):
  // onboarded, the key approved, band's worktrees directory trusted.
  const claudeDir = join(stack.home, "agent-home", ".claude");
  mkdirSync(claudeDir, { recursive: true });
  writeFileSync(
    join(claudeDir, ".claude.json"),
    JSON.stringify({
      hasCompletedOnboarding: true,
      customApiKeyResponses: { approved: ["test"], rejected: [] },
      projects: { [stack.worktrees]: { hasTrustDialogAccepted: true } },
    }),
  );
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport, ...(phone ? { isMobile: true, hasTouch: true } : {}) });
    const page = await context.newPage();
    const tap = (l) => (phone ? l.tap() : l.click());
    try {
      await page.goto(stack.link);
      await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
      await stack.call("projects.add", { path: stack.repo });
      const ws = await stack.call("workspaces.create", { project: "app", branch });
      await page.goto(`${stack.url}/w/${ws.id}`);

      // The new-chat form: Claude Code, ask, in a terminal, a first message.
      const form = page.locator("form.new-chat");
      await form.waitFor({ timeout: TIMEOUT });
      await form.locator('select[name="mode"]').selectOption("ask");
      await tap(form.locator('input[name="via-terminal"]'));
      await form.locator("textarea").fill("Please write term.txt.");
      await tap(form.getByRole("button", { name: "Start" }));

      // The agent's terminal in the chat pane, with the message typed into it.
      const pane = page.locator('[data-testid="chat-terminal"]');
      await pane.locator('[data-testid="terminal"][data-state="open"]').waitFor({ timeout: TIMEOUT });
      await page.waitForFunction(
        () => document.querySelector('[data-testid="chat-terminal"] .xterm-rows')?.textContent?.includes("Please write term.txt."),
        null,
        { timeout: TIMEOUT },
      );
      const box = await pane.boundingBox();
      assert.ok(box && box.width >= Math.min(360, viewport.width - 20) && box.height >= 180, `the terminal is readable: ${JSON.stringify(box)}`);

      // The permission, asked through the hook, answered from the dashboard.
      const allow = page.getByRole("button", { name: "Allow" });
      await allow.waitFor({ timeout: TIMEOUT });
      assert.ok(!existsSync(join(stack.worktree(branch), "term.txt")), "nothing written before the answer");
      await page.screenshot({ path: join(shots, `${phone ? "phone" : "desktop"}-terminal-chat-permission.png`) });
      await tap(allow);
      await page.locator('[data-testid="permission"]', { hasText: "allowed by you" }).waitFor({ timeout: TIMEOUT });
      await page.locator('[data-testid="chat"][data-status="completed"]').waitFor({ timeout: TIMEOUT });
      assert.equal(readFileSync(join(stack.worktree(branch), "term.txt"), "utf8"), "from the terminal\n");
      // The turn's text is in the chat's log too.
      await page.getByText("Wrote term.txt for you.").first().waitFor({ timeout: TIMEOUT });
      await page.screenshot({ path: join(shots, `${phone ? "phone" : "desktop"}-terminal-chat.png`) });
    } catch (e) {
      await page.screenshot({ path: join(shots, `FAILED-terminal-chat-${branch}.png`) }).catch(() => {});
      throw e;
    }
  } finally {
    await browser.close();
    await stack.stop();
  }
}

test("desktop: a terminal chat shows the agent's terminal and takes a permission from its card", { timeout: 240_000 }, async () => {
  await terminalChat({ width: 1280, height: 800 }, "term-desk", false);
});

test("phone: a terminal chat shows the agent's terminal and takes a permission from its card", { timeout: 240_000 }, async () => {
  await terminalChat({ width: 390, height: 844 }, "term-phone", true);
});
