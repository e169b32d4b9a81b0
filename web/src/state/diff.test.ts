import { parseDiff, splitRows } from "./diff";

const patch = `diff --git a/app.js b/app.js
index 1111111..2222222 100644
--- a/app.js
+++ b/app.js
@@ -1,3 +1,4 @@
 export function greet(name) {
-  return "hi " + name;
+  return "hello " + name;
+  // friendlier
 }
diff --git a/hello.txt b/hello.txt
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/hello.txt
@@ -0,0 +1 @@
+hello from claude
\\ No newline at end of file
diff --git a/old.txt b/old.txt
deleted file mode 100644
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git a/a.png b/a.png
new file mode 100644
Binary files /dev/null and b/a.png differ
diff --git a/x.txt b/y.txt
similarity index 90%
rename from x.txt
rename to y.txt
`;

test("files, statuses, line numbers and counts", () => {
  const files = parseDiff(patch);
  expect(files.map((f) => [f.path, f.status, f.additions, f.deletions])).toEqual([
    ["app.js", "modified", 2, 1],
    ["hello.txt", "added", 1, 0],
    ["old.txt", "deleted", 0, 1],
    ["a.png", "binary", 0, 0],
    ["y.txt", "renamed", 0, 0],
  ]);
  expect(files[4].oldPath).toBe("x.txt");
  const lines = files[0].hunks[0].lines;
  expect(lines.map((l) => [l.type, l.oldNo, l.newNo])).toEqual([
    ["context", 1, 1],
    ["del", 2, undefined],
    ["add", undefined, 2],
    ["add", undefined, 3],
    ["context", 3, 4],
  ]);
  expect(files[1].hunks[0].lines.at(-1)?.type).toBe("note");
});

test("split rows put deletions beside the additions that replace them", () => {
  const rows = splitRows(parseDiff(patch)[0].hunks[0]);
  expect(rows.map((r) => [r.left?.type, r.right?.type])).toEqual([
    ["context", "context"],
    ["del", "add"],
    [undefined, "add"],
    ["context", "context"],
  ]);
});

test("an empty patch has no files", () => {
  expect(parseDiff("")).toEqual([]);
});
