// What a failed call means, for the views: they never see the client's error type, only these.
// The server sends the facts and the fix as data (`ErrorData`); the fix is worded here in the
// dashboard's own terms (its buttons), never the CLI's flags or the API's params.

import { codes, RpcError } from "../api/rpc";
import type { ErrorData, ErrorFix } from "../api/types";
import { installText } from "./agents";

/** The error's data, when the server sent band's (every method error does). */
export function errorData(e: unknown): ErrorData | null {
  if (!(e instanceof RpcError) || typeof e.data !== "object" || e.data === null) return null;
  const d = e.data as Partial<ErrorData>;
  return typeof d.what === "string" && typeof d.kind === "string" ? (d as ErrorData) : null;
}

/** What would fix a failure, as the dashboard says it. */
export function fixText(fix: ErrorFix): string {
  switch (fix.type) {
    case "see_list":
      return `check the ${fix.of} list`;
    case "choose_name":
      return "give the project another name";
    case "commit_or_force":
      return "commit them, or press Remove anyway to discard them";
    case "merge_or_force":
      return "merge them, or press Remove anyway to remove the worktree (the branch is kept)";
    case "remove_workspaces_first":
      return `remove the workspaces of ${fix.project} first`;
    case "remove_workspace_forced":
      return `remove the workspace ${fix.workspace} (Remove anyway)`;
    case "stop_chat":
      return `stop chat ${fix.chat} first (its Stop button)`;
    case "kill_terminal":
      return fix.terminal ? `close terminal ${fix.terminal}` : "close a terminal";
    case "stop_tunnel":
      return "stop it first (Remote → Stop)";
    case "name_request":
      return "answer the request on screen";
    case "pair_again":
      return `pair this device again with ${fix.scope} access (Remote → pair)`;
    case "use_main_token":
      return "only the main token (on the machine running band-server) may do that";
    case "new_pairing_code":
      return "ask for a new pairing code";
    case "restore_workspace":
      return "restore the workspace first (its Restore button)";
    case "approve_scripts":
      return `read the scripts of ${fix.project} and approve them (Review scripts)`;
    case "install_agent": {
      const how = fix.install ? ` (${installText(fix.install)})` : "";
      return `install it on the machine running band${how}, or set agents.${fix.agent}.binary in band's settings.json`;
    }
    case "set_up_gh":
      return fix.signedOut
        ? "sign it in on the machine running band: run `gh auth login`"
        : "install it on the machine running band (https://cli.github.com), then run `gh auth login`";
  }
}

/** What to show the user for a failed call: the facts, then the fix in the dashboard's words. */
export function errorText(e: unknown): string {
  const data = errorData(e);
  if (data) return data.fix ? `${data.what}; ${fixText(data.fix)}` : data.what;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The server refused (e.g. removing a workspace would lose work); its message says why. */
export function isRefused(e: unknown): e is RpcError {
  return e instanceof RpcError && e.code === codes.refused;
}

/** The server has no such thing (any more). */
export function isNotFound(e: unknown): e is RpcError {
  return e instanceof RpcError && e.code === codes.notFound;
}
