// Every agent at a glance (issue 13): the overview is the desktop's start page and the phone's
// "All agents" tab. Against the real band-server and the real Claude Code CLI on the mock model,
// a chat in ask mode waits on a Bash command; the overview shows it first with the tool and the
// command, filters and search find it (or nothing), and Allow answers it from there: the agent
// runs the command, the chat finishes, and its last message shows on the overview.

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
  { text: "Let me say hi.", tool_calls: [{ name: "Bash", input: { command: "echo overview-hi", description: "Say hi" } }] },
  { text: "It said overview-hi." },
];

for (const size of ["desktop", "phone"]) {
  test(`${size}: a waiting permission answered from the overview`, { timeout: 240_000 }, async () => {
    const stack = await startStack({ name: `band-e2e-overview-${size}`, scenario });
    const browser = await launchChromium();
    try {
      await stack.call("projects.add", { path: stack.repo });
      // One chat that waits (ask mode, a Bash command), made through the API as the CLI would.
      await stack.call("workspaces.create", { project: "app", branch: "waits", prompt: "Say hi", mode: "ask" });
      const phone = size === "phone";
      const context = await browser.newContext(
        phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 800 } },
      );
      const page = await context.newPage();
      const act = (l) => (phone ? l.tap() : l.click());
      try {
        await page.goto(stack.link);
        await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
        if (phone) await act(page.getByRole("tab", { name: /All agents/ }));
        const overview = page.locator('[data-testid="overview"]');
        const row = overview.locator('[data-testid="overview-row"][data-status="waiting"]');
        await row.waitFor({ timeout: TIMEOUT });
        const permission = row.locator('[data-testid="overview-permission"]');
        await permission.filter({ hasText: "Bash wants permission: echo overview-hi" }).waitFor();
        await row.getByText("claude-code").waitFor();
        await row.getByText("app/waits").waitFor();
        await row.getByText(/tokens/).waitFor();
        // The tab says how many wait, whatever page is open.
        await page.getByRole("tab", { name: "All agents (1 waiting)" }).waitFor();

        // Search and filters: the waiting chat is found by its command and its status, and a
        // search that matches nothing says so.
        const search = overview.getByRole("searchbox", { name: "Search chats" });
        await search.fill("overview-hi");
        await row.waitFor();
        await search.fill("nothing-like-this");
        await overview.getByText("No chat matches.").waitFor();
        await search.fill("");
        await overview.getByRole("combobox", { name: "Status" }).selectOption("working");
        await overview.getByText("No chat matches.").waitFor();
        await overview.getByRole("combobox", { name: "Status" }).selectOption("waiting");
        await row.waitFor();
        await overview.getByRole("combobox", { name: "Project" }).selectOption("app");
        await overview.getByRole("combobox", { name: "Agent" }).selectOption("claude-code");
        await row.waitFor();
        await page.screenshot({ path: join(shots, `overview-${size}.png`) });

        // Answered from the overview: the agent goes on and finishes; the row follows live.
        await act(permission.getByRole("button", { name: "Allow" }));
        await overview.getByRole("combobox", { name: "Status" }).selectOption("");
        const done = overview.locator('[data-testid="overview-row"]', { hasText: "It said overview-hi." });
        await done.waitFor({ timeout: TIMEOUT });
        assert.equal(await overview.locator('[data-testid="overview-permission"]').count(), 0, "nothing waits any more");
        const chats = await stack.call("chats.list");
        assert.equal(chats.length, 1);
        const events = await stack.call("chats.events", { chat: chats[0].id });
        const resolved = events.filter((e) => e.type === "permission_resolved");
        assert.deepEqual(
          resolved.map((e) => [e.decision, e.by]),
          [["allow", "user"]],
          "the permission was allowed by a person, from the overview",
        );
        await page.getByRole("tab", { name: "All agents" }).waitFor();

        // A row opens its chat.
        await act(done.locator("button.overview-name"));
        await page.getByText("It said overview-hi.").last().waitFor();
        await page.waitForURL(new RegExp(`/w/${chats[0].workspaceId}\\?chat=${chats[0].id}$`));
      } catch (e) {
        await page.screenshot({ path: join(shots, `FAILED-overview-${size}.png`) }).catch(() => {});
        throw e;
      }
      await context.close();
    } finally {
      await browser.close();
      await stack.stop();
    }
  });
}
