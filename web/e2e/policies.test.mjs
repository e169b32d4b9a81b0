// The Policies and Audit page end to end, in headless Chromium against a real band-server running
// the real Claude Code CLI on the mock model: set canRunCommands=false globally in the page, see
// the effective rule and where it came from, see a loosening at a narrower scope refused with the
// server's words; a chat's Bash call is then denied by the policy without asking anyone, and the
// Audit page lists the decision (filtered by decider). Then on a phone: the page fills the screen
// and the audit is readable. Screenshots go to e2e/screenshots/.

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

test("policies and audit: set a rule, refuse a loosening, a denied call audited; desktop and phone", { timeout: 240_000 }, async () => {
  const stack = await startStack({
    name: "band-e2e-policies",
    scenario: () => [{ text: "Let me run it.", tool_calls: [{ name: "Bash", input: { command: "echo hi > ran.txt", description: "Run" } }] }, { text: "It was refused." }],
  });
  const browser = await launchChromium();
  try {
    await stack.call("projects.add", { path: stack.repo });
    const desk = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const errors = [];
    desk.on("pageerror", (e) => errors.push(String(e)));
    await shotOnFailure(desk, "policies-desktop", async () => {
      await signIn(desk, stack);
      await desk.getByRole("button", { name: "Policies" }).click();
      const page = desk.getByRole("dialog", { name: "Policies and audit" });
      await page.getByText("No policy applies to global").waitFor();
      await page.getByLabel("Rules").fill("canRunCommands=false maxTurns=5");
      await page.getByRole("button", { name: "Set" }).click();
      const table = page.getByRole("table", { name: "Effective policy" });
      await table.getByRole("row").filter({ hasText: "canRunCommands" }).filter({ hasText: "false" }).filter({ hasText: "global" }).waitFor();

      // A narrower scope cannot loosen: the server's words are shown.
      await page.getByLabel("Scope").selectOption("project:app");
      await table.getByRole("row").filter({ hasText: "maxTurns" }).waitFor();
      await page.getByLabel("Rules").fill("canRunCommands=true");
      await page.getByRole("button", { name: "Set" }).click();
      await page.getByRole("alert").filter({ hasText: "would loosen canRunCommands=false set at global" }).waitFor();
      await page.getByLabel("Rules").fill("canFly=true");
      await page.getByRole("button", { name: "Set" }).click();
      await page.getByRole("alert").filter({ hasText: "unknown policy key 'canFly'; the keys are canCreateFiles" }).waitFor();
      await desk.screenshot({ path: join(shots, "policies-desktop.png") });
      await page.getByRole("button", { name: "Close" }).click();
    });

    // A chat in allow-all mode: its Bash call is refused by the policy, nobody is asked.
    const created = await stack.call("workspaces.create", { project: "app", branch: "feat", prompt: "Run it.", mode: "allow-all" });
    const chat = created.chat.id;
    await stack.waitChat(chat, "completed", TIMEOUT);

    await shotOnFailure(desk, "audit-desktop", async () => {
      await desk.getByRole("button", { name: "Policies" }).click();
      const page = desk.getByRole("dialog", { name: "Policies and audit" });
      await page.getByRole("button", { name: "Audit" }).click();
      await page.getByLabel("Decider").selectOption("policy");
      const list = page.getByRole("list", { name: "Agent actions" });
      await list.getByText("canRunCommands=false (global)").waitFor({ timeout: TIMEOUT });
      await list.getByText("echo hi > ran.txt").waitFor();
      await page.getByLabel("Kind").selectOption("policy_change");
      await page.getByLabel("Decider").selectOption("");
      await list.getByText("global: canRunCommands=false maxTurns=5").waitFor();
      await desk.screenshot({ path: join(shots, "audit-desktop.png") });
    });

    const phoneContext = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const phone = await phoneContext.newPage();
    phone.on("pageerror", (e) => errors.push(String(e)));
    await shotOnFailure(phone, "audit-phone", async () => {
      await signIn(phone, stack);
      await phone.getByRole("button", { name: "Policies" }).tap();
      const page = phone.getByRole("dialog", { name: "Policies and audit" });
      const box = await page.boundingBox();
      assert.ok(box && box.width === 390 && box.height === 844, `the page fills the phone: ${JSON.stringify(box)}`);
      await page.getByRole("table", { name: "Effective policy" }).getByText("canRunCommands").waitFor();
      await page.getByRole("button", { name: "Audit" }).tap();
      await page.getByLabel("Decider").selectOption("policy");
      const item = page.getByRole("list", { name: "Agent actions" }).getByText("canRunCommands=false (global)");
      await item.waitFor({ timeout: TIMEOUT });
      const itemBox = await item.boundingBox();
      assert.ok(itemBox && itemBox.x >= 0 && itemBox.x + itemBox.width <= 390, `readable on the phone: ${JSON.stringify(itemBox)}`);
      await phone.screenshot({ path: join(shots, "audit-phone.png") });
    });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await stack.stop();
  }
});
