// The Usage page in headless Debian Chromium against a real band-server running the real Claude
// Code CLI on the mock model: after a turn that ran a command, the page draws its day chart from
// that turn (the canvas has ink; its data is the API's), lists the turn by agent and by model,
// counts the Bash call, and shows the turn; desktop and phone sizes.

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
  { text: "Let me look.", tool_calls: [{ name: "Bash", input: { command: "ls", description: "List" } }] },
  { text: "There is a README." },
];

test("the Usage page: a chart, groups and tool calls drawn from a real turn; desktop and phone", { timeout: 240_000 }, async () => {
  const stack = await startStack({ name: "band-e2e-usage", scenario });
  const browser = await launchChromium();
  try {
    await stack.call("projects.add", { path: stack.repo });
    const created = await stack.call("workspaces.create", { project: "app", branch: "feat", prompt: "Look around", mode: "allow-all" });
    const chatId = created.chat.id;
    const chat = await stack.waitChat(chatId, "completed", TIMEOUT);
    const byDay = await stack.call("usage.report", { by: "day", since: "30d" });
    assert.equal(byDay.groups.length, 1, JSON.stringify(byDay));
    const cost = byDay.groups[0].totals.usage.costUsd;
    assert.ok(cost > 0, JSON.stringify(byDay));
    const byModel = await stack.call("usage.report", { by: "model", since: "30d" });
    const model = byModel.groups[0].label;

    for (const size of ["desktop", "phone"]) {
      const phone = size === "phone";
      const context = await browser.newContext(
        phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 800 } },
      );
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      const act = (l) => (phone ? l.tap() : l.click());
      try {
        await page.goto(stack.link);
        await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
        await act(page.getByRole("button", { name: "Usage", exact: true }));
        const dialog = page.getByRole("dialog", { name: "Usage" });
        const chart = dialog.locator('[data-testid="usage-chart"]');
        await chart.locator("canvas").waitFor({ timeout: TIMEOUT });
        // The chart's data is the API's: 30 days (today included), the day's cost as its highest.
        assert.equal(await chart.getAttribute("data-days"), "30");
        assert.equal(Number(await chart.getAttribute("data-max-cost")).toFixed(6), cost.toFixed(6));
        // And it drew something: pixels with colour on the canvas.
        const inked = await chart.locator("canvas").evaluate((c) => {
          const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
          return n;
        });
        assert.ok(inked > 100, `the chart has ink: ${inked} pixels`);
        assert.match(await dialog.locator('[data-testid="usage-total"]').innerText(), /^1 turn · .* in · .* out · .* cached · \$\d/);

        // By agent (the default), then by model.
        const groups = dialog.locator('[data-testid="usage-groups"]');
        await groups.getByText("claude-code").waitFor();
        assert.match(await groups.locator("tbody tr").first().innerText(), /claude-code\s+1\s/);
        await act(dialog.getByRole("button", { name: "Model", exact: true }));
        await groups.getByText(model).waitFor();
        const tools = dialog.locator('[data-testid="usage-tools"]');
        assert.match(await tools.innerText(), /Bash\s*1/);
        const turns = dialog.locator('[data-testid="usage-turns"]');
        assert.match(await turns.innerText(), new RegExp(`claude-code · ${model.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[\\s\\S]*Bash 1`));
        // Nothing sticks out sideways on a phone.
        const overflow = await dialog.evaluate((d) => d.scrollWidth - d.clientWidth);
        assert.ok(overflow <= 1, `overflow ${overflow}px`);
        await page.screenshot({ path: join(shots, `usage-${size}.png`) });
        assert.deepEqual(errors, []);
      } catch (e) {
        await page.screenshot({ path: join(shots, `FAILED-usage-${size}.png`) }).catch(() => {});
        throw e;
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser.close();
    await stack.stop();
  }
});
