// Review comments in the browser against the real band-server and the real Claude Code CLI on
// the mock model: an edit made on disk outside band shows in the Changes pane live (the file
// watcher), a comment on a diff line is kept across a reload, "Send to agent" delivers it
// as one message that the agent receives (its next turn answers, and Claude Code's own session
// log holds the file, line, quoted code and comment), and a resolved comment goes away.
// Desktop and phone sizes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startStack } from "./stack.mjs";

const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 60_000;

const scenario = () => [{ text: "Ready for review." }, { text: "Addressing your review now." }];

/** Every file under `dir`, as text, joined (Claude Code's session logs). */
function allText(dir) {
  let out = "";
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? allText(p) : readFileSync(p, "utf8");
  }
  return out;
}

for (const size of ["desktop", "phone"]) {
  test(`${size}: a review comment on a diff line reaches the agent`, { timeout: 180_000 }, async () => {
    const stack = await startStack({ name: `band-e2e-review-${size}`, scenario });
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
        await page.locator("#project-path").fill(stack.repo);
        await act(page.getByRole("button", { name: "Add", exact: true }));
        await page.locator('[data-testid="project-app"]').waitFor();
        await act(page.getByRole("button", { name: "New workspace in app" }));
        const dialog = page.getByRole("dialog");
        await dialog.locator('input[name="branch"]').fill("feat");
        await dialog.locator('textarea[name="prompt"]').fill("Get ready for a review.");
        await act(dialog.getByRole("button", { name: "Create workspace" }));
        await dialog.waitFor({ state: "detached" });
        await page.getByText("Ready for review.").waitFor({ timeout: TIMEOUT });

        const openChanges = async () => {
          if (phone) await act(page.getByRole("navigation", { name: "Panes" }).getByRole("button", { name: "Changes" }));
          // On a wide screen the side pane shows Changes unless another pane was chosen (it loads on demand).
          else await page.locator('[data-testid="changes"]').waitFor({ timeout: 10_000 }).catch(() => act(page.getByRole("button", { name: "Changes", exact: true }).first()));
          await page.locator('[data-testid="changes"]').waitFor();
        };
        await openChanges();
        await page.getByText("No changes against main yet.").waitFor({ timeout: TIMEOUT });
        // An edit made outside band (as an editor would): the pane shows it live, no reload, no Refresh.
        writeFileSync(join(stack.worktree("feat"), "app.js"), 'export function greet(name) {\n  return "yo " + name;\n}\n');
        const file = page.locator('[data-testid="file-diff"][data-path="app.js"]');
        await file.waitFor({ timeout: TIMEOUT });

        // Comment on the added line 2.
        await act(file.getByRole("button", { name: "Comment on new line 2" }));
        await page.getByRole("textbox", { name: "Review comment" }).fill("Say hello, not yo.");
        await act(page.getByRole("button", { name: "Add comment" }));
        const card = page.locator('[data-testid="review-comment"]');
        await card.waitFor();
        assert.match(await card.innerText(), /line 2[\s\S]*Say hello, not yo\./);
        await page.screenshot({ path: join(shots, `review-${size}-comment.png`) });

        // Kept across a reload.
        await page.reload();
        await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
        await openChanges();
        await card.waitFor({ timeout: TIMEOUT });
        assert.match(await page.locator('[data-testid="review-bar"]').innerText(), /1 comment, 1 unsent/);

        // Send to agent: one message, which the agent answers.
        await act(page.getByRole("button", { name: "Send to agent" }));
        await page.getByRole("status").filter({ hasText: /Sent 1 comment to/ }).waitFor({ timeout: TIMEOUT });
        if (phone) await act(page.getByRole("navigation", { name: "Panes" }).getByRole("button", { name: "Chat" }));
        await page.getByText("Addressing your review now.").waitFor({ timeout: TIMEOUT });
        const user = page.locator(".msg-user").last();
        assert.match(await user.innerText(), /app\.js line 2[\s\S]*return "yo " \+ name;[\s\S]*Comment: Say hello, not yo\./);
        // The real CLI got it: its own session log holds the comment with its place and code.
        // (It writes that log as it goes: give it a moment.)
        let logs = "";
        for (let i = 0; i < 50 && !(logs.includes("app.js line 2") && logs.includes("Say hello, not yo.")); i++) {
          await new Promise((r) => setTimeout(r, 200));
          logs = allText(join(stack.home, "agent-home", ".claude", "projects"));
        }
        assert.ok(logs.includes("app.js line 2") && logs.includes("Say hello, not yo."), "the comment is in Claude Code's session log");
        const [comment] = await stack.call("workspaces.comments", { workspace: "app/feat" });
        assert.equal(typeof comment.sentChatId, "number");
        await page.screenshot({ path: join(shots, `review-${size}-sent.png`) });

        // Resolved: it leaves the pane.
        if (phone) await openChanges();
        await act(card.getByRole("button", { name: "Resolve" }));
        await card.waitFor({ state: "detached" });
        assert.deepEqual(await stack.call("workspaces.comments", { workspace: "app/feat" }), []);
      } catch (e) {
        await page.screenshot({ path: join(shots, `FAILED-review-${size}.png`) }).catch(() => {});
        throw e;
      }
      await context.close();
    } finally {
      await browser.close();
      await stack.stop();
    }
  });
}
