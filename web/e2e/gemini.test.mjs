// A Gemini chat in the dashboard, in headless Debian Chromium against a real band-server running
// the real Gemini CLI (`gemini --acp`, installed by ./scripts/agents.sh) on the mock model,
// offline: Gemini CLI picked in the new-workspace dialog, its ACP permission request answered from
// the card, the file written, its reply in the log. At desktop size and as a phone.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startStack } from "./stack.mjs";

const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 120_000;

const scenario = (branch) => (worktrees) => [
  { text: "Writing it.", tool_calls: [{ name: "write_file", input: { file_path: join(worktrees, "app", branch, "gem.txt"), content: "from gemini\n" } }] },
  { text: "Gemini wrote gem.txt." },
];

/** As band_mockmodel::offline::cli_env for Gemini CLI: its own scratch HOME, offline switches. */
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
  return {
    agents: {
      gemini: {
        binary: join(bin, "gemini"),
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          HOME: scratch,
          XDG_CONFIG_HOME: join(scratch, "config"),
          GEMINI_API_KEY: "test",
          GOOGLE_GEMINI_BASE_URL: mockUrl,
          GEMINI_CLI_NO_RELAUNCH: "true",
        },
      },
    },
  };
}

async function geminiChat(viewport, branch, phone) {
  const stack = await startStack({ name: `band-e2e-gemini-${branch}`, scenario: scenario(branch), settings: geminiSettings });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport, ...(phone ? { isMobile: true, hasTouch: true } : {}) });
    const page = await context.newPage();
    const tap = (l) => (phone ? l.tap() : l.click());
    try {
      await page.goto(stack.link);
      await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
      await page.locator("#project-path").fill(stack.repo);
      await tap(page.getByRole("button", { name: "Add", exact: true }));
      await page.locator('[data-testid="project-app"]').waitFor();
      await tap(page.getByRole("button", { name: "New workspace in app" }));
      const dialog = page.getByRole("dialog");
      await dialog.locator('input[name="branch"]').fill(branch);
      await dialog.locator('textarea[name="prompt"]').fill("Please write gem.txt.");
      // Gemini CLI is listed once its version probe answered (it takes seconds).
      await dialog.locator('select[name="agent"]').selectOption("gemini", { timeout: TIMEOUT });
      await dialog.locator('select[name="mode"]').selectOption("ask");
      await tap(dialog.getByRole("button", { name: "Create workspace" }));
      await dialog.waitFor({ state: "detached", timeout: TIMEOUT });

      const allow = page.getByRole("button", { name: "Allow" });
      await allow.waitFor({ timeout: TIMEOUT });
      assert.ok(!existsSync(join(stack.worktree(branch), "gem.txt")), "nothing written before the answer");
      await page.screenshot({ path: join(shots, `${phone ? "phone" : "desktop"}-gemini-permission.png`) });
      await tap(allow);
      await page.locator('[data-testid="permission"]', { hasText: "allowed by you" }).waitFor({ timeout: TIMEOUT });
      await page.getByText("Gemini wrote gem.txt.").first().waitFor({ timeout: TIMEOUT });
      await page.locator('[data-testid="chat"][data-status="completed"]').waitFor({ timeout: TIMEOUT });
      assert.equal(readFileSync(join(stack.worktree(branch), "gem.txt"), "utf8"), "from gemini\n");
      await page.screenshot({ path: join(shots, `${phone ? "phone" : "desktop"}-gemini.png`) });
    } catch (e) {
      await page.screenshot({ path: join(shots, `FAILED-gemini-${branch}.png`) }).catch(() => {});
      throw e;
    }
  } finally {
    await browser.close();
    await stack.stop();
  }
}

test("desktop: a Gemini chat asks, is allowed from its card and writes the file", { timeout: 300_000 }, async () => {
  await geminiChat({ width: 1280, height: 800 }, "gem-desk", false);
});

test("phone: a Gemini chat asks, is allowed from its card and writes the file", { timeout: 300_000 }, async () => {
  await geminiChat({ width: 390, height: 844 }, "gem-phone", true);
});
