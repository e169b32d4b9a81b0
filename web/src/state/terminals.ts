// The Terminal pane's data: a workspace's terminals (a first one opened for a device with
// control access), creating and ending them, watching one's output through the RPC socket (read
// access), and a terminal's own byte stream (control access). Only the Terminal pane imports
// this module, so it loads with that pane's chunk.

import { TerminalConnection, terminalSocketUrl, type TerminalEvents } from "../api/terminal";
import type { TerminalInfo, TerminalStreamItem } from "../api/types";
import type { Band } from "./band";
import { isNotFound } from "./errors";

export type { TerminalConnection, TerminalState } from "../api/terminal";

/** Workspaces whose first terminal is being created (one, however often the pane mounts). */
const creating = new Map<number, Promise<TerminalInfo>>();

export function createTerminal(band: Band, workspace: number) {
  return band.rpc.call("terminals.create", { workspace: String(workspace) });
}

/**
 * The workspace's terminals. With control access a workspace that has none gets one, and only
 * one however many ask at once; with read access it stays empty.
 */
export async function openTerminals(band: Band, workspace: number, control: boolean): Promise<TerminalInfo[]> {
  const list = await band.rpc.call("terminals.list", { workspace: String(workspace) });
  if (list.length > 0 || !control) return list;
  let pending = creating.get(workspace);
  if (!pending) {
    pending = createTerminal(band, workspace);
    creating.set(workspace, pending);
    pending.finally(() => creating.delete(workspace)).catch(() => {});
  }
  return [await pending];
}

/** Ends a terminal's shell; one the server no longer has counts as ended. */
export async function killTerminal(band: Band, terminal: number): Promise<void> {
  try {
    await band.rpc.call("terminals.kill", { terminal });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** Whether the server still has the terminal (when it cannot say: yes, keep trying). */
export function terminalExists(band: Band, terminal: number): Promise<boolean> {
  return band.rpc.call("terminals.get", { terminal }).then(
    () => true,
    (e) => !isNotFound(e),
  );
}

/** Follows a terminal's output as text from the start of its scrollback (read access is enough). */
export function watchTerminal(band: Band, terminal: number, onItem: (item: TerminalStreamItem) => void): () => void {
  return band.rpc.subscribeTerminal(terminal, 0, onItem);
}

/**
 * The terminal's own WebSocket on this page's origin (control access): input, resizes, output
 * bytes resumed after a reconnection, until the shell exits or the terminal is gone. Call
 * `connect()` on it.
 */
export function connectTerminal(band: Band, terminal: number, on: TerminalEvents): TerminalConnection {
  return new TerminalConnection(
    {
      url: (after) => terminalSocketUrl(terminal, after),
      socket: (url) => new WebSocket(url),
      exists: () => terminalExists(band, terminal),
    },
    on,
  );
}

/** A terminal chat's terminal (while its agent runs), or null. */
export async function chatTerminal(band: Band, workspace: number, chat: number): Promise<TerminalInfo | null> {
  const list = await band.rpc.call("terminals.list", { workspace: String(workspace) });
  return list.find((t) => t.chat === chat && t.status === "running") ?? list.find((t) => t.chat === chat) ?? null;
}
