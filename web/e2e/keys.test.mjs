// The keyboard (issue 13), against the real band-server and the real Claude Code CLI on the mock
// model: a whole journey with the keyboard alone — Ctrl+K opens the palette, "New workspace in
// app" opens its dialog, the workspace is created; `j` goes to the permission waiting, `a`
// allows it; a long turn is stopped with `s`; `2` switches to the Changes pane; `?` lists the
// keys; a key typed into the message box stays there. Then `d` denies a waiting permission, the
// palette's "New chat" starts a chat (Tab to Start) and the palette goes back to a chat by its
// name. Desktop size (a keyboard's), plus the palette at phone size.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startStack } from "./stack.mjs";

const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 60_000;

const scenario = () => [
  { text: "Let me say hi.", tool_calls: [{ name: "Bash", input: { command: "echo keys-hi", description: "Say hi" } }] },
  { text: "It said keys-hi." },
  // The second prompt's answer takes long: it is stopped with `s`.
  { text: "This takes a while.", delay_ms: 60_000 },
];

const blur = (page) => page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());

test("desktop: create, allow, stop, switch panes with the keyboard alone", { timeout: 240_000 }, async () => {
  const stack = await startStack({ name: "band-e2e-keys", scenario });
  const browser = await launchChromium();
  try {
    await stack.call("projects.add", { path: stack.repo });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    try {
      await page.goto(stack.link);
      await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });

      // `?`: the keys, listed.
      await page.keyboard.press("?");
      const help = page.locator('[data-testid="key-help"]');
      await help.waitFor();
      for (const k of ["Ctrl+K", "Allow", "Deny", "Stop", "next chat waiting", "Changes"]) await help.getByText(k, { exact: false }).first().waitFor();
      await page.keyboard.press("Escape");
      await help.waitFor({ state: "detached" });

      // Ctrl+K: the palette makes the workspace.
      await page.keyboard.press("Control+k");
      const palette = page.getByRole("dialog", { name: "Command palette" });
      await palette.waitFor();
      await page.keyboard.type("new workspace app");
      await page.keyboard.press("Enter");
      const dialog = page.getByRole("dialog");
      await dialog.locator('input[name="branch"]').focus();
      await page.keyboard.type("keys");
      await dialog.locator('textarea[name="prompt"]').focus();
      await page.keyboard.type("Say hi");
      await dialog.locator('select[name="mode"]').selectOption("ask");
      await dialog.getByRole("button", { name: "Create workspace" }).focus();
      await page.keyboard.press("Enter");
      await dialog.waitFor({ state: "detached" });
      const [chat] = await stack.call("chats.list");
      assert.ok(chat, "a chat was made");

      // Back to the overview with the palette; `j` goes to the chat waiting, `a` allows.
      await page.keyboard.press("Control+k");
      await palette.waitFor();
      await page.keyboard.type("all agents");
      await page.keyboard.press("Enter");
      await page.locator('[data-testid="overview"]').waitFor();
      await page.locator('[data-testid="overview-row"][data-status="waiting"]').waitFor({ timeout: TIMEOUT });
      await blur(page);
      await page.keyboard.press("j");
      await page.waitForURL(new RegExp(`/w/${chat.workspaceId}\\?chat=${chat.id}$`));
      await page.locator('[data-testid="permission"].pending', { hasText: "echo keys-hi" }).waitFor({ timeout: TIMEOUT });
      await blur(page);
      await page.keyboard.press("a");
      await page.getByText("It said keys-hi.").waitFor({ timeout: TIMEOUT });
      const events = await stack.call("chats.events", { chat: chat.id });
      assert.deepEqual(
        events.filter((e) => e.type === "permission_resolved").map((e) => [e.decision, e.by]),
        [["allow", "user"]],
      );

      // Keys typed into the message box stay there.
      const box = page.locator("textarea").first();
      await box.focus();
      await page.keyboard.type("jads?2 Take your time");
      assert.equal(await box.inputValue(), "jads?2 Take your time");
      assert.equal(await page.getByRole("dialog").count(), 0, "no overlay opened from the text box");
      await page.keyboard.press("Enter");
      await page.waitForFunction(
        async () => document.querySelector(".working-line") !== null,
        null,
        { timeout: TIMEOUT },
      );
      await blur(page);
      await page.keyboard.press("s");
      await page.waitForFunction(() => document.querySelector(".working-line") === null, null, { timeout: TIMEOUT });
      const stopped = (await stack.call("chats.list"))[0];
      assert.equal(stopped.status, "interrupted", "stopped with `s`");

      // `2`: the Changes pane.
      await page.keyboard.press("2");
      await page.locator('.side-switch button[aria-pressed="true"]', { hasText: "Changes" }).waitFor();
      await page.screenshot({ path: join(shots, "keys-desktop.png") });
    } catch (e) {
      await page.screenshot({ path: join(shots, "FAILED-keys-desktop.png") }).catch(() => {});
      throw e;
    }
    await context.close();
  } finally {
    await browser.close();
    await stack.stop();
  }
});

test("phone: the palette goes to a workspace", { timeout: 180_000 }, async () => {
  const stack = await startStack({ name: "band-e2e-keys-phone", scenario: () => [{ text: "Hello." }] });
  const browser = await launchChromium();
  try {
    await stack.call("projects.add", { path: stack.repo });
    const ws = await stack.call("workspaces.create", { project: "app", branch: "phone-keys" });
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    try {
      await page.goto(stack.link);
      await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
      await page.keyboard.press("Control+k");
      const palette = page.getByRole("dialog", { name: "Command palette" });
      await palette.waitFor();
      await page.keyboard.type("phone-keys");
      await palette.getByRole("option", { name: /app\/phone-keys/ }).first().tap();
      await page.waitForURL(new RegExp(`/w/${ws.id}$`));
      await page.screenshot({ path: join(shots, "keys-phone.png") });
    } catch (e) {
      await page.screenshot({ path: join(shots, "FAILED-keys-phone.png") }).catch(() => {});
      throw e;
    }
    await context.close();
  } finally {
    await browser.close();
    await stack.stop();
  }
});

/** Presses Tab until the focused element satisfies `is` (a page function of the element), at most `max` times. */
async function tabTo(page, is, what, max = 40) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(is)) return;
  }
  throw new Error(`Tab never reached ${what}`);
}

test("desktop: Deny with `d`, a new chat and a chat by name from the palette, with the keyboard alone", { timeout: 180_000 }, async () => {
  const scenario = () => [
    { text: "Let me try.", tool_calls: [{ name: "Bash", input: { command: "echo deny-me", description: "Try" } }] },
    { text: "Denied, fine." },
  ];
  const stack = await startStack({ name: "band-e2e-keys-deny", scenario });
  const browser = await launchChromium();
  try {
    await stack.call("projects.add", { path: stack.repo });
    const ws = await stack.call("workspaces.create", { project: "app", branch: "keys-deny", prompt: "Try something", agent: "claude-code", mode: "ask" });
    const first = ws.chat;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    // The palette's code is held back until released: its first opening is typed into before
    // the palette exists (as on a slow link), its second after.
    let release;
    const held = new Promise((r) => (release = r));
    await page.route(/\/assets\/Palette-[^/]*\.js$/, async (route) => {
      await held;
      await route.continue();
    });
    try {
      await page.goto(stack.link);
      await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
      await page.goto(`${stack.url}/w/${ws.id}?chat=${first.id}`);
      await page.locator('[data-testid="permission"].pending', { hasText: "echo deny-me" }).waitFor({ timeout: TIMEOUT });
      assert.equal(await page.evaluate(() => document.activeElement?.closest("input, textarea, select") ?? null), null, "a field took the keyboard on load");

      // `d`: Deny.
      await page.keyboard.press("d");
      await page.getByText("Denied, fine.").waitFor({ timeout: TIMEOUT });
      const events = await stack.call("chats.events", { chat: first.id });
      assert.deepEqual(
        events.filter((e) => e.type === "permission_resolved").map((e) => [e.decision, e.by]),
        [["deny", "user"]],
      );
      await page.waitForFunction(() => document.querySelector('[data-testid="chat"]')?.dataset.status === "completed", null, { timeout: TIMEOUT });

      // Ctrl+K "new chat" Enter, typed at once while the palette's code is still on its way: its
      // stand-in keeps the keys, and the palette picks "New chat" as it arrives.
      const palette = page.getByRole("dialog", { name: "Command palette" });
      await page.keyboard.press("Control+k");
      await page.keyboard.type("new chat");
      await page.keyboard.press("Enter");
      assert.equal(await palette.getByRole("searchbox", { name: "Command" }).inputValue(), "new chat");
      release();
      await palette.waitFor({ state: "detached" });
      await page.getByRole("heading", { name: "Start a chat" }).waitFor();
      await tabTo(page, () => document.activeElement?.textContent?.trim() === "Start", "the Start button");
      await page.keyboard.press("Enter");
      const deadline = Date.now() + TIMEOUT;
      let chats = [];
      while ((chats = await stack.call("chats.list", { workspace: String(ws.id) })).length < 2) {
        assert.ok(Date.now() < deadline, "the new chat was not made");
        await new Promise((r) => setTimeout(r, 200));
      }
      const second = chats.find((c) => c.id !== first.id);
      await page.waitForURL(new RegExp(`/w/${ws.id}\\?chat=${second.id}$`), { timeout: TIMEOUT });

      // Ctrl+K and the first chat's name: back to it.
      const name = (await stack.call("chats.get", { chat: first.id })).name;
      assert.ok(name, "the first chat has a name");
      // Typed at once again, the palette's code here now.
      await page.keyboard.press("Control+k");
      await page.keyboard.type(name);
      await palette.getByRole("option", { name: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} · app/keys-deny`) }).first().waitFor();
      await page.keyboard.press("Enter");
      await page.waitForURL(new RegExp(`/w/${ws.id}\\?chat=${first.id}$`), { timeout: TIMEOUT });
      await page.getByText("Denied, fine.").waitFor({ timeout: TIMEOUT });
      await page.screenshot({ path: join(shots, "keys-deny-desktop.png") });
    } catch (e) {
      await page.screenshot({ path: join(shots, "FAILED-keys-deny-desktop.png") }).catch(() => {});
      throw e;
    }
    await context.close();
  } finally {
    await browser.close();
    await stack.stop();
  }
});
