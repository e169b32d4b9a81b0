// Review comments on the Changes pane's diff: which side and line a diff row is, the code a
// selection quotes, where each comment shows, and the API calls.

import type { DiffSide, ReviewCommentInfo } from "../api/types";
import type { Band } from "./band";
import type { DiffFile, DiffLine } from "./diff";

/** A line a comment can point at: a removed line counts on the old side, any other on the new. */
export function lineSide(line: DiffLine): { side: DiffSide; no: number } | null {
  if (line.type === "del") return line.oldNo != null ? { side: "old", no: line.oldNo } : null;
  if (line.type === "note") return null;
  return line.newNo != null ? { side: "new", no: line.newNo } : null;
}

export interface Selection {
  path: string;
  side: DiffSide;
  start: number;
  end: number;
}

/** Extends a selection to `no` on the same file and side (a shift-click), or starts a new one. */
export function select(current: Selection | null, path: string, side: DiffSide, no: number, extend: boolean): Selection {
  if (extend && current && current.path === path && current.side === side) {
    return { path, side, start: Math.min(current.start, no), end: Math.max(current.end, no) };
  }
  return { path, side, start: no, end: no };
}

/** The text of the selected lines, as the diff shows them. */
export function quoteOf(file: DiffFile, sel: Selection): string {
  const out: string[] = [];
  for (const h of file.hunks) {
    for (const l of h.lines) {
      const at = lineSide(l);
      if (at && at.side === sel.side && at.no >= sel.start && at.no <= sel.end) out.push(l.text);
    }
  }
  return out.join("\n");
}

/** Whether `line` of `path` is inside the selection. */
export function selected(sel: Selection | null, path: string, line: DiffLine): boolean {
  const at = lineSide(line);
  return !!sel && !!at && sel.path === path && sel.side === at.side && at.no >= sel.start && at.no <= sel.end;
}

/** The comments shown under `line`: those whose range ends on it. */
export function commentsAt(comments: ReviewCommentInfo[], path: string, line: DiffLine): ReviewCommentInfo[] {
  const at = lineSide(line);
  if (!at) return [];
  return comments.filter((c) => c.path === path && c.side === at.side && c.endLine === at.no);
}

/** Open comments not yet sent: what "Send to agent" carries. */
export function unsent(comments: ReviewCommentInfo[]): ReviewCommentInfo[] {
  return comments.filter((c) => !c.resolved && c.sentAt == null);
}

export function linesLabel(c: { startLine: number; endLine: number }): string {
  return c.startLine === c.endLine ? `line ${c.startLine}` : `lines ${c.startLine}–${c.endLine}`;
}

export function loadComments(band: Band, workspace: number) {
  return band.rpc.call("workspaces.comments", { workspace: String(workspace) });
}

export function addComment(band: Band, workspace: number, sel: Selection, quote: string, body: string) {
  return band.rpc.call("workspaces.comments.add", {
    workspace: String(workspace),
    path: sel.path,
    side: sel.side,
    startLine: sel.start,
    endLine: sel.end,
    quote,
    body,
  });
}

export function resolveComment(band: Band, comment: number) {
  return band.rpc.call("workspaces.comments.resolve", { comment });
}

export function sendComments(band: Band, workspace: number, chat: number | null) {
  return band.rpc.call("workspaces.comments.send", { workspace: String(workspace), chat: chat ?? undefined });
}
