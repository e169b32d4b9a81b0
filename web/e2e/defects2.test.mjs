// Two more of what a new user tripped over (issue 13), against the real band-server with the real
// Claude Code CLI on the mock model, at desktop and phone sizes:
// - defect 2: an edit in progress on a queued message was lost when the turn ended first (the
//   original went out, the edit box vanished). Now the message is held while edited: the turn
//   that ends meanwhile sends nothing, and Save sends the edited text.
// - defect 5: a create with the agent's CLI missing left a workspace and an empty chat, and lost
//   the prompt. Now nothing is made, the dialog says what is wrong and what to do, and the
//   prompt stays in its field.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startStack } from "./stack.mjs";

const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 60_000;

const SIZES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
};

/** Polls `probe` until it returns a truthy value, or fails with `what` after `ms`. */
async function until(what, probe, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

for (const [size, options] of Object.entries(SIZES)) {
  test(`${size}: defect 2: an edit in progress on a queued message wins over the turn's end`, { timeout: 180_000 }, async () => {
    const scenario = () => [
      // The first turn waits on a permission (ask mode) until the test allows it.
      { text: "Let me look.", tool_calls: [{ name: "Bash", input: { command: "echo queue-wait", description: "Wait" } }] },
      { text: "First turn done." },
      { text: "Answered the queued message." },
    ];
    const stack = await startStack({ name: `band-e2e-queue-${size}`, scenario });
    const browser = await launchChromium();
    try {
      await stack.call("projects.add", { path: stack.repo });
      const ws = await stack.call("workspaces.create", { project: "app", branch: "held-edit", prompt: "Look around", agent: "claude-code", mode: "ask" });
      const chatId = ws.chat.id;
      const context = await browser.newContext(options);
      const page = await context.newPage();
      const act = (l) => (size === "phone" ? l.tap() : l.click());
      const exceptions = [];
      page.on("pageerror", (e) => exceptions.push(String(e)));
      try {
        await page.goto(stack.link);
        await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
        await page.goto(`${stack.url}/w/${ws.id}?chat=${chatId}`);
        await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
        await page.locator('[data-testid="permission"].pending', { hasText: "echo queue-wait" }).waitFor({ timeout: TIMEOUT });

        // Queue a message behind the busy turn.
        await page.getByRole("textbox", { name: "Message" }).fill("original text");
        await act(page.getByTestId("chat").getByRole("button", { name: "Queue", exact: true }));
        const queued = page.locator('[data-testid="queued"]');
        await queued.filter({ hasText: "original text" }).waitFor({ timeout: 10_000 });

        // Start editing it; the server holds it.
        await act(queued.getByRole("button", { name: "Edit" }));
        const edit = page.getByRole("textbox", { name: "Queued message" });
        await edit.fill("edited text");
        await page.locator('[data-testid="held"]').waitFor();
        // The field has room to edit in (on the phone it was squeezed to a few pixels).
        const width = (await edit.boundingBox()).width;
        assert.ok(width >= 150, `the edit field is ${width} px wide`);

        // The turn ends while the edit box is open.
        await act(page.getByRole("button", { name: "Allow" }));
        await page.getByText("First turn done.").waitFor({ timeout: TIMEOUT });
        await until("the first turn's end", async () => !["working", "waiting"].includes((await stack.call("chats.get", { chat: chatId })).status), TIMEOUT);
        // Nothing went out: the held message waits, the edit box is still open with the edit.
        await page.waitForTimeout(1500);
        const prompts = async () => (await stack.call("chats.events", { chat: chatId })).filter((e) => e.type === "prompt").map((e) => e.text);
        assert.deepEqual(await prompts(), ["Look around"], "the queued message was sent while held");
        assert.equal(await edit.inputValue(), "edited text", "the edit box kept the edit");
        assert.equal(await page.locator('[data-testid="queued-sent"]').count(), 0);
        assert.deepEqual((await stack.call("chats.queue", { chat: chatId })).map((q) => q.text), ["original text"]);
        await page.screenshot({ path: join(shots, `queue-edit-${size}.png`) });

        // Save: the edited text is what is sent.
        await act(queued.getByRole("button", { name: "Save" }));
        await page.getByText("Answered the queued message.").waitFor({ timeout: TIMEOUT });
        assert.deepEqual(await prompts(), ["Look around", "edited text"]);
        assert.deepEqual(await stack.call("chats.queue", { chat: chatId }), []);
        assert.equal(await page.locator('[data-testid="queued"]').count(), 0);
        assert.deepEqual(exceptions, []);
      } catch (e) {
        await page.screenshot({ path: join(shots, `FAILED-queue-edit-${size}.png`) }).catch(() => {});
        throw e;
      }
      await context.close();
    } finally {
      await browser.close();
      await stack.stop();
    }
  });

  test(`${size}: defect 5: a create with the agent's CLI missing makes nothing and keeps the prompt`, { timeout: 120_000 }, async () => {
    const missing = "/nonexistent/band-e2e/claude";
    const stack = await startStack({
      name: `band-e2e-missing-${size}`,
      scenario: () => [{ text: "Never asked." }],
      settings: ({ bin }) => ({ agents: { "claude-code": { binary: missing, env: { PATH: `${bin}:${process.env.PATH}` } } } }),
    });
    const browser = await launchChromium();
    try {
      await stack.call("projects.add", { path: stack.repo });
      const context = await browser.newContext(options);
      const page = await context.newPage();
      const act = (l) => (size === "phone" ? l.tap() : l.click());
      try {
        await page.goto(stack.link);
        await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
        await page.locator('[data-testid="project-app"]').waitFor({ timeout: TIMEOUT });
        await act(page.getByRole("button", { name: "New workspace in app" }));
        const dialog = page.getByRole("dialog");
        const PROMPT = "Add a greeting file, please";
        await dialog.locator('input[name="branch"]').fill("no-cli");
        await dialog.locator('textarea[name="prompt"]').fill(PROMPT);
        // The default agent is Claude Code, listed as not installed (its option disabled).
        assert.equal(await dialog.locator('select[name="agent"]').inputValue(), "claude-code");
        await act(dialog.getByRole("button", { name: "Create workspace" }));
        const alert = dialog.getByRole("alert");
        await alert.waitFor({ timeout: TIMEOUT });
        const said = await alert.innerText();
        // What is wrong (the agent's CLI is not there) and what to do (install it, or set its binary).
        assert.match(said, /claude/i, `names the agent: ${said}`);
        assert.match(said, /not found|missing|not installed|no such|cannot be found|isn't installed|is not installed/i, `says what is wrong: ${said}`);
        assert.match(said, /install|settings|binary/i, `says what to do: ${said}`);
        await page.screenshot({ path: join(shots, `missing-cli-${size}.png`) });
        // Nothing was made.
        assert.deepEqual(await stack.call("workspaces.list"), []);
        assert.deepEqual(await stack.call("chats.list"), []);
        // The prompt is still there, and the dialog still open to fix and retry.
        assert.equal(await dialog.locator('textarea[name="prompt"]').inputValue(), PROMPT);
        assert.equal(await dialog.locator('input[name="branch"]').inputValue(), "no-cli");
        assert.equal(await dialog.getByRole("button", { name: "Create workspace" }).isEnabled(), true);
      } catch (e) {
        await page.screenshot({ path: join(shots, `FAILED-missing-cli-${size}.png`) }).catch(() => {});
        throw e;
      }
      await context.close();
    } finally {
      await browser.close();
      await stack.stop();
    }
  });
}
