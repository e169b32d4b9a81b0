// Chat management in the browser against the real band-server and the real Claude Code CLI on
// the mock model: a chat is titled by its first prompt, tabs have clear names, the status legend
// is on screen, and a chat is renamed and deleted from its menu (a working one only by stopping
// it first). Desktop and phone sizes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startStack } from "./stack.mjs";

const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 60_000;

/** The first chat asks to run a command (and waits); nothing else is said. */
const scenario = () => [{ text: "Let me look.", tool_calls: [{ name: "Bash", input: { command: "ls", description: "List" } }] }];

for (const size of ["desktop", "phone"]) {
  test(`${size}: chats are titled, renamed and deleted`, { timeout: 180_000 }, async () => {
    const stack = await startStack({ name: `band-e2e-chats-${size}`, scenario });
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
        // The legend says what the dots mean without hovering.
        const legend = page.locator('[data-testid="legend"]');
        assert.match(await legend.innerText(), /waiting for you[\s\S]*working[\s\S]*failed[\s\S]*interrupted[\s\S]*done/);
        await page.locator("#project-path").fill(stack.repo);
        await act(page.getByRole("button", { name: "Add", exact: true }));
        await page.locator('[data-testid="project-app"]').waitFor();
        await act(page.getByRole("button", { name: "New workspace in app" }));
        const dialog = page.getByRole("dialog");
        await dialog.locator('input[name="branch"]').fill("feat");
        await dialog.locator('textarea[name="prompt"]').fill("Look around the repository\nand tell me what is there");
        await act(dialog.getByRole("button", { name: "Create workspace" }));
        await dialog.waitFor({ state: "detached" });
        await page.getByRole("button", { name: "Allow" }).waitFor({ timeout: TIMEOUT });

        // A second chat: two tabs, with clear names (the first titled by its prompt).
        await act(page.getByRole("button", { name: "+ Chat" }).first());
        await act(page.getByRole("button", { name: "Start" }));
        const tabs = page.getByRole("tab");
        await tabs.nth(1).waitFor();
        const names = await page.locator(".chat-tabs .tab-name").allInnerTexts();
        assert.deepEqual(names, ["Look around the repository", "claude-code"]);

        // Rename the second from its menu.
        await act(page.getByRole("button", { name: "Chat actions" }));
        await act(page.getByRole("menuitem", { name: "Rename chat" }));
        const rename = page.getByRole("dialog", { name: "Rename chat" });
        await rename.locator('input[name="name"]').fill("notes");
        await act(rename.getByRole("button", { name: "Rename" }));
        await page.locator(".chat-tabs .tab-name", { hasText: "notes" }).waitFor();
        assert.equal((await stack.call("chats.list")).find((c) => c.name === "notes")?.agent, "claude-code");
        await page.screenshot({ path: join(shots, `chats-${size}-renamed.png`) });

        // Delete it: it goes, with its events.
        await act(page.getByRole("button", { name: "Chat actions" }));
        await act(page.getByRole("menuitem", { name: "Delete chat" }));
        await act(page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }));
        await page.locator(".chat-tabs .tab-name", { hasText: "notes" }).waitFor({ state: "detached" });
        assert.deepEqual((await stack.call("chats.list")).map((c) => c.name), ["Look around the repository"]);

        // The first is waiting on a permission: deleting it means stopping it, and says so.
        await act(page.getByRole("button", { name: "Chat actions" }));
        await act(page.getByRole("menuitem", { name: "Delete chat" }));
        const confirm = page.getByRole("dialog");
        assert.match(await confirm.innerText(), /Its agent is working: it is stopped first/);
        await act(confirm.getByRole("button", { name: "Stop and delete" }));
        await confirm.waitFor({ state: "detached" });
        await page.getByRole("button", { name: "Start" }).waitFor();
        assert.deepEqual(await stack.call("chats.list"), []);
      } catch (e) {
        await page.screenshot({ path: join(shots, `FAILED-chats-${size}.png`) }).catch(() => {});
        throw e;
      }
      await context.close();
    } finally {
      await browser.close();
      await stack.stop();
    }
  });
}
