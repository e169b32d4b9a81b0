// The dashboard's address: `/` (the workspace list) or `/w/<workspace id>`, with `tab` and
// `chat` in the query. Nothing else is read from the URL: never a server address or a token.

import { useSyncExternalStore } from "react";

export type Tab = "chat" | "changes" | "files" | "terminal";

export interface Route {
  workspace: number | null;
  tab: Tab;
  chat: number | null;
}

export function parseRoute(path: string, search: string): Route {
  const m = /^\/w\/(\d+)\/?$/.exec(path);
  const q = new URLSearchParams(search);
  const tab = q.get("tab");
  const chat = Number(q.get("chat"));
  return {
    workspace: m ? Number(m[1]) : null,
    tab: tab === "changes" || tab === "files" || tab === "terminal" ? tab : "chat",
    chat: Number.isInteger(chat) && chat > 0 ? chat : null,
  };
}

export function routeUrl(r: Route): string {
  if (r.workspace === null) return "/";
  const q = new URLSearchParams();
  if (r.tab !== "chat") q.set("tab", r.tab);
  if (r.chat !== null) q.set("chat", String(r.chat));
  const qs = q.toString();
  return `/w/${r.workspace}${qs ? `?${qs}` : ""}`;
}

const listeners = new Set<() => void>();
let current = "";
let cached: Route = { workspace: null, tab: "chat", chat: null };

function snapshot(): Route {
  const key = location.pathname + location.search;
  if (key !== current) {
    current = key;
    cached = parseRoute(location.pathname, location.search);
  }
  return cached;
}

if (typeof window !== "undefined") window.addEventListener("popstate", () => listeners.forEach((l) => l()));

export function navigate(r: Route, replace = false): void {
  const url = routeUrl(r);
  if (url === location.pathname + location.search) return;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  listeners.forEach((l) => l());
}

export function useRoute(): Route {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    snapshot,
    snapshot,
  );
}
