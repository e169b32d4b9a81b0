import { applyNotice, emptyState } from "./app";
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
