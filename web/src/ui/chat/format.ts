// Tool inputs as text, for tool calls and permission requests.

/** A value as readable text: strings as they are, anything else as indented JSON. */
export function pretty(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  try {
    return JSON.stringify(v, null, 2);
  } catch {
    return String(v);
  }
}

/** The one line that says what a tool call does (a command, a path), when its input has one. */
export function gist(input: unknown): string {
  if (!input || typeof input !== "object") return "";
  const o = input as Record<string, unknown>;
  for (const k of ["command", "file_path", "path", "pattern", "url", "description"]) {
    const v = o[k];
    if (typeof v === "string" && v) return v;
    if (Array.isArray(v) && v.length) return v.join(" ");
  }
  return "";
}
