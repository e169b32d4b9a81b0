// Desktop notifications when an agent starts waiting for a decision and nobody is looking at it:
// the page is hidden, or another chat is on screen. Opt-in (the browser asks once), remembered
// in this browser only. Clicking a notification brings the page back on that chat.

import type { ChatInfo, WorkspaceInfo } from "../api/types";
import type { Band } from "../state/band";
import { navigate } from "./route";

const KEY = "band.notify.v1";

/** The part of the browser's Notification API used here (tests give a fake). */
export interface Notifier {
  permission: NotificationPermission;
  requestPermission(): Promise<NotificationPermission>;
  show(title: string, body: string, onClick: () => void): void;
}

export function browserNotifier(): Notifier | null {
  if (typeof window === "undefined" || !("Notification" in window)) return null;
  return {
    get permission() {
      return Notification.permission;
    },
    requestPermission: () => Notification.requestPermission(),
    show(title, body, onClick) {
      // Some browsers (Chrome on Android) only show notifications from a service worker and
      // throw here: a notification is a courtesy, never worth breaking the page for.
      try {
        const n = new Notification(title, { body, tag: title });
        n.onclick = () => {
          window.focus();
          onClick();
          n.close();
        };
      } catch {
        // Not shown.
      }
    },
  };
}

export function notificationsWanted(storage: Pick<Storage, "getItem"> | undefined): boolean {
  try {
    return storage?.getItem(KEY) === "1";
  } catch {
    return false;
  }
}

export function setNotificationsWanted(storage: Pick<Storage, "setItem"> | undefined, on: boolean): void {
  try {
    storage?.setItem(KEY, on ? "1" : "0");
  } catch {
    // Private mode: on for this page only.
  }
}

/** Whether a chat that started waiting should be announced: nobody is looking at it. */
export function shouldAnnounce(chat: ChatInfo, openChat: number | null, pageVisible: boolean): boolean {
  return !pageVisible || openChat !== chat.id;
}

export function announcement(chat: ChatInfo, workspace: WorkspaceInfo | undefined): { title: string; body: string } {
  const where = workspace ? `${workspace.project} / ${workspace.branch}` : `workspace ${chat.workspaceId}`;
  return { title: `${where}: waiting for you`, body: `${chat.agent} asks for a decision in ${chat.name || `chat ${chat.id}`}.` };
}

/** Announces chats that start waiting, while `enabled()` says so. Returns the unsubscribe. */
export function watchWaiting(band: Band, notifier: Notifier, enabled: () => boolean, visible: () => boolean): () => void {
  return band.onWaiting((chat) => {
    if (!enabled() || notifier.permission !== "granted") return;
    const s = band.state.get();
    if (!shouldAnnounce(chat, s.openChat, visible())) return;
    const { title, body } = announcement(chat, s.workspaces.find((w) => w.id === chat.workspaceId));
    notifier.show(title, body, () => navigate({ workspace: chat.workspaceId, tab: "chat", chat: chat.id }));
  });
}
