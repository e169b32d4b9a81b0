// Defect 9, second half (issue 13): after band-server restarts, the Terminal pane's shell is gone
// (a restart ends every shell). The pane says what happened and offers a new terminal, instead
// of emptying silently; the offer opens one. Against the real band-server, desktop and phone.

import { test } from "node:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startStack } from "./stack.mjs";

const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 60_000;

for (const size of ["desktop", "phone"]) {
  test(`${size}: the Terminal pane says its shell ended with a restart and offers a new one`, { timeout: 180_000 }, async () => {
    const stack = await startStack({ name: `band-e2e-restart-${size}`, scenario: () => [{ text: "Hello." }] });
    const browser = await launchChromium();
    try {
      await stack.call("projects.add", { path: stack.repo });
      const ws = await stack.call("workspaces.create", { project: "app", branch: "restart" });
      const phone = size === "phone";
      const context = await browser.newContext(
        phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 800 } },
      );
      const page = await context.newPage();
      const act = (l) => (phone ? l.tap() : l.click());
      try {
        await page.goto(stack.link);
        await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
        await page.goto(`${stack.url}/w/${ws.id}?tab=terminal`);
        const pane = page.locator('[data-testid="terminals"]');
        await pane.locator('[data-testid="terminal"][data-state="open"]').waitFor({ timeout: TIMEOUT });
        const before = await stack.call("terminals.list", { workspace: String(ws.id) });

        await stack.restart();
        const lost = pane.locator('[data-testid="terminal-lost"]');
        await lost.getByText("band-server stopped or restarted").waitFor({ timeout: TIMEOUT });
        await page.screenshot({ path: join(shots, `restart-terminal-${size}.png`) });
        await act(lost.getByRole("button", { name: "Start a new terminal" }));
        await lost.waitFor({ state: "detached" });
        await pane.locator('[data-testid="terminal"][data-state="open"]').waitFor({ timeout: TIMEOUT });
        const after = await stack.call("terminals.list", { workspace: String(ws.id) });
        if (after.length !== 1 || after[0].pid === before[0]?.pid) throw new Error(`a new terminal: ${JSON.stringify({ before, after })}`);
      } catch (e) {
        await page.screenshot({ path: join(shots, `FAILED-restart-terminal-${size}.png`) }).catch(() => {});
        throw e;
      }
      await context.close();
    } finally {
      await browser.close();
      await stack.stop();
    }
  });
}
