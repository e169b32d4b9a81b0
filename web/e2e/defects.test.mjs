// What a new user tripped over (issue 13), each reproduced against the real band-server with the
// real Claude Code CLI on the mock model, at desktop and phone sizes: the chat scrolled short of
// a waiting permission, a permission for Write that hid what it would write, Markdown tables and
// images, a 20 KB prompt as one bubble, "ask" mode that did not ask, a stopped tool call left
// "pending", the terminal taking the keyboard on load, another device's layout switching this
// one's pane, the mode picker overflowing its dialog, the phone header cutting the branch name,
// and the unpadded empty text.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startStack } from "./stack.mjs";

const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 60_000;

/** A long pasted message: 20 KB of a log, as someone pastes one. */
const PASTED = "Please add a greeting file. Here is the log:\n" + Array.from({ length: 400 }, (_, i) => `line ${i}: something happened here`).join("\n");

const scenario = (branch) => (worktrees) => [
  {
    text: "I'll add a greeting file.",
    tool_calls: [{ name: "Write", input: { file_path: join(worktrees, "app", branch, "hello.txt"), content: "hello from claude\nsecond line\n" } }],
  },
  {
    text: "Done.\n\n| file | lines |\n|:--|--:|\n| hello.txt | 2 |\n\nSee ![the diagram](https://example.com/d.png).",
  },
  // Claude Code runs `echo` without asking on its own (a read-only command): in ask mode band asks.
  { text: "Let me say hi.", tool_calls: [{ name: "Bash", input: { command: "echo hi", description: "Say hi" } }] },
  { text: "It said hi." },
];

async function signIn(page, stack) {
  await page.goto(stack.link);
  await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
}

async function withFailureShot(page, name, body) {
  try {
    await body();
  } catch (e) {
    await page.screenshot({ path: join(shots, `FAILED-${name}.png`) }).catch(() => {});
    throw e;
  }
}

/** The element's box lies inside the box of `within` (both measured now). */
async function inside(locator, within) {
  const [a, b] = [await locator.boundingBox(), await within.boundingBox()];
  assert.ok(a && b, "both are on screen");
  return a.y >= b.y - 1 && a.y + a.height <= b.y + b.height + 1 && a.x >= b.x - 1 && a.x + a.width <= b.x + b.width + 1;
}

/** Opens the new-workspace dialog, checks nothing overflows it, and creates the workspace. */
async function createWorkspace(t, page, branch, prompt, tap) {
  await tap(page.getByRole("button", { name: "New workspace in app" }));
  const dialog = page.getByRole("dialog");
  await dialog.locator('input[name="branch"]').fill(branch);
  await dialog.locator('textarea[name="prompt"]').fill(prompt);
  await dialog.locator('select[name="mode"]').selectOption("ask");
  await t.test("defect 7: the mode picker stays inside the new-workspace dialog", async () => {
    assert.ok(await inside(dialog.locator('select[name="mode"]'), dialog), "the mode picker fits its dialog");
    assert.ok(await inside(dialog.locator('select[name="agent"]'), dialog), "the agent picker fits its dialog");
    const overflow = await dialog.evaluate((m) => m.scrollWidth - m.clientWidth);
    assert.ok(overflow <= 0, `the dialog scrolls sideways by ${overflow} px`);
  });
  await tap(dialog.getByRole("button", { name: "Create workspace" }));
  await dialog.waitFor({ state: "detached" });
}

/** Defect 1: the waiting permission's buttons are on screen, inside the chat's log. */
async function permissionInView(t, page) {
  const allow = page.getByRole("button", { name: "Allow" });
  await allow.waitFor({ timeout: TIMEOUT });
  await page.locator('[data-testid="workspace-view"] [data-testid="badge"]', { hasText: "waiting" }).waitFor();
  // Let the rows be measured and the list settle.
  await page.waitForTimeout(600);
  await t.test("defect 1: the waiting permission is in view, the chat scrolled to its end", async () => {
    const log = page.locator('[role="log"]');
    const gap = await log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
    assert.ok(gap <= 1, `the chat stopped ${gap} px short of its end`);
    assert.ok(await inside(allow, log), "Allow is inside the chat's visible area");
    assert.ok(await inside(page.getByRole("button", { name: "Deny" }), log), "Deny is inside the chat's visible area");
  });
  return allow;
}

test("desktop: what a new user tripped over", { timeout: 240_000 }, async (t) => {
  const stack = await startStack({ name: "band-e2e-defects", scenario: scenario("feat") });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const exceptions = [];
    page.on("pageerror", (e) => exceptions.push(String(e)));
    const click = (l) => l.click();
    await withFailureShot(page, "defects-desktop", async () => {
      await signIn(page, stack);
      await t.test("defect 10: the empty text sits in from the sidebar's edge", async () => {
        const [e, s] = [await page.getByText("No projects yet").boundingBox(), await page.locator(".sidebar").boundingBox()];
        assert.ok(e.x - s.x >= 10, `the empty text is ${e.x - s.x} px from the sidebar's edge`);
      });

      await page.locator("#project-path").fill(stack.repo);
      await page.getByRole("button", { name: "Add", exact: true }).click();
      await page.locator('[data-testid="project-app"]').waitFor();
      await createWorkspace(t, page, "feat", PASTED, click);

      const allow = await permissionInView(t, page);
      await t.test("defect 10: a permission for Write shows what will be written", async () => {
        assert.match(await page.locator('[data-testid="permission"]').innerText(), /hello from claude/);
      });
      await t.test("defect 10: a 20 KB prompt is folded", async () => {
        assert.ok((await page.locator(".msg-user .bubble").first().boundingBox()).height < 400, "a long prompt is folded");
      });
      await page.screenshot({ path: join(shots, "defects-desktop-permission.png") });
      await allow.click();

      await page.getByText("See").last().waitFor({ timeout: TIMEOUT });
      await page.locator('[data-testid="turn-end"]').waitFor({ timeout: TIMEOUT });
      await t.test("defect 10: a Markdown table is a table; an image leaves no stray '!'", async () => {
        await page.locator(".md table th", { hasText: "lines" }).waitFor({ timeout: 2000 });
        assert.equal(await page.locator(".md table tbody td").first().innerText(), "hello.txt");
        const reply = await page.locator(".msg-agent", { hasText: "the diagram" }).innerText();
        assert.ok(!reply.includes("!"), `a stray '!' in: ${reply}`);
      });
      await t.test("defect 10: the folded prompt opens", async () => {
        await page.getByRole("button", { name: "Show all" }).first().click({ timeout: 2000 });
        await page.getByText("line 399: something happened here").waitFor({ timeout: 2000 });
      });

      // Claude Code runs `echo` without asking on its own (a read-only command).
      await page.getByRole("textbox", { name: "Message" }).fill("Say hi");
      await page.getByRole("button", { name: "Send" }).click();
      await page.locator('[data-testid="tool-call"]', { hasText: "echo hi" }).waitFor({ timeout: TIMEOUT });
      await t.test("defect 8: in ask mode, Claude Code's echo asks too", async () => {
        await page.locator('[data-testid="permission"]', { hasText: "echo hi" }).waitFor({ timeout: 5000 });
      });
      // The turn is busy on that waiting permission: Stop is there, always.
      const stop = page.getByRole("button", { name: "Stop" });
      await stop.waitFor({ timeout: 5000 });
      await stop.click();
      await t.test("defect 9: the stopped tool call reads interrupted, not pending", async () => {
        const tool = page.locator('[data-testid="tool-call"]', { hasText: "echo hi" });
        await tool.locator(".chip", { hasText: "interrupted" }).waitFor({ timeout: 5000 });
        assert.equal(await page.locator('[data-testid="tool-call"] .chip', { hasText: "pending" }).count(), 0);
      });
      await page.locator('[data-testid="workspace-feat"] [data-testid="badge"]', { hasText: "interrupted" }).waitFor({ timeout: TIMEOUT });

      await page.getByRole("group", { name: "Side pane" }).getByRole("button", { name: "Terminal" }).click();
      await page.locator('[data-testid="terminal"][data-state="open"]:visible').waitFor({ timeout: TIMEOUT });
      await page.waitForTimeout(500); // the layout is written at most every 400 ms
      await page.reload();
      const term = page.locator('[data-testid="terminal"][data-state="open"]:visible');
      await term.waitFor({ timeout: TIMEOUT });
      await page.waitForTimeout(300);
      const inTerminal = () => page.evaluate(() => !!document.activeElement?.closest('[data-testid="terminal"]'));
      await t.test("defect 3: the Terminal pane does not take the keyboard on load; F6 leaves it", async () => {
        assert.equal(await inTerminal(), false, "the terminal took the keyboard on load");
        await term.locator(".xterm").click();
        assert.equal(await inTerminal(), true);
        await page.keyboard.press("Tab");
        assert.equal(await inTerminal(), true, "Tab stays in the shell");
        await page.keyboard.press("F6");
        assert.equal(await inTerminal(), false, "F6 leaves the terminal");
        await page.getByText("F6 leaves the terminal").waitFor({ timeout: 2000 });
      });

      const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      const other = await phone.newPage();
      await signIn(other, stack);
      await other.waitForURL((u) => u.pathname.startsWith("/w/"), { timeout: TIMEOUT });
      await other.getByRole("navigation", { name: "Panes" }).getByRole("button", { name: "Files" }).tap();
      await other.locator('[data-testid="file-tree"]').waitFor({ timeout: TIMEOUT });
      await other.waitForTimeout(1000);
      await t.test("defect 6: another device opening Files does not switch this page's pane", async () => {
        const side = page.getByRole("group", { name: "Side pane" });
        assert.equal(await side.getByRole("button", { name: "Terminal", pressed: true }).count(), 1, "the pane stayed put");
      });
      await phone.close();
      assert.deepEqual(exceptions, []);
    });
    await context.close();
  } finally {
    await browser.close();
    await stack.stop();
  }
});

test("phone: the permission in view, the branch name whole", { timeout: 180_000 }, async (t) => {
  const stack = await startStack({ name: "band-e2e-defects-phone", scenario: scenario("greeting-feature") });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const tap = (l) => l.tap();
    await withFailureShot(page, "defects-phone", async () => {
      await signIn(page, stack);
      await t.test("defect 10: the empty text has room", async () => {
        assert.ok((await page.getByText("No projects yet").boundingBox()).x >= 10, "the empty text has room");
      });
      await page.locator("#project-path").fill(stack.repo);
      await tap(page.getByRole("button", { name: "Add", exact: true }));
      await page.locator('[data-testid="project-app"]').waitFor();
      await createWorkspace(t, page, "greeting-feature", PASTED, tap);
      await permissionInView(t, page);
      await page.screenshot({ path: join(shots, "defects-phone-permission.png") });
      await t.test("defect 7: the branch name is whole; Remove is in the workspace's menu", async () => {
        const title = page.locator(".ws-title h1");
        assert.ok(await title.evaluate((h) => h.scrollWidth <= h.clientWidth), "the branch name is cut");
        assert.equal(await page.locator(".ws-head").getByRole("button", { name: "Remove", exact: true }).count(), 0);
        await tap(page.getByRole("button", { name: "Workspace actions" }));
        await tap(page.getByRole("menuitem", { name: "Remove workspace" }));
        await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).waitFor({ timeout: 2000 });
      });
    });
    await context.close();
  } finally {
    await browser.close();
    await stack.stop();
  }
});
