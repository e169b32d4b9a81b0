// The dashboard end to end, in headless Debian Chromium against a real band-server running the
// real Claude Code CLI on the mock model: open the sign-in link, add a project, create a
// workspace with a first prompt (ask mode), watch the stream, allow the permission, see the diff,
// open a file, type `git log` in a terminal and see the commit. Once at desktop size (with the
// remembered layout in a second tab and a server restart the page rides out) and once as a
// phone. Screenshots go to e2e/screenshots/.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startStack } from "./stack.mjs";

const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 60_000;

/** The model's side: text and a Write into the new workspace, then a reply in Markdown. */
const scenario = (branch) => (worktrees) => [
  {
    text: "I'll add a greeting file.",
    tool_calls: [{ name: "Write", input: { file_path: join(worktrees, "app", branch, "hello.txt"), content: "hello from claude\n" } }],
  },
  {
    text: "Done: **hello.txt** now greets you.\n\n- one file added\n- nothing else touched\n\n```sh\ncat hello.txt\n```",
  },
  { text: "You are welcome." },
];

async function signIn(page, stack) {
  await page.goto(stack.link);
  // The server traded the token for a cookie and redirected: the token is gone from the URL.
  assert.equal(new URL(page.url()).search, "");
  assert.ok(!page.url().includes(stack.token));
  await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
}

async function addProject(page, stack, tap) {
  await page.locator("#project-path").fill(stack.repo);
  await tap(page.getByRole("button", { name: "Add", exact: true }));
  await page.locator('[data-testid="project-app"]').waitFor();
}

async function createWorkspace(page, branch, tap) {
  await tap(page.getByRole("button", { name: "New workspace in app" }));
  const dialog = page.getByRole("dialog");
  await dialog.locator('input[name="branch"]').fill(branch);
  await dialog.locator('textarea[name="prompt"]').fill("Please add a greeting file.");
  await dialog.locator('select[name="mode"]').selectOption("ask");
  await tap(dialog.getByRole("button", { name: "Create workspace" }));
  await dialog.waitFor({ state: "detached" });
}

async function allowAndFinish(page, tap) {
  const allow = page.getByRole("button", { name: "Allow" });
  await allow.waitFor({ timeout: TIMEOUT });
  await page.getByText("I'll add a greeting file.").waitFor();
  await page.locator('[data-testid="workspace-view"] [data-testid="badge"]', { hasText: "waiting" }).waitFor();
  // A background tab says so in its title.
  assert.equal(await page.title(), "(1 waiting) band");
  return async () => {
    await tap(allow);
    await page.getByText("now greets you").waitFor({ timeout: TIMEOUT });
    await page.locator('[data-testid="permission"]', { hasText: "allowed by you" }).waitFor();
    await page.locator('[data-testid="turn-end"]').waitFor();
    assert.equal(await page.title(), "band");
  };
}

/** Runs `body`; on failure, a screenshot of where it stood goes beside the others. */
async function withFailureShot(page, name, body) {
  try {
    await body();
  } catch (e) {
    await page.screenshot({ path: join(shots, `FAILED-${name}.png`) }).catch(() => {});
    throw e;
  }
}

/** Opens `path` in the Files pane's tree and waits for the viewer to show it. */
async function openFile(page, path, tap) {
  await tap(page.locator(`[data-testid="file-entry"][data-path="${path}"]`));
  const view = page.locator(`[data-testid="file-view"][data-path="${path}"] pre.code`);
  await view.waitFor({ timeout: TIMEOUT });
  return view;
}

/** The terminal on screen, once its socket is open. */
async function liveTerminal(page) {
  const term = page.locator('[data-testid="terminal"][data-state="open"]:visible');
  await term.waitFor({ timeout: TIMEOUT });
  return term;
}

async function minHeight(locator) {
  const boxes = await locator.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
  return Math.min(...boxes);
}

test("desktop: sign in, add a project, create a workspace, allow, see the diff", { timeout: 180_000 }, async () => {
  const stack = await startStack({ name: "band-e2e-desktop", scenario: scenario("feat") });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = [];
    const exceptions = [];
    page.on("pageerror", (e) => exceptions.push(String(e)));
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    const click = (l) => l.click();
    const sockets = [];
    page.on("websocket", (ws) => sockets.push(ws.url()));

    await withFailureShot(page, "desktop", async () => {
    await signIn(page, stack);
    await page.screenshot({ path: join(shots, "desktop-empty.png") });
    // One WebSocket, to this origin's /rpc, with no token in its URL; the session cookie is out
    // of the page's reach (HttpOnly) and nothing the page stored holds the token.
    assert.deepEqual(sockets, [`${stack.url.replace("http:", "ws:")}/rpc`]);
    assert.equal(await page.evaluate(() => document.cookie), "");
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.ok(!stored.includes(stack.token));
    // Desktop notifications are opt-in: the browser's permission, then on.
    await context.grantPermissions(["notifications"]);
    const notifyToggle = page.getByRole("button", { name: "Notify me when an agent waits" });
    await notifyToggle.click();
    await page.getByRole("button", { name: /^Notifications on/, pressed: true }).waitFor();
    await addProject(page, stack, click);
    await createWorkspace(page, "feat", click);
    assert.match(new URL(page.url()).pathname, /^\/w\/\d+$/);

    const finish = await allowAndFinish(page, click);
    await page.screenshot({ path: join(shots, "desktop-permission.png") });
    await finish();

    // The Changes pane refreshed after the turn ended: the new file is in the diff.
    const file = page.locator('[data-testid="file-diff"][data-path="hello.txt"]');
    await file.waitFor({ timeout: TIMEOUT });
    assert.match(await file.innerText(), /hello from claude/);
    assert.equal(readFileSync(join(stack.worktree("feat"), "hello.txt"), "utf8"), "hello from claude\n");

    // Tokens and cost, per turn and in total.
    await page.locator('[data-testid="totals"]', { hasText: "1 turn" }).waitFor();
    assert.match(await page.locator('[data-testid="turn-end"]').innerText(), /in · .* out · \$/);

    // A tool call opens to show its input and output.
    await page.locator('[data-testid="tool-call"] summary').first().click();
    await page.locator('[data-testid="tool-call"][open]').waitFor();
    await page.screenshot({ path: join(shots, "desktop-chat.png") });
    await page.getByRole("button", { name: "Split" }).click();
    await page.locator("table.diff-split").waitFor();
    await page.screenshot({ path: join(shots, "desktop-split.png") });

    // The workspace is idle again; nothing in the page failed.
    await page.locator('[data-testid="workspace-feat"] [data-testid="badge"]').waitFor({ state: "detached" });
    assert.deepEqual(errors, []);
    assert.equal(sockets.length, 1, "one WebSocket for everything but terminals");

    // Files: the tree, a file highlighted with line numbers, the agent's new file.
    const sideSwitch = page.getByRole("group", { name: "Side pane" });
    await sideSwitch.getByRole("button", { name: "Files" }).click();
    const code = await openFile(page, "app.js", click);
    assert.match(await code.innerText(), /1\s*export function greet\(name\)/);
    assert.equal(await code.locator(".tok-keyword", { hasText: "export" }).count(), 1, "highlighted");
    // The agent's uncommitted file is marked in the tree.
    const mark = page.locator('[data-testid="file-entry"][data-path="hello.txt"] [data-testid="change-mark"]');
    assert.equal(await mark.innerText(), "U");
    assert.equal(await page.locator('[data-testid="file-entry"][data-path="app.js"] [data-testid="change-mark"]').count(), 0);
    await page.screenshot({ path: join(shots, "desktop-files.png") });
    assert.match(await (await openFile(page, "hello.txt", click)).innerText(), /hello from claude/);

    // Terminal: a shell in the worktree; `git log` shows the branch's commit.
    await sideSwitch.getByRole("button", { name: "Terminal" }).click();
    const term = await liveTerminal(page);
    await term.locator(".xterm").click();
    await page.keyboard.type("git log --oneline\n");
    await term.locator(".xterm-rows", { hasText: "Initial commit" }).waitFor({ timeout: TIMEOUT });
    await page.screenshot({ path: join(shots, "desktop-terminal.png") });
    // The PTY has the pane's size (fitted, not the default 80x24), and the shell sees it.
    const [{ cols, rows }] = await stack.call("terminals.list");
    assert.notDeepEqual([cols, rows], [80, 24]);
    await page.keyboard.type("stty size\n");
    await term.locator(".xterm-rows", { hasText: `${rows} ${cols}` }).waitFor({ timeout: TIMEOUT });
    const terminalSocket = sockets.find((u) => u.includes("/terminals/"));
    assert.match(terminalSocket, new RegExp(`^${stack.url.replace("http:", "ws:")}/terminals/\\d+/ws$`));
    assert.ok(!terminalSocket.includes(stack.token));

    // The layout is the server's: another tab opened at the start page lands in this workspace,
    // on the Terminal pane, attached to the same shell (its scrollback replayed).
    const workspacePath = new URL(page.url()).pathname;
    const second = await context.newPage();
    await second.goto(stack.url);
    await second.waitForURL((u) => u.pathname === workspacePath, { timeout: TIMEOUT });
    const again = await liveTerminal(second);
    await again.locator(".xterm-rows", { hasText: "Initial commit" }).waitFor({ timeout: TIMEOUT });
    assert.equal(await second.locator('[data-testid="terminal-tab"]').count(), 1, "no second shell");
    assert.equal(await second.getByRole("button", { name: "Terminal", pressed: true }).count(), 1);
    await second.close();
    assert.equal((await stack.call("terminals.list")).length, 1);

    // The open pane's button folds the side away (the chat takes the width) and back; the
    // terminal stays attached all along (no second socket).
    await sideSwitch.getByRole("button", { name: "Terminal" }).click();
    await page.locator('[data-testid="terminals"]').waitFor({ state: "hidden" });
    await page.locator('[data-testid="chat"]').waitFor();
    await sideSwitch.getByRole("button", { name: "Terminal" }).click();
    await liveTerminal(page);
    assert.equal(sockets.filter((u) => u.includes("/terminals/")).length, 1);

    // The server restarts under the page: the indicator shows it, the page reconnects by itself,
    // and the chat carries on where it was (every event once). The shell ended with the old
    // server: its tab says so, and closing it works though the new server never knew it.
    await stack.restart(() => page.locator('[data-testid="connection"]:not([data-state="open"])').waitFor());
    await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
    await page.locator('[data-testid="terminal"][data-state="exited"] .xterm-rows', { hasText: "the shell exited" }).waitFor();
    await page.getByRole("button", { name: "Close terminal 1" }).click();
    await page.locator('[data-testid="terminal-tab"]').waitFor({ state: "detached" });
    await page.getByRole("textbox", { name: "Message" }).fill("Thank you!");
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByText("You are welcome.").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByText("now greets you").count(), 1, "no event shown twice");
    assert.equal(await page.getByText("Thank you!").count(), 1);
    // (The console has the failed reconnection attempts by now; no script failed.)
    assert.deepEqual(exceptions, []);

    // Removing it is refused (the new file is uncommitted): the server's reason, then the typed
    // confirmation.
    await page.getByRole("button", { name: "Workspace actions" }).click();
    await page.getByRole("menuitem", { name: "Remove workspace" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: "Remove", exact: true }).click();
    await dialog.locator('[data-testid="refusal"]').waitFor();
    const anyway = dialog.getByRole("button", { name: "Remove anyway" });
    assert.equal(await anyway.isDisabled(), true);
    await dialog.locator('input[name="confirm"]').fill("feat");
    await page.screenshot({ path: join(shots, "desktop-remove.png") });
    await anyway.click();
    await page.locator('[data-testid="workspace-feat"]').waitFor({ state: "detached" });
    assert.equal(new URL(page.url()).pathname, "/");
    });
    await context.close();
  } finally {
    await browser.close();
    await stack.stop();
  }
});

test("phone: one pane at a time, a tab bar, big touch targets", { timeout: 180_000 }, async () => {
  const stack = await startStack({ name: "band-e2e-phone", scenario: scenario("phone") });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    const tap = (l) => l.tap();

    await withFailureShot(page, "phone", async () => {
    await signIn(page, stack);
    // It can be added to the home screen: a web app manifest, served as one.
    const manifest = await page.evaluate(async () => {
      const href = document.querySelector('link[rel="manifest"]').getAttribute("href");
      const res = await fetch(href);
      return { type: res.headers.get("content-type"), body: await res.json() };
    });
    assert.equal(manifest.type, "application/manifest+json");
    assert.equal(manifest.body.start_url, "/");
    assert.equal(manifest.body.display, "standalone");
    await addProject(page, stack, tap);
    await createWorkspace(page, "phone", tap);

    // Only the workspace is shown now, with a back button and the tab bar.
    assert.equal(await page.locator(".sidebar").count(), 0);
    const tabs = page.getByRole("navigation", { name: "Panes" }).getByRole("button");
    assert.deepEqual(await tabs.allInnerTexts(), ["Chat", "Changes", "Files", "Terminal"]);
    const finish = await allowAndFinish(page, tap);
    assert.ok((await minHeight(page.getByRole("button", { name: "Allow" }))) >= 44);
    await page.screenshot({ path: join(shots, "phone-permission.png") });
    await finish();
    await page.screenshot({ path: join(shots, "phone-chat.png") });

    await tap(tabs.filter({ hasText: "Changes" }));
    await page.locator('[data-testid="file-diff"][data-path="hello.txt"]').waitFor({ timeout: TIMEOUT });
    assert.equal(await page.locator('[data-testid="chat"]').count(), 0, "one pane at a time");
    await page.screenshot({ path: join(shots, "phone-changes.png") });

    // Files: the tree, then one file full screen, and back to the tree.
    await tap(tabs.filter({ hasText: "Files" }));
    const code = await openFile(page, "hello.txt", tap);
    assert.match(await code.innerText(), /hello from claude/);
    await page.screenshot({ path: join(shots, "phone-files.png") });
    await tap(page.getByRole("button", { name: "Back to the files" }));
    await page.locator('[data-testid="file-tree"]').waitFor();

    // Terminal: typed on the phone's command line, `git log` shows the commit.
    await tap(tabs.filter({ hasText: "Terminal" }));
    const term = await liveTerminal(page);
    await page.getByRole("textbox", { name: "Command" }).fill("git log --oneline");
    await tap(page.getByRole("button", { name: "Run" }));
    await term.locator(".xterm-rows", { hasText: "Initial commit" }).waitFor({ timeout: TIMEOUT });
    assert.ok((await minHeight(page.getByRole("button", { name: "Ctrl-C" }))) >= 44);
    await page.screenshot({ path: join(shots, "phone-terminal.png") });
    // Several terminals: a second tab, a shell of its own; closing it leaves the first.
    const firstId = await term.getAttribute("data-terminal");
    await tap(page.getByRole("button", { name: "New terminal" }));
    await page.locator('[data-testid="terminal-tab"]').nth(1).waitFor();
    const second = await liveTerminal(page);
    await page.locator(`[data-testid="terminal"][data-terminal="${firstId}"]`).waitFor({ state: "hidden" });
    assert.notEqual(await second.getAttribute("data-terminal"), firstId);
    assert.equal((await stack.call("terminals.list")).length, 2);
    await tap(page.getByRole("button", { name: "Close terminal 2" }));
    await page.locator('[data-testid="terminal-tab"]').nth(1).waitFor({ state: "detached" });
    assert.equal((await stack.call("terminals.list")).length, 1);

    // Touch targets: the tab bar, the back button, the composer's button.
    assert.ok((await minHeight(tabs)) >= 44, "tab bar buttons are at least 44 px tall");
    const back = page.getByRole("button", { name: "Back to workspaces" });
    assert.ok((await minHeight(back)) >= 44);
    const fontSize = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector(".app")).fontSize));
    assert.ok(fontSize >= 16, `body text is ${fontSize}px`);

    await tap(back);
    await page.locator('[data-testid="workspace-phone"]').waitFor();
    assert.ok((await minHeight(page.locator('[data-testid="workspace-phone"]'))) >= 44);
    await page.screenshot({ path: join(shots, "phone-list.png") });
    });
    await context.close();
  } finally {
    await browser.close();
    await stack.stop();
  }
});
