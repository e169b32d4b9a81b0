// @vitest-environment node
// The data rule (README, Rules): views (src/ui) read and change data only through the model in
// src/state; only src/state talks to the clients in src/api. This test reads every source file
// and fails on a view that imports from src/api anything but its types, touches the RPC client
// (`rpc`), or opens a connection of its own; and on src/state importing a view, or src/api
// importing src/state or a view. (src/main.tsx, the composition root, wires all three.)
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../src", import.meta.url));

/** The modules a source file imports or re-exports from, statically or dynamically. */
function imports(source: string): string[] {
  return [...source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]);
}

const lineOf = (source: string, index: number) => source.slice(0, index).split("\n").length;

function matches(source: string, re: RegExp, what: string): string[] {
  return [...source.matchAll(new RegExp(re.source, "g"))].map((m) => `line ${lineOf(source, m.index!)}: ${what} (${m[0]})`);
}

/** What a view's source does against the rule; empty when it keeps it. */
export function viewViolations(source: string): string[] {
  return [
    ...imports(source)
      .filter((m) => /(^|\/)api(\/|$)/.test(m) && !/(^|\/)api\/types$/.test(m))
      .map((m) => `imports ${m}: a view takes only types from src/api`),
    // `band.rpc.call(...)`, `const { rpc } = band`, `band["rpc"]`: any use of the client.
    ...matches(source, /\brpc\b/, "uses the RPC client: call a state/ action or hook instead"),
    ...matches(source, /\bnew\s+(?:WebSocket|EventSource|XMLHttpRequest)\b|\bfetch\s*\(|\bsendBeacon\s*\(/, "opens a connection"),
    ...matches(source, /\bbandDesktop\b|\bwindow\.ipc\b/, "calls the desktop bridge: use useDesktop from state/desktop instead"),
  ];
}

/** What a model (src/state) or client (src/api) file imports against the layering. */
export function layerViolations(layer: "state" | "api", source: string): string[] {
  const above = layer === "state" ? /(^|\/)ui(\/|$)/ : /(^|\/)(ui|state)(\/|$)/;
  return imports(source)
    .filter((m) => m.startsWith(".") && above.test(m))
    .map((m) => `imports ${m}: src/${layer} never depends on ${layer === "state" ? "a view" : "the model or a view"}`);
}

/** Every .ts/.tsx file under src/<dir>, by its path relative to src/. */
function sources(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(join(SRC, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sources(path, out);
    else if (/\.tsx?$/.test(entry.name)) out.set(path, readFileSync(join(SRC, path), "utf8"));
  }
  return out;
}

function report(files: Map<string, string>, check: (source: string) => string[]): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const [path, source] of files) {
    const v = check(source);
    if (v.length) found[path] = v;
  }
  return found;
}

test("no view talks to the client: views go through src/state", () => {
  const views = sources("ui");
  // The walk sees the views (a wrong path would pass vacuously).
  expect(views.size).toBeGreaterThan(20);
  expect([...views.keys()]).toContain(join("ui", "chat", "ChatPane.tsx"));
  expect([...views.keys()]).toContain(join("ui", "terminal", "TerminalPane.tsx"));
  expect(report(views, viewViolations)).toEqual({});
});

test("the model imports no view, and the clients neither the model nor a view", () => {
  const state = sources("state");
  const api = sources("api");
  expect(state.has(join("state", "band.ts"))).toBe(true);
  expect(api.has(join("api", "rpc.ts"))).toBe(true);
  expect(report(state, (s) => layerViolations("state", s))).toEqual({});
  expect(report(api, (s) => layerViolations("api", s))).toEqual({});
});

test("the checker catches a view that breaks the rule, and lets a view that keeps it be", () => {
  const planted = [
    'import { Rpc } from "../api/rpc";',
    'import type { ConnectionState } from "../../api/rpc";',
    'export { codes } from "../api/rpc";',
    'const { TerminalConnection } = await import("../../api/terminal");',
    'await band.rpc.call("chats.send", { chat: 1, message: "hi" });',
    "useEffect(() => band.rpc.subscribeTunnel(setTunnel), [band]);",
    "const { state, rpc } = useBand();",
    'useBand()["rpc"].nudge();',
    "const socket = new WebSocket(url);",
    'const res = await fetch("/rpc", { method: "POST" });',
    'await window.bandDesktop?.call("pickFolder");',
    'window.ipc.postMessage("{}");',
  ];
  for (const line of planted) expect(viewViolations(line), line).not.toEqual([]);

  // A real view with one call planted in it: caught, on its line.
  const chat = readFileSync(join(SRC, "ui", "chat", "Composer.tsx"), "utf8");
  expect(viewViolations(chat)).toEqual([]);
  const broken = chat.replace("await sendMessage(band, chat.id, message);", 'await band.rpc.call("chats.send", { chat: chat.id, message });');
  expect(broken).not.toBe(chat);
  const at = broken.split("\n").findIndex((l) => l.includes("band.rpc.call")) + 1;
  expect(viewViolations(broken)).toEqual([`line ${at}: uses the RPC client: call a state/ action or hook instead (rpc)`]);

  const kept = [
    'import type { ChatInfo, WorkspaceInfo } from "../../api/types";',
    'import { sendMessage } from "../../state/chat";',
    "await sendMessage(band, chat.id, message);",
    "// Watching: the output as text through the one RPC socket.",
    "const refetch = () => setGeneration((g) => g + 1);",
  ];
  for (const line of kept) expect(viewViolations(line), line).toEqual([]);

  expect(layerViolations("state", 'import { errorText } from "../ui/errors";')).not.toEqual([]);
  expect(layerViolations("api", 'import type { Band } from "../state/band";')).not.toEqual([]);
  expect(layerViolations("state", 'import { Rpc } from "../api/rpc";')).toEqual([]);
});
