// The Settings page against the real band-server (and the real Claude Code CLI on the mock
// model): a default changed there is used by the next workspace's chat at once; a bad value is
// refused with the server's reason; a setting that needs a restart says so; the default agent
// changed there is what the next workspace's dialog preselects and its chat uses. Desktop and phone.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startStack } from "./stack.mjs";

const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 60_000;

for (const size of ["desktop", "phone"]) {
  test(`${size}: a default set in Settings is used by the next chat`, { timeout: 180_000 }, async () => {
    const stack = await startStack({ name: `band-e2e-settings-${size}`, scenario: () => [{ text: "Hello." }] });
    const browser = await launchChromium();
    try {
      const phone = size === "phone";
      const context = await browser.newContext(
        phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 800 } },
      );
      const page = await context.newPage();
      const act = (l) => (phone ? l.tap() : l.click());
      try {
        await page.goto(stack.link);
        await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
        await act(page.getByRole("button", { name: "Settings", exact: true }));
        const panel = page.locator('[data-testid="settings"]');
        await panel.locator('[data-setting="defaults.mode"] select').waitFor();
        // A bad value: the server's reason, nothing saved.
        const idle = panel.locator('[data-setting="agentIdleTimeoutSeconds"]');
        await idle.locator("input").fill("soon");
        await act(idle.getByRole("button", { name: "Save" }));
        await idle.getByRole("alert").filter({ hasText: "is not a whole number of seconds" }).waitFor();
        // The default mode, at once.
        const mode = panel.locator('[data-setting="defaults.mode"]');
        await mode.locator("select").selectOption("allow-all");
        await act(mode.getByRole("button", { name: "Save" }));
        await mode.getByText("Saved: in effect now.").waitFor();
        // Where worktrees go: after a restart, and it says so.
        const dir = panel.locator('[data-setting="worktreesDir"]');
        await dir.locator("input").fill(join(stack.root, "elsewhere"));
        await act(dir.getByRole("button", { name: "Save" }));
        await dir.getByText("Saved: restart band-server for it to take effect.").waitFor();
        await panel.locator('[data-testid="restart-needed"]', { hasText: "worktreesDir" }).waitFor();
        // The agents band knows: which are installed, how to get the others.
        await panel.locator('[data-testid="agent-list"] li', { hasText: /^Claude Code.*installed$/ }).waitFor({ timeout: 30_000 });
        await act(panel.locator('[data-testid="agent-list"] summary'));
        await panel.locator('[data-testid="agent-list"] li', { hasText: /npm install -g/ }).first().waitFor();
        await page.screenshot({ path: join(shots, `settings-${size}.png`) });
        await act(page.getByRole("dialog").getByRole("button", { name: "Close" }));
        assert.equal((await stack.call("settings.get")).defaults.mode, "allow-all");

        await page.locator("#project-path").fill(stack.repo);
        await act(page.getByRole("button", { name: "Add", exact: true }));
        await page.locator('[data-testid="project-app"]').waitFor();
        await act(page.getByRole("button", { name: "New workspace in app" }));
        const dialog = page.getByRole("dialog");
        await dialog.locator('input[name="branch"]').fill("feat");
        await dialog.locator('textarea[name="prompt"]').fill("Say hello");
        await page.waitForFunction(() => document.querySelector('select[name="mode"]')?.value === "allow-all", null, { timeout: 10_000 });
        await act(dialog.getByRole("button", { name: "Create workspace" }));
        await dialog.waitFor({ state: "detached" });
        await page.getByText("Hello.").waitFor({ timeout: TIMEOUT });
        assert.equal(await page.getByRole("combobox", { name: "Mode" }).inputValue(), "allow-all");
        assert.deepEqual((await stack.call("chats.list")).map((c) => c.mode), ["allow-all"]);
      } catch (e) {
        await page.screenshot({ path: join(shots, `FAILED-settings-${size}.png`) }).catch(() => {});
        throw e;
      }
      await context.close();
    } finally {
      await browser.close();
      await stack.stop();
    }
  });
}

/** Gemini CLI set up against the mock model, as in gemini.test.mjs (so it is installed and usable). */
function geminiSettings({ mockUrl, home, bin }) {
  const scratch = join(home, "agent-home", "gemini");
  mkdirSync(join(scratch, ".gemini"), { recursive: true });
  writeFileSync(
    join(scratch, ".gemini", "settings.json"),
    JSON.stringify({
      security: { auth: { selectedType: "gemini-api-key" }, folderTrust: { enabled: false } },
      general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
      model: { name: "gemini-2.5-flash" },
    }),
  );
  const env = { PATH: `${bin}:${process.env.PATH}`, HOME: scratch, XDG_CONFIG_HOME: join(scratch, "config"), GEMINI_API_KEY: "test" };
  return { agents: { gemini: { binary: join(bin, "gemini"), env: { ...env, GOOGLE_GEMINI_BASE_URL: mockUrl, GEMINI_CLI_NO_RELAUNCH: "true" } } } };
}

for (const size of ["desktop", "phone"]) {
  test(`${size}: the default agent set in Settings is preselected and used by the next workspace`, { timeout: 180_000 }, async () => {
    const stack = await startStack({ name: `band-e2e-settings-agent-${size}`, scenario: () => [{ text: "Hello." }], settings: geminiSettings });
    const browser = await launchChromium();
    try {
      const phone = size === "phone";
      const context = await browser.newContext(
        phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 800 } },
      );
      const page = await context.newPage();
      const act = (l) => (phone ? l.tap() : l.click());
      try {
        await stack.call("projects.add", { path: stack.repo });
        await page.goto(stack.link);
        await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
        await act(page.getByRole("button", { name: "Settings", exact: true }));
        const panel = page.locator('[data-testid="settings"]');
        const agent = panel.locator('[data-setting="defaults.agent"]');
        // Gemini is offered once the agents are checked (installed ones only).
        await agent.locator('select option[value="gemini"]').waitFor({ state: "attached", timeout: 30_000 });
        await agent.locator("select").selectOption("gemini");
        await act(agent.getByRole("button", { name: "Save" }));
        await agent.getByText("Saved: in effect now.").waitFor();
        assert.equal((await stack.call("settings.get")).defaults.agent, "gemini");
        await act(page.getByRole("dialog").getByRole("button", { name: "Close" }));

        await page.locator('[data-testid="project-app"]').waitFor({ timeout: TIMEOUT });
        await act(page.getByRole("button", { name: "New workspace in app" }));
        const dialog = page.getByRole("dialog");
        // The dialog preselects the new default.
        await page.waitForFunction(() => document.querySelector('select[name="agent"]')?.value === "gemini", null, { timeout: 10_000 });
        await dialog.locator('input[name="branch"]').fill("gem-default");
        await dialog.locator('textarea[name="prompt"]').fill("Say hello");
        await act(dialog.getByRole("button", { name: "Create workspace" }));
        await dialog.waitFor({ state: "detached", timeout: TIMEOUT });
        // The new workspace's chat is Gemini's: in its header and in the API.
        await page.locator(".chat-controls .agent", { hasText: "gemini" }).waitFor({ timeout: TIMEOUT });
        assert.deepEqual((await stack.call("chats.list")).map((c) => c.agent), ["gemini"]);
        await page.screenshot({ path: join(shots, `settings-agent-${size}.png`) });
      } catch (e) {
        await page.screenshot({ path: join(shots, `FAILED-settings-agent-${size}.png`) }).catch(() => {});
        throw e;
      }
      await context.close();
    } finally {
      await browser.close();
      await stack.stop();
    }
  });
}
