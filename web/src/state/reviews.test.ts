import { describe, expect, it } from "vitest";
import type { ReviewCommentInfo } from "../api/types";
import { parseDiff } from "./diff";
import { commentsAt, lineSide, linesLabel, quoteOf, select, selected, unsent } from "./reviews";

const patch = `diff --git a/app.js b/app.js
--- a/app.js
+++ b/app.js
@@ -1,3 +1,3 @@
 export function greet(name) {
-  return "hi " + name;
+  return "yo " + name;
 }
`;

const comment = (over: Partial<ReviewCommentInfo>): ReviewCommentInfo => ({
  id: 1,
  workspaceId: 1,
  path: "app.js",
  side: "new",
  startLine: 2,
  endLine: 2,
  quote: "",
  body: "b",
  resolved: false,
  createdAt: 0,
  ...over,
});

describe("review comments", () => {
  const [file] = parseDiff(patch);
  const [ctx, del, add] = file.hunks[0].lines;

  it("counts a removed line on the old side and the others on the new", () => {
    expect(lineSide(ctx)).toEqual({ side: "new", no: 1 });
    expect(lineSide(del)).toEqual({ side: "old", no: 2 });
    expect(lineSide(add)).toEqual({ side: "new", no: 2 });
  });

  it("extends a selection on the same side and quotes its lines", () => {
    const one = select(null, "app.js", "new", 2, false);
    const range = select(one, "app.js", "new", 1, true);
    expect(range).toEqual({ path: "app.js", side: "new", start: 1, end: 2 });
    expect(quoteOf(file, range)).toBe('export function greet(name) {\n  return "yo " + name;');
    expect(select(range, "app.js", "old", 2, true)).toEqual({ path: "app.js", side: "old", start: 2, end: 2 });
    expect(selected(range, "app.js", add)).toBe(true);
    expect(selected(range, "app.js", del)).toBe(false);
  });

  it("shows a comment under its last line, and sends only open unsent ones", () => {
    const c = [comment({ id: 1 }), comment({ id: 2, side: "old" }), comment({ id: 3, resolved: true }), comment({ id: 4, sentAt: 5, sentChatId: 9 })];
    expect(commentsAt(c, "app.js", add).map((x) => x.id)).toEqual([1, 3, 4]);
    expect(commentsAt(c, "app.js", del).map((x) => x.id)).toEqual([2]);
    expect(unsent(c).map((x) => x.id)).toEqual([1, 2]);
    expect(linesLabel({ startLine: 3, endLine: 5 })).toBe("lines 3–5");
  });
});
