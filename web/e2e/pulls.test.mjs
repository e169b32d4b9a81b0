// Pull requests from the dashboard against the real band-server and a stand-in `gh` (GitHub
// cannot be reached): the dialog drafts a title, opens the pull request (the branch pushed to a
// local bare remote first), and the header (desktop) or the dialog (phone) then shows its state
// and checks; a signed-out gh gets what to run. Desktop and phone sizes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { git, launchChromium, startStack } from "./stack.mjs";

const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 60_000;

// The same stand-in as band-testkit's FakeGh: records its arguments, answers as told.
const SCRIPT = `#!/bin/sh
d=$(dirname "$0")
for a in "$@"; do printf '%s\\037' "$a"; done >> "$d/calls"
printf '\\036' >> "$d/calls"
for last in "$@"; do :; done
k="$1-$2"
if [ -f "$d/signed-out" ]; then
  printf 'To get started with GitHub CLI, please run:  gh auth login\\n' >&2
  exit 4
fi
[ -f "$d/r/$k-$last.code" ] && k="$k-$last"
if [ ! -f "$d/r/$k.code" ]; then printf 'unknown command "%s" for "gh"\\n' "$1" >&2; exit 1; fi
[ -f "$d/r/$k.out" ] && cat "$d/r/$k.out"
[ -f "$d/r/$k.err" ] && cat "$d/r/$k.err" >&2
exit "$(cat "$d/r/$k.code")"
`;

function fakeGh() {
  const dir = mkdtempSync(join(tmpdir(), "band-e2e-gh-"));
  mkdirSync(join(dir, "r"));
  writeFileSync(join(dir, "gh"), SCRIPT);
  chmodSync(join(dir, "gh"), 0o755);
  return {
    path: join(dir, "gh"),
    respond(key, code, out, err = "") {
      writeFileSync(join(dir, "r", `${key}.out`), out);
      writeFileSync(join(dir, "r", `${key}.err`), err);
      writeFileSync(join(dir, "r", `${key}.code`), String(code));
    },
    signOut: () => writeFileSync(join(dir, "signed-out"), ""),
    calls: () => readFileSync(join(dir, "calls"), "utf8").split("\x1e").filter(Boolean).map((c) => c.split("\x1f").filter(Boolean)),
  };
}

const prJson = (n, head) =>
  JSON.stringify({
    baseRefName: "main", headRefName: head, isDraft: false, number: n, state: "OPEN", title: "Tidy the greeting",
    url: `https://github.com/acme/app/pull/${n}`,
    statusCheckRollup: [
      { __typename: "CheckRun", name: "build", status: "COMPLETED", conclusion: "SUCCESS", workflowName: "CI" },
      { __typename: "StatusContext", context: "ci/lint", state: "PENDING" },
    ],
  });

for (const size of ["desktop", "phone"]) {
  test(`${size}: a pull request is opened from the dashboard and its checks shown`, { timeout: 180_000 }, async () => {
    const gh = fakeGh();
    const stack = await startStack({ name: `band-e2e-pulls-${size}`, scenario: () => [], settings: { ghBinary: gh.path } });
    const browser = await launchChromium();
    try {
      const bare = join(stack.root, "remote.git");
      mkdirSync(bare);
      git(bare, "init", "-q", "--bare");
      git(stack.repo, "remote", "add", "origin", bare);
      await stack.call("projects.add", { path: stack.repo });
      const ws = await stack.call("workspaces.create", { project: "app", branch: "tidy-greeting" });
      gh.respond("pr-view-tidy-greeting", 1, "", 'no pull requests found for branch "tidy-greeting"\n');
      gh.respond("pr-list", 0, "[]\n");
      gh.respond("pr-create", 0, "https://github.com/acme/app/pull/3\n");

      const phone = size === "phone";
      const context = await browser.newContext(
        phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 800 } },
      );
      const page = await context.newPage();
      const act = (l) => (phone ? l.tap() : l.click());
      try {
        await page.goto(stack.link);
        await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
        await page.goto(`${stack.url}/w/${ws.id}`);
        await page.locator('[data-testid="workspace-view"]').waitFor({ timeout: TIMEOUT });
        const openDialog = async () => {
          await act(page.getByRole("button", { name: "Workspace actions" }));
          await act(page.getByRole("menuitem", { name: "Pull request…" }));
          return page.locator('[data-testid="pr-dialog"]');
        };
        let dialog = await openDialog();
        const title = dialog.locator('input[name="title"]');
        await page.waitForFunction(() => document.querySelector('[data-testid="pr-dialog"] input[name="title"]')?.value === "tidy greeting", null, { timeout: TIMEOUT });
        await title.fill("Tidy the greeting");
        await act(dialog.getByRole("button", { name: "Create pull request" }));
        await dialog.locator('[data-testid="pr-info"]').waitFor({ timeout: TIMEOUT });
        assert.match(await dialog.innerText(), /#3 Tidy the greeting/);
        assert.equal(git(bare, "rev-parse", "refs/heads/tidy-greeting"), git(stack.repo, "rev-parse", "refs/heads/tidy-greeting"), "pushed");
        const create = gh.calls().find((c) => c[0] === "pr" && c[1] === "create");
        assert.deepEqual(create.slice(0, 8), ["pr", "create", "--head", "tidy-greeting", "--base", "main", "--title", "Tidy the greeting"]);
        await page.keyboard.press("Escape");

        // gh now reports it, with its checks.
        gh.respond("pr-view-tidy-greeting", 0, prJson(3, "tidy-greeting"));
        await page.reload();
        await page.locator('[data-testid="workspace-view"]').waitFor({ timeout: TIMEOUT });
        if (phone) {
          dialog = await openDialog();
          await dialog.locator('[data-testid="pr-info"]').waitFor({ timeout: TIMEOUT });
          assert.match(await dialog.innerText(), /Checks: 1 pending, 1 passed/);
          // The branch name stays on screen on a phone.
          assert.ok(await page.locator(".ws-title h1", { hasText: "tidy-greeting" }).isVisible());
          await page.keyboard.press("Escape");
        } else {
          const badge = page.locator('[data-testid="pr-badge"]');
          await badge.waitFor({ timeout: TIMEOUT });
          assert.equal(await badge.innerText(), "PR #3 · open · 1 pending, 1 passed");
        }
        await page.screenshot({ path: join(shots, `pulls-${size}.png`) });

        // Signed out: the dialog says what to run.
        gh.signOut();
        dialog = await openDialog();
        await dialog.getByRole("alert").waitFor({ timeout: TIMEOUT });
        assert.match(await dialog.getByRole("alert").innerText(), /not signed in to GitHub; sign it in on the machine running band: run `gh auth login`/);
      } catch (e) {
        await page.screenshot({ path: join(shots, `FAILED-pulls-${size}.png`) }).catch(() => {});
        throw e;
      }
      await context.close();
    } finally {
      await browser.close();
      await stack.stop();
    }
  });
}
