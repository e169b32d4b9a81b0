// What a failed call means, for the views: they never see the client's error type, only these.

import { codes, RpcError } from "../api/rpc";

/** What to show the user for a failed call: the server's own message (it says what to do). */
export function errorText(e: unknown): string {
  if (e instanceof RpcError) return e.message;
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
