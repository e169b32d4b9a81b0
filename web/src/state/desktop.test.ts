import { expect, test, vi } from "vitest";
import { announceReady, bridgeIn, desktopFrom, type DesktopBridge } from "./desktop";

function fakeBridge(answers: Record<string, unknown> = {}) {
  const calls: [string, Record<string, unknown> | undefined][] = [];
  const b: DesktopBridge = {
    version: 1,
    call: async (method, params) => {
      calls.push([method, params]);
      return answers[method] ?? null;
    },
  };
  return { b, calls };
}

test("a browser tab has no bridge, and so no desktop buttons", () => {
  expect(bridgeIn({})).toBeNull();
  expect(bridgeIn({ bandDesktop: { version: 2, call: () => {} } })).toBeNull();
  expect(bridgeIn({ bandDesktop: "not a bridge" })).toBeNull();
  expect(desktopFrom(null)).toBeNull();
});

test("calls go to the shell with the bridge's method names and params", async () => {
  const { b, calls } = fakeBridge({ pickFolder: "/home/me/app", info: { editor: "VS Code" }, openInEditor: { editor: "Zed" } });
  expect(bridgeIn({ bandDesktop: b })).toBe(b);
  const d = desktopFrom(b)!;
  expect(await d.pickFolder("Add a project")).toBe("/home/me/app");
  expect(await d.editor()).toBe("VS Code");
  await d.reveal(3);
  await d.reveal(3, "src/a.ts");
  expect(await d.openInEditor(3, "src/a.ts", 12)).toBe("Zed");
  await d.copy("text");
  await d.openLink("https://example.com");
  expect(calls).toEqual([
    ["pickFolder", { title: "Add a project" }],
    ["info", undefined],
    ["reveal", { workspace: 3 }],
    ["reveal", { workspace: 3, file: "src/a.ts" }],
    ["openInEditor", { workspace: 3, file: "src/a.ts", line: 12 }],
    ["copy", { text: "text" }],
    ["openLink", { url: "https://example.com" }],
  ]);
});

test("a cancelled dialog is null, and the ready signal goes once with the project names", async () => {
  const { b, calls } = fakeBridge({ pickFolder: null });
  expect(await desktopFrom(b)!.pickFolder()).toBeNull();
  vi.useFakeTimers();
  announceReady(["app", "api"], b);
  announceReady(["again"], b);
  await vi.runAllTimersAsync();
  vi.useRealTimers();
  expect(calls.filter(([m]) => m === "ready")).toEqual([["ready", { projects: ["app", "api"] }]]);
});
