// Onboarding on an empty home (issue 13), against the real band-server: the dashboard says what
// band is and which agent CLIs are installed (the real Claude Code is, the others say how to get
// them); the path field completes from the server (directories only, repositories marked); a
// repository without commits is explained with what to run and not added; a good one is added.
// Desktop and phone.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { git, launchChromium, startStack } from "./stack.mjs";

const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 60_000;

for (const size of ["desktop", "phone"]) {
  test(`${size}: onboarding on an empty home adds a first project`, { timeout: 180_000 }, async () => {
    const stack = await startStack({ name: `band-e2e-onboarding-${size}`, scenario: () => [{ text: "Hello." }] });
    const empty = join(stack.root, "app-empty");
    mkdirSync(empty);
    git(empty, "init", "-q", "-b", "main");
    writeFileSync(join(stack.root, "app-notes.txt"), "a file, never listed");
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
        const welcome = page.locator('[data-testid="onboarding"]');
        await welcome.getByText("band runs AI coding agents").waitFor();
        await welcome.locator('[data-testid="onboarding-agents"] li', { hasText: /^Claude Code installed/ }).waitFor({ timeout: 30_000 });
        await act(welcome.getByText(/^How to install another agent/));
        await welcome.locator('[data-testid="onboarding-more-agents"] li', { hasText: "npm install -g" }).first().waitFor();

        // Completion: the directories under the typed prefix, repositories marked, files never.
        const field = welcome.locator("#onboarding-path");
        await field.fill(join(stack.root, "app"));
        const paths = welcome.locator('[data-testid="path-completions"] li');
        await paths.filter({ hasText: "app-empty" }).filter({ hasText: "repository, no commits yet" }).waitFor();
        await paths.filter({ hasText: /\/app git repository$/ }).waitFor();
        assert.equal(await paths.filter({ hasText: "app-notes.txt" }).count(), 0, "files are not listed");

        // A repository without commits: explained, with what to run; nothing added.
        await act(paths.filter({ hasText: "app-empty" }).getByRole("button"));
        assert.equal(await field.inputValue(), empty);
        await act(welcome.getByRole("button", { name: "Add project" }));
        await welcome.getByRole("alert").filter({ hasText: "without any commit yet" }).waitFor();
        await welcome.locator('[data-testid="onboarding-hint"]', { hasText: 'commit --allow-empty -m "Initial commit"' }).waitFor();
        assert.deepEqual(await stack.call("projects.list"), []);
        await page.screenshot({ path: join(shots, `onboarding-${size}.png`) });

        // The good one is added; the welcome gives way to the project.
        await field.fill(`${stack.repo}/`);
        await act(welcome.getByRole("button", { name: "Add project" }));
        await page.locator('[data-testid="project-app"]').waitFor();
        await welcome.waitFor({ state: "detached" });
        assert.deepEqual((await stack.call("projects.list")).map((p) => p.name), ["app"]);
      } catch (e) {
        await page.screenshot({ path: join(shots, `FAILED-onboarding-${size}.png`) }).catch(() => {});
        throw e;
      }
      await context.close();
    } finally {
      await browser.close();
      await stack.stop();
    }
  });
}
