// The dashboard's keys (listed in the help overlay, `?`): Ctrl/Cmd+K the command palette, `j`
// the next waiting permission, `a` Allow, `d` Deny, `s` Stop, `1`-`4` the panes. Keys typed into
// a field, or into a terminal (which keeps every key until F6 leaves it), are never taken.

import type { Band } from "../state/band";
import type { Route } from "./route";

/** Whether a key event belongs to what has the focus: a field, an editor or a terminal. */
export function typingIn(target: EventTarget | null): boolean {
  const el = target as Element | null;
  return !!el?.closest?.("input, textarea, select, [contenteditable], .xterm, .terminal");
}

/** The keys that act (the rest are never looked at). */
const ACTIVE = new Set(["?", "j", "a", "d", "s", "1", "2", "3", "4"]);

/** Listens for the keys on `window`; what they do loads on the first one. Returns the function that stops listening. */
export function listenKeys(band: Band, route: () => Route, open: (what: "palette" | "help") => void): () => void {
  const onKey = (e: KeyboardEvent) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "k") {
      if (e.target instanceof Element && e.target.closest(".xterm, .terminal")) return;
      e.preventDefault();
      open("palette");
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || !ACTIVE.has(e.key) || typingIn(e.target)) return;
    if (document.querySelector('[role="dialog"]')) return;
    if (e.key === "?") {
      e.preventDefault();
      open("help");
      return;
    }
    e.preventDefault();
    void import("./keyActions").then((m) => m.act(band, route(), e.key));
  };
  window.addEventListener("keydown", onKey);
  return () => window.removeEventListener("keydown", onKey);
}
