// A project's setup script in the dashboard, in headless Debian Chromium against a real
// band-server: the repository's .band/config.json has a setup script; a new workspace is made
// without running it and says why; the user reads the script, approves exactly it and watches its
// output arrive live. Then a phone sees the same workspace's run and output. Last, a direct
// workspace (the checkout itself) is made, marked, and removed without touching the checkout;
// and the first workspace shows its facts, is archived and restored, and is merged back; and
// last the project is removed with everything in it, after a typed confirmation.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startStack } from "./stack.mjs";

const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 60_000;

test("approve a setup script and watch its output", { timeout: 120_000 }, async () => {
  const stack = await startStack({ name: "band-e2e-scripts", scenario: () => [] });
  const marker = join(stack.root, "setup-ran");
  mkdirSync(join(stack.repo, ".band"), { recursive: true });
  writeFileSync(
    join(stack.repo, ".band/config.json"),
    JSON.stringify({
      setup: `echo "step one in $BAND_BRANCH"; sleep 1.5; echo "step two"; echo done > '${marker}'`,
    }),
  );
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const exceptions = [];
    page.on("pageerror", (e) => exceptions.push(String(e)));
    try {
      await page.goto(stack.link);
      await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
      await page.locator("#project-path").fill(stack.repo);
      await page.getByRole("button", { name: "Add", exact: true }).click();
      await page.locator('[data-testid="project-app"]').waitFor();

      await page.getByRole("button", { name: "New workspace in app" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.locator('input[name="branch"]').fill("feat");
      await dialog.getByRole("button", { name: "Create workspace" }).click();
      await dialog.waitFor({ state: "detached" });

      // Made, nothing ran, and the page says why.
      const untrusted = page.locator('[data-testid="scripts-untrusted"]');
      await untrusted.waitFor({ timeout: TIMEOUT });
      assert.match(await untrusted.innerText(), /not approved, so they do not run/);
      assert.throws(() => readFileSync(marker), "an unapproved script ran");

      // Read it, approve exactly it, and watch it run.
      await page.getByRole("button", { name: "Review scripts" }).click();
      const review = page.getByRole("dialog", { name: "Scripts of app" });
      assert.match(await review.locator('[data-testid="review-setup"]').innerText(), /echo "step one in \$BAND_BRANCH"/);
      await page.screenshot({ path: join(shots, "scripts-review.png") });
      await review.getByRole("button", { name: "Approve and run setup" }).click();
      await review.waitFor({ state: "detached" });
      const output = page.locator('[data-testid="script-output"]');
      // The first line shows while the script still sleeps: live, not at the end.
      await output.filter({ hasText: "step one in feat" }).waitFor({ timeout: TIMEOUT });
      assert.match(await page.locator('[data-testid="script-status"]').innerText(), /Setup running/);
      assert.doesNotMatch(await output.innerText(), /step two/);
      await page.screenshot({ path: join(shots, "scripts-running.png") });
      await page.locator('[data-testid="script-status"]', { hasText: "Setup succeeded" }).waitFor({ timeout: TIMEOUT });
      await untrusted.waitFor({ state: "detached" });
      assert.equal(readFileSync(marker, "utf8"), "done\n");
      await page.getByRole("button", { name: "Output" }).click();
      assert.match(await output.innerText(), /step one in feat\nstep two/);

      // A phone sees the run and its output too.
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      const p2 = await phone.newPage();
      await p2.goto(stack.link);
      await p2.goto(page.url());
      await p2.locator('[data-testid="script-status"]', { hasText: "Setup succeeded" }).waitFor({ timeout: TIMEOUT });
      await p2.getByRole("button", { name: "Output" }).tap();
      await p2.locator('[data-testid="script-output"]', { hasText: "step two" }).waitFor();
      await p2.screenshot({ path: join(shots, "scripts-phone.png") });

      // Direct mode: the checkout itself, marked, and removing it leaves the checkout as it was.
      writeFileSync(join(stack.repo, "scratch.txt"), "uncommitted\n");
      await page.getByRole("button", { name: "New workspace in app" }).click();
      const direct = page.getByRole("dialog");
      await direct.locator('input[name="direct"]').check();
      assert.equal(await direct.locator('input[name="branch"]').count(), 0, "no branch for a direct workspace");
      await direct.getByRole("button", { name: "Create workspace" }).click();
      await direct.waitFor({ state: "detached" });
      await page.locator('[data-testid="workspace-view"] [data-testid="direct"]').waitFor();
      assert.match(await page.locator(".ws-sub").innerText(), new RegExp(stack.repo.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
      await page.screenshot({ path: join(shots, "direct-workspace.png") });
      // Remove lives in the workspace's menu.
      await page.getByRole("button", { name: "Workspace actions" }).click();
      await page.getByRole("menuitem", { name: "Remove workspace" }).click();
      const remove = page.getByRole("dialog");
      assert.match(await remove.innerText(), /left exactly as they are/);
      await remove.getByRole("button", { name: "Remove", exact: true }).click();
      await remove.waitFor({ state: "detached" });
      assert.equal(readFileSync(join(stack.repo, "scratch.txt"), "utf8"), "uncommitted\n");
      assert.equal(readFileSync(join(stack.repo, "README.md"), "utf8").startsWith("# app"), true);

      // Lifecycle: the facts line, archive (the worktree goes, the branch stays) and restore.
      await page.locator('[data-testid="workspace-feat"]').click();
      const facts = page.locator('[data-testid="facts"]');
      await facts.filter({ hasText: "0 ahead, 0 behind main" }).waitFor({ timeout: TIMEOUT });
      assert.match(await facts.innerText(), /active just now/);
      await page.getByRole("button", { name: "Archive", exact: true }).click();
      await page.locator('[data-testid="archived"]').waitFor();
      assert.equal(existsSync(stack.worktree("feat")), false, "the worktree is gone");
      await page.screenshot({ path: join(shots, "archived-workspace.png") });
      await page.getByRole("button", { name: "Restore", exact: true }).click();
      await page.locator('[data-testid="archived"]').waitFor({ state: "detached" });
      assert.equal(existsSync(join(stack.worktree("feat"), "README.md")), true, "restored");

      // Merge from the dashboard: the work is committed and main moves forward in the checkout.
      writeFileSync(join(stack.worktree("feat"), "merged.txt"), "from the workspace\n");
      await page.getByRole("button", { name: "Merge", exact: true }).click();
      const merge = page.getByRole("dialog");
      await merge.locator('textarea[name="message"]').fill("Add merged.txt");
      await merge.getByRole("button", { name: "Merge", exact: true }).click();
      const result = merge.locator('[data-testid="merge-result"]');
      await result.waitFor({ timeout: TIMEOUT });
      const said = await result.innerText();
      assert.match(said, /Merged onto main, with your changes committed as “Add merged.txt”/);
      assert.match(said, /'main' fast-forwarded in the project's checkout/);
      assert.match(said, /Not pushed: the repository has no remote/);
      await page.screenshot({ path: join(shots, "merged-workspace.png") });
      assert.equal(readFileSync(join(stack.repo, "merged.txt"), "utf8"), "from the workspace\n");
      await result.getByRole("button", { name: "Close" }).click();

      // Removing the project with everything: a typed confirmation; a dirty workspace is kept
      // with a warning unless asked, and the repository is never touched.
      writeFileSync(join(stack.worktree("feat"), "unsaved.txt"), "unsaved\n");
      await page.getByRole("button", { name: "Remove project app" }).click();
      const purge = page.getByRole("dialog", { name: "Remove project app?" });
      const go = purge.getByRole("button", { name: "Remove project" });
      assert.equal(await go.isDisabled(), true, "not before the name is typed");
      await purge.locator('input[name="confirm"]').fill("app");
      await go.click();
      await purge.locator('[data-testid="purge-warnings"]', { hasText: "uncommitted change(s) (unsaved.txt)" }).waitFor();
      assert.match(await purge.locator('[data-testid="purge-result"]').innerText(), /app was kept/);
      await purge.getByRole("button", { name: "Done" }).click();
      await page.getByRole("button", { name: "Remove project app" }).click();
      await purge.locator('input[name="force"]').check();
      await purge.locator('input[name="confirm"]').fill("app");
      await go.click();
      await purge.locator('[data-testid="purge-result"]', { hasText: "is untouched" }).waitFor();
      await page.screenshot({ path: join(shots, "project-removed.png") });
      await purge.getByRole("button", { name: "Done" }).click();
      await page.locator('[data-testid="project-app"]').waitFor({ state: "detached" });
      assert.equal(readFileSync(join(stack.repo, "merged.txt"), "utf8"), "from the workspace\n");
      assert.deepEqual(exceptions, []);
    } catch (e) {
      await page.screenshot({ path: join(shots, "FAILED-scripts.png") }).catch(() => {});
      throw e;
    }
  } finally {
    await browser.close();
    await stack.stop();
  }
});
