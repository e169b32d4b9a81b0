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

/** One line of a proposed file change: added, removed, or context. */
export interface ChangeLine {
  kind: "+" | "-" | " ";
  text: string;
}

/**
 * A file write or edit a tool call proposes (Claude Code's Write, Edit and MultiEdit inputs, and
 * the same shapes from other agents): its path, a one-line summary and its lines. Null for
 * anything else.
 */
export function changeOf(input: unknown): { path: string; summary: string; lines: ChangeLine[] } | null {
  if (!input || typeof input !== "object") return null;
  const o = input as Record<string, unknown>;
  const path = typeof o.file_path === "string" ? o.file_path : typeof o.path === "string" ? o.path : null;
  if (!path) return null;
  const split = (t: string) => t.replace(/\n$/, "").split("\n");
  if (typeof o.content === "string") {
    const lines = split(o.content).map((text) => ({ kind: "+" as const, text }));
    return { path, summary: `writes ${lines.length} line${lines.length === 1 ? "" : "s"}`, lines };
  }
  const edits: { old_string?: unknown; new_string?: unknown }[] = Array.isArray(o.edits)
    ? (o.edits as { old_string?: unknown; new_string?: unknown }[])
    : typeof o.old_string === "string" || typeof o.new_string === "string"
      ? [o]
      : [];
  if (!edits.length) return null;
  const lines: ChangeLine[] = [];
  for (const e of edits) {
    if (typeof e.old_string === "string" && e.old_string) lines.push(...split(e.old_string).map((text) => ({ kind: "-" as const, text })));
    if (typeof e.new_string === "string" && e.new_string) lines.push(...split(e.new_string).map((text) => ({ kind: "+" as const, text })));
  }
  return { path, summary: `edits ${edits.length} place${edits.length === 1 ? "" : "s"}`, lines };
}
