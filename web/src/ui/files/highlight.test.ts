import { ancestors, changeMarks, rawUrl } from "./FilesPane";
import { HIGHLIGHT_LIMIT, highlight, toLines } from "./highlight";
import { grammarOf } from "./languages";

const text = (line: { text: string }[]) => line.map((r) => r.text).join("");

test("source is cut into numbered lines of highlighted runs", () => {
  const lines = highlight('fn main() {\n    println!("hi");\n}\n', "rust");
  expect(lines.map(text)).toEqual(["fn main() {", '    println!("hi");', "}"]);
  expect(lines[0][0]).toEqual({ text: "fn", kinds: ["keyword"] });
  expect(lines[1].some((r) => r.kinds.includes("string") && r.text === '"hi"')).toBe(true);
});

test("a token spanning lines is cut at each newline and keeps its kind on both", () => {
  const lines = highlight("/* one\n   two */\nlet x = 1;", "typescript");
  expect(lines.map(text)).toEqual(["/* one", "   two */", "let x = 1;"]);
  expect(lines[0][0].kinds).toEqual(["comment"]);
  expect(lines[1][0].kinds).toEqual(["comment"]);
});

test("the names band-server gives map to grammars; anything else is plain text", () => {
  for (const lang of ["typescript", "tsx", "javascript", "json", "markdown", "toml", "yaml", "python", "go", "bash", "html", "xml", "dockerfile", "proto", "cpp", "php", "diff"]) {
    expect(grammarOf(lang), lang).toBeDefined();
  }
  expect(highlight('{"a": 1}', "json").flat().some((r) => r.kinds.includes("property"))).toBe(true);
  expect(highlight("<b>not markup</b>", "nonsense")).toEqual([[{ text: "<b>not markup</b>", kinds: [] }]]);
  expect(highlight("<b>", null)).toEqual([[{ text: "<b>", kinds: [] }]]);
  // Too big to tokenize: plain, but still in lines.
  const n = Math.ceil(HIGHLIGHT_LIMIT / 11) + 1;
  const big = "let a = 1;\n".repeat(n);
  expect(big.length).toBeGreaterThan(HIGHLIGHT_LIMIT);
  const lines = highlight(big, "rust");
  expect(lines.length).toBe(n);
  expect(lines[0]).toEqual([{ text: "let a = 1;", kinds: [] }]);
});

test("empty lines survive, and a final newline does not add one", () => {
  expect(toLines([{ text: "a\n\nb\n", kinds: [] }]).map(text)).toEqual(["a", "", "b"]);
  expect(toLines([{ text: "", kinds: [] }])).toEqual([[]]);
});

test("paths: the directories to open for a file, and its raw address", () => {
  expect(ancestors("src/ui/App.tsx")).toEqual(["", "src", "src/ui"]);
  expect(ancestors("README.md")).toEqual([""]);
  expect(rawUrl(3, "docs/a b/#1?.md")).toBe("/workspaces/3/raw/docs/a%20b/%231%3F.md");
});

test("uncommitted changes mark their files with a letter and every directory above them", () => {
  const m = changeMarks([
    { kind: "modified", path: "src/ui/App.tsx" },
    { kind: "untracked", path: "notes.md" },
    { kind: "deleted", path: "src/old.rs" },
  ]);
  expect([...m.files]).toEqual([
    ["src/ui/App.tsx", "M"],
    ["notes.md", "U"],
    ["src/old.rs", "D"],
  ]);
  expect([...m.dirs].sort()).toEqual(["src", "src/ui"]);
});
