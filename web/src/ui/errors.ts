import { RpcError } from "../api/rpc";

/** What to show the user for a failed call: the server's own message (it says what to do). */
export function errorText(e: unknown): string {
  if (e instanceof RpcError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
