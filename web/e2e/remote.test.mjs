// Remote access end to end, without the internet: a real bore server on 127.0.0.1 stands in for
// the public side, band starts the real bore client as its tunnel. On the desktop (signed in with
// the main token) the Remote panel starts the tunnel and pairs a phone; the phone (a headless
// Chromium at phone size, in its own context) opens the pairing link through the tunnel, is signed
// in as that device, starts a chat with the real Claude Code CLI on the mock model, and sees the
// answer. Revoked from the desktop, the phone is signed out at once and its next request refused;
// once the tunnel stops, its address is refused too.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { boreBinary, launchChromium, startBoreServer, startStack } from "./stack.mjs";

const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 60_000;

test("remote: a phone pairs through the tunnel, drives a chat, and is refused once revoked", { timeout: 180_000 }, async () => {
  const bore = boreBinary();
  const boreServer = await startBoreServer(bore);
  const stack = await startStack({
    name: "band-e2e-remote",
    scenario: () => [{ text: "Hello, phone: I am listening." }],
    settings: { tunnel: { provider: "bore", bore: { binary: bore, server: "127.0.0.1" } } },
  });
  const browser = await launchChromium();
  try {
    await stack.call("projects.add", { path: stack.repo });
    await stack.call("workspaces.create", { project: "app", branch: "remote" });

    const desk = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    desk.on("dialog", (d) => d.accept());
    await desk.goto(stack.link);
    await desk.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });

    // The Remote panel: start the tunnel, pair a phone with control access.
    await desk.getByRole("button", { name: "Remote", exact: true }).click();
    const panel = desk.getByRole("dialog", { name: "Remote access" });
    await panel.locator('[data-testid="tunnel"][data-state="stopped"]').waitFor();
    await panel.getByRole("button", { name: "Start tunnel" }).click();
    await panel.locator('[data-testid="tunnel"][data-state="running"]').waitFor({ timeout: TIMEOUT });
    const tunnelUrl = await panel.locator('[data-testid="tunnel-url"]').innerText();
    assert.match(tunnelUrl, /^http:\/\/127\.0\.0\.1:(4[7-9]\d\d\d)$/);
    assert.notEqual(new URL(tunnelUrl).port, new URL(stack.url).port, "the phone goes through bore, not to band directly");

    await panel.getByRole("textbox", { name: "Device name" }).fill("phone");
    await panel.getByRole("combobox", { name: "Access" }).selectOption("control");
    await panel.getByRole("button", { name: "Show QR code" }).click();
    const pairUrl = await panel.locator('[data-testid="pairing-url"]').inputValue();
    assert.ok(pairUrl.startsWith(`${tunnelUrl}/?pair=`), pairUrl);
    await panel.getByRole("img", { name: "QR code signing phone in" }).waitFor();
    await desk.screenshot({ path: join(shots, "desktop-remote.png") });

    // The phone opens the link through the tunnel: signed in as the device, the code gone from
    // the address, the dashboard live over the tunnel.
    const phoneContext = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const phone = await phoneContext.newPage();
    const sockets = [];
    phone.on("websocket", (ws) => sockets.push(ws.url()));
    await phone.goto(pairUrl);
    assert.equal(phone.url(), `${tunnelUrl}/`);
    await phone.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
    assert.deepEqual(sockets, [`${tunnelUrl.replace("http:", "ws:")}/rpc`]);
    assert.equal(await phone.locator('[data-testid="me"]').innerText(), "phone · control");
    assert.equal(await phone.getByRole("button", { name: "Remote", exact: true }).count(), 0, "only the main token administers");

    // It drives the workspace: a chat with the real agent.
    await phone.locator('[data-testid="workspace-remote"]').tap();
    await phone.getByRole("heading", { name: "Start a chat" }).waitFor();
    await phone.getByRole("textbox", { name: "Message" }).fill("Are you there?");
    await phone.getByRole("button", { name: "Start" }).tap();
    await phone.getByText("Hello, phone: I am listening.").waitFor({ timeout: TIMEOUT });
    await phone.screenshot({ path: join(shots, "phone-remote.png") });

    // A read-only device (a tablet) watches the same chat, and is not offered what it may not do.
    const tabletPairing = await stack.call("devices.pair", { name: "tablet", scope: "read" });
    assert.ok(tabletPairing.url.startsWith(`${tunnelUrl}/?pair=`), tabletPairing.url);
    const tabletContext = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    const tablet = await tabletContext.newPage();
    await tablet.goto(tabletPairing.url);
    await tablet.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: TIMEOUT });
    assert.equal(await tablet.locator('[data-testid="me"]').innerText(), "tablet · read");
    await tablet.locator('[data-testid="workspace-remote"]').click();
    await tablet.getByText("Hello, phone: I am listening.").waitFor({ timeout: TIMEOUT });
    await tablet.locator('[data-testid="read-only"]').waitFor();
    assert.equal(await tablet.getByRole("textbox", { name: "Message" }).count(), 0, "no composer");
    assert.equal(await tablet.getByRole("button", { name: "Remove", exact: true }).count(), 0);
    assert.equal(await tablet.getByRole("button", { name: "Add", exact: true }).count(), 0, "no project adding");
    // It watches a terminal's output (through terminals.subscribe) with no way to type or open one.
    const shell = await stack.call("terminals.create", { workspace: "app/remote" });
    await stack.call("terminals.send", { terminal: shell.id, data: "echo watched-from-the-tablet\n" });
    await tablet.getByRole("group", { name: "Side pane" }).getByRole("button", { name: "Terminal" }).click();
    await tablet.locator('[data-testid="terminal"] .xterm-rows', { hasText: "watched-from-the-tablet" }).first().waitFor({ timeout: TIMEOUT });
    assert.equal(await tablet.getByRole("button", { name: "New terminal" }).count(), 0);
    assert.equal(await tablet.getByRole("button", { name: /^Close terminal/ }).count(), 0);
    assert.equal((await stack.call("terminals.list")).length, 1, "watching created nothing");
    await tablet.screenshot({ path: join(shots, "tablet-read-only.png") });
    await tabletContext.close();

    // The desktop sees the device, then revokes it: the phone is signed out at once, and a request
    // with its cookie is refused.
    const device = panel.locator('[data-testid="device"][data-name="phone"]');
    await device.getByText("seen just now").waitFor({ timeout: TIMEOUT });
    await device.getByRole("button", { name: "Revoke" }).click();
    await device.getByText(/^revoked/).waitFor();
    await phone.locator('[data-testid="connection"][data-state="signed-out"]').waitFor({ timeout: TIMEOUT });
    const status = await phone.evaluate(async () => {
      const res = await fetch("/rpc", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "chats.list", params: {} }),
      });
      return res.status;
    });
    assert.equal(status, 401);
    // It says so and how to pair again, and stops knocking (it used to retry every 8-10 s, each
    // knock an anonymous audit row): no new socket in 12 s; the audit names the device, once.
    await phone.getByRole("alert").filter({ hasText: "pair this device again" }).waitFor();
    let knocks = 0;
    phone.on("websocket", () => knocks++);
    await phone.waitForTimeout(12_000);
    assert.equal(knocks, 0, "a signed-out page stopped reconnecting");
    const refused = (await stack.call("audit.list")).filter((e) => e.kind === "refused");
    assert.ok(refused.length >= 1, "refusals are recorded");
    assert.ok(refused.every((e) => e.deviceName === "phone"), JSON.stringify(refused));
    assert.equal(new Set(refused.map((e) => e.detail)).size, refused.length, "repeats fold");

    // Stopping the tunnel: its address is refused again.
    await panel.getByRole("button", { name: "Stop tunnel" }).click();
    await panel.locator('[data-testid="tunnel"][data-state="stopped"]').waitFor({ timeout: TIMEOUT });
    const after = await phone.goto(`${tunnelUrl}/`).then(
      (r) => r?.status(),
      () => "unreachable",
    );
    assert.ok(after === 403 || after === "unreachable", `the tunnel's address after stop: ${after}`);
    await phoneContext.close();
  } finally {
    await browser.close();
    await stack.stop();
    await boreServer.stop();
  }
});
