// What the dashboard's keys do (keys.ts listens and loads this on the first one): `j` the next
// waiting permission, `a` Allow, `d` Deny, `s` Stop, `1`-`4` the panes.

import type { Band } from "../state/band";
import { stopChat } from "../state/chat";
import { navigate, type Route } from "./route";

const click = (selector: string, text?: RegExp) => {
  const all = [...document.querySelectorAll<HTMLButtonElement>(selector)].filter((b) => !b.disabled && b.offsetParent !== null);
  const b = text ? all.find((x) => text.test(x.textContent ?? "")) : all[0];
  b?.click();
  return !!b;
};

const PANES = ["Chat", "Changes", "Files", "Terminal"];

export function act(band: Band, r: Route, key: string): void {
  switch (key) {
    case "j": {
      const s = band.state.get();
      const waiting = Object.values(s.chats)
        .filter((c) => c.status === "waiting")
        .sort((a, b) => a.id - b.id);
      const next = waiting.find((c) => c.id > (s.openChat ?? 0)) ?? waiting[0];
      if (!next) return;
      navigate({ workspace: next.workspaceId, tab: "chat", chat: next.id });
      break;
    }
    case "a":
      if (!click('[data-testid="permission"].pending button.primary, [data-testid="overview-permission"] button.primary')) return;
      break;
    case "d":
      if (!click('[data-testid="permission"].pending button.danger, [data-testid="overview-permission"] button.danger')) return;
      break;
    case "s": {
      const s = band.state.get();
      const chat = s.openChat === null ? undefined : s.chats[s.openChat];
      if (r.workspace === null || !chat || (chat.status !== "working" && chat.status !== "waiting")) return;
      void stopChat(band, chat.id).catch(() => {});
      break;
    }
    case "1":
    case "2":
    case "3":
    case "4": {
      if (r.workspace === null) return;
      const label = PANES[Number(key) - 1];
      const tab = ["chat", "changes", "files", "terminal"][Number(key) - 1] as Route["tab"];
      // The phone's pane tabs, or the desktop's side-pane switch (the chat is always there).
      if (!click("nav.tabbar button", new RegExp(`^${label}$`))) {
        if (tab === "chat") document.querySelector<HTMLElement>("textarea")?.focus();
        else if (!click('.side-switch button[aria-pressed="false"]', new RegExp(`^${label}$`))) return;
      }
      break;
    }
  }
}
