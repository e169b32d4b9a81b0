// The Schedules page end to end, in headless Debian Chromium against a real band-server running
// the real Claude Code CLI on the mock model: create a schedule into a workspace (a bad interval
// first, refused with the server's words), run it now and watch its history reach `completed`
// live, edit it, disable it; then on a phone: the page fills the screen, big touch targets, run
// it again and see both runs. Screenshots go to e2e/screenshots/.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startStack } from "./stack.mjs";

const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 60_000;

async function signIn(page, stack) {
  await page.goto(stack.link);
  await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
}

async function shotOnFailure(page, name, body) {
  try {
    await body();
  } catch (e) {
    await page.screenshot({ path: join(shots, `FAILED-${name}.png`) }).catch(() => {});
    throw e;
  }
}

test("schedules: create, refuse a bad interval, run now, history live, edit, disable; desktop and phone", { timeout: 240_000 }, async () => {
  const stack = await startStack({
    name: "band-e2e-schedules",
    scenario: () => [{ text: "Report: all green." }, { text: "Report: still green." }, { text: "Report: green again." }],
  });
  const browser = await launchChromium();
  try {
    await stack.call("projects.add", { path: stack.repo });
    const ws = await stack.call("workspaces.create", { project: "app", branch: "feat" });

    const desk = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const errors = [];
    desk.on("pageerror", (e) => errors.push(String(e)));
    await shotOnFailure(desk, "schedules-desktop", async () => {
      await signIn(desk, stack);
      await desk.getByRole("button", { name: "Schedules" }).click();
      const page = desk.getByRole("dialog", { name: "Schedules" });
      await page.getByText("No schedules yet").waitFor();

      // A bad interval is refused with what was wrong and how to write one.
      await page.getByRole("button", { name: "New schedule" }).click();
      await page.getByLabel("Key").fill("daily-report");
      await page.getByLabel("Name").fill("Daily report");
      await page.getByLabel("Prompt").fill("Report on the build.");
      await page.getByLabel("Interval").fill("5x");
      await page.getByLabel("Workspace").selectOption(String(ws.id));
      await page.getByLabel("Mode").selectOption("allow-all");
      await page.getByRole("button", { name: "Create" }).click();
      await page.getByRole("alert").filter({ hasText: "'5x' is not an interval; write a number with a unit" }).waitFor();
      await page.getByLabel("Interval").fill("1h");
      await page.getByRole("button", { name: "Create" }).click();

      const card = page.locator('[data-testid="schedule-daily-report"]');
      await card.waitFor();
      assert.match(await card.innerText(), /every 1h → a new chat in app\/feat/);
      assert.match(await card.locator('[data-testid="next-run"]').innerText(), /^Next run /);
      await desk.screenshot({ path: join(shots, "schedules-desktop-list.png") });

      // Run now; the history follows the run to the end of its turn, live.
      await card.getByRole("button", { name: "Run now" }).click();
      await page.locator('[data-testid="schedules-note"]', { hasText: "Ran daily-report" }).waitFor();
      await card.getByRole("button", { name: "History" }).click();
      const done = page.locator('[data-testid="runs"] [data-outcome="completed"]');
      await done.waitFor({ timeout: TIMEOUT });
      assert.match(await done.innerText(), /manual/);
      assert.match(await done.innerText(), /chat \d+ · turn \d+ · \d+ in \/ \d+ out · \$\d/);
      await desk.screenshot({ path: join(shots, "schedules-desktop-history.png") });

      // Edit: a new interval and a budget (nonsense first); then disable.
      await page.getByRole("button", { name: "← Schedules" }).click();
      await card.getByRole("button", { name: "Edit" }).click();
      await page.getByLabel("Interval").fill("2h");
      await page.getByLabel("Budget, dollars (all runs)").fill("lots");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByRole("alert").filter({ hasText: "'lots' is not an amount above 0" }).waitFor();
      await page.getByLabel("Budget, dollars (all runs)").fill("2.50");
      await page.getByLabel("Budget, tokens (all runs)").fill("500000");
      await page.getByRole("button", { name: "Save" }).click();
      await card.getByText("every 2h").waitFor();
      assert.match(await card.innerText(), /budget maxCostUsd=2\.5,maxTokens=500000/);
      await card.getByRole("button", { name: "Disable" }).click();
      await page.locator('[data-testid="schedule-daily-report"][data-enabled="false"]').waitFor();
      assert.match(await card.locator('[data-testid="next-run"]').innerText(), /^Disabled/);
      const jobs = await stack.call("cronjobs.list");
      assert.deepEqual(
        jobs.map((j) => [j.key, j.every, j.enabled, j.mode, j.budget]),
        [["daily-report", "2h", false, "allow-all", "maxCostUsd=2.5,maxTokens=500000"]],
      );
    });

    const phoneContext = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const phone = await phoneContext.newPage();
    phone.on("pageerror", (e) => errors.push(String(e)));
    await shotOnFailure(phone, "schedules-phone", async () => {
      await signIn(phone, stack);
      await phone.getByRole("button", { name: "Schedules" }).tap();
      const page = phone.getByRole("dialog", { name: "Schedules" });
      const box = await page.boundingBox();
      assert.ok(box && box.width === 390 && box.height === 844, `the page fills the phone: ${JSON.stringify(box)}`);
      const card = page.locator('[data-testid="schedule-daily-report"]');
      await card.waitFor();
      const heights = await card.getByRole("button").evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
      assert.ok(Math.min(...heights) >= 44, `touch targets: ${heights}`);
      await card.getByRole("button", { name: "Run now" }).tap();
      await card.getByRole("button", { name: "History" }).tap();
      await page.locator('[data-testid="runs"] [data-outcome="completed"]').nth(1).waitFor({ timeout: TIMEOUT });
      await phone.screenshot({ path: join(shots, "schedules-phone-history.png") });
      await page.getByRole("button", { name: "Close" }).tap();
      await page.waitFor({ state: "detached" });
    });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await stack.stop();
  }
});
