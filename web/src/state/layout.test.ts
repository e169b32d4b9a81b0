import type { Rpc } from "../api/rpc";
import { applyNotice, emptyState } from "./app";
import { Band } from "./band";
import { defaultWorkspaceLayout, LayoutWriter, parseGlobalLayout, parseWorkspaceLayout } from "./layout";

test("a stored layout is taken field by field; anything odd falls back to its default", () => {
  expect(parseWorkspaceLayout({ pane: "files", sideOpen: false, split: 0.4, chat: 7, file: "src/a.rs" })).toEqual({
    pane: "files",
    sideOpen: false,
    split: 0.4,
    chat: 7,
    file: "src/a.rs",
  });
  expect(parseWorkspaceLayout(null)).toEqual(defaultWorkspaceLayout);
  expect(parseWorkspaceLayout([1, 2])).toEqual(defaultWorkspaceLayout);
  expect(parseWorkspaceLayout({ pane: "shell", sideOpen: "yes", split: "wide", chat: -3, file: "" })).toEqual(
    defaultWorkspaceLayout,
  );
  // Out of range: clamped, so the chat or the side pane can never vanish.
  expect(parseWorkspaceLayout({ split: 0.01 }).split).toBe(0.25);
  expect(parseWorkspaceLayout({ split: 99 }).split).toBe(0.75);
  expect(parseWorkspaceLayout({ split: Number.NaN }).split).toBe(defaultWorkspaceLayout.split);
  expect(parseGlobalLayout({ workspace: 3, extra: true })).toEqual({ workspace: 3 });
  expect(parseGlobalLayout({ workspace: 1.5 })).toEqual({ workspace: null });
});

test("layout notices from other devices keep the remembered layouts current", () => {
  let s = applyNotice(emptyState, { type: "layout", workspaceId: 4, layout: { pane: "terminal" }, updatedAt: 1 });
  expect(s.layouts[4]).toEqual({ ...defaultWorkspaceLayout, pane: "terminal" });
  s = applyNotice(s, { type: "layout", workspaceId: null, layout: { workspace: 4 }, updatedAt: 2 });
  expect(s.globalLayout).toEqual({ workspace: 4 });
  // The same layout again changes nothing (no re-render).
  expect(applyNotice(s, { type: "layout", workspaceId: 4, layout: { pane: "terminal" }, updatedAt: 3 })).toBe(s);
});

test("layout writes are coalesced: one write of the last value per delay", async () => {
  vi.useFakeTimers();
  try {
    const written: unknown[] = [];
    const w = new LayoutWriter<{ n: number }>(async (v) => void written.push(v), 400);
    w.set({ n: 1 });
    w.set({ n: 2 });
    w.set({ n: 3 });
    expect(written).toEqual([]);
    vi.advanceTimersByTime(400);
    expect(written).toEqual([{ n: 3 }]);
    w.set({ n: 4 });
    w.flush(); // the page is going away
    expect(written).toEqual([{ n: 3 }, { n: 4 }]);
    vi.advanceTimersByTime(1000);
    expect(written).toHaveLength(2);
    // A failed write is dropped quietly (the layout is a convenience).
    const failing = new LayoutWriter(() => Promise.reject(new Error("offline")), 10);
    failing.set({});
    failing.flush();
  } finally {
    vi.useRealTimers();
  }
});

test("a workspace's layout is fetched once, however many ask while it loads", async () => {
  const calls: string[] = [];
  const rpc = {
    state: { kind: "open", since: 0 },
    onState() {},
    start() {},
    subscribeWorkspaces: () => () => {},
    async call(method: string, params: { workspace?: string }) {
      calls.push(`${method} ${params.workspace ?? ""}`.trim());
      if (method === "layout.get") return { layout: params.workspace ? { pane: "files", split: 0.4 } : { workspace: 7 } };
      if (method === "auth.whoami") return { scope: "admin" };
      return [];
    },
  } as unknown as Rpc;
  const band = new Band(rpc);
  band.start(7); // the address names workspace 7: its layout comes with the lists
  const [a, b] = await Promise.all([band.loadLayout(7), band.loadLayout(7)]);
  expect(a).toEqual({ ...defaultWorkspaceLayout, pane: "files", split: 0.4 });
  expect(b).toBe(a);
  await band.reload();
  expect(calls.filter((c) => c === "layout.get 7")).toHaveLength(1);
  expect(band.state.get().globalLayout).toEqual({ workspace: 7 });
  expect(band.state.get().me).toEqual({ scope: "admin" });
});
