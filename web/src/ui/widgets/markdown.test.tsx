import { render } from "@testing-library/react";
import { Markdown, parseBlocks, safeHref } from "./markdown";

test("blocks: paragraphs, headings, fenced code, lists, quotes", () => {
  const md = "# Title\n\nSome *text*\nmore.\n\n```rust\nfn main() {}\n```\n\n- a\n- b\n\n1. one\n2. two\n\n> quoted";
  expect(parseBlocks(md)).toEqual([
    { type: "h", level: 1, text: "Title" },
    { type: "p", text: "Some *text*\nmore." },
    { type: "code", lang: "rust", text: "fn main() {}" },
    { type: "list", ordered: false, items: ["a", "b"] },
    { type: "list", ordered: true, items: ["one", "two"] },
    { type: "quote", text: "quoted" },
  ]);
});

test("an unclosed fence (still streaming) is code up to the end", () => {
  expect(parseBlocks("```js\nlet a")).toEqual([{ type: "code", lang: "js", text: "let a" }]);
});

test("inline marks render as elements; markup in the text stays text", () => {
  const { container } = render(
    <Markdown text={'**bold** and *em* and `x < y` and [link](https://example.com) <img src=x onerror="alert(1)">'} />,
  );
  expect(container.querySelector("strong")?.textContent).toBe("bold");
  expect(container.querySelector("em")?.textContent).toBe("em");
  expect(container.querySelector("code")?.textContent).toBe("x < y");
  const a = container.querySelector("a")!;
  expect([a.getAttribute("href"), a.getAttribute("rel")]).toEqual(["https://example.com", "noopener noreferrer"]);
  expect(container.querySelector("img")).toBeNull();
  expect(container.textContent).toContain('<img src=x onerror="alert(1)">');
});

test("only web and mail links become links", () => {
  expect(safeHref("javascript:alert(1)")).toBeNull();
  expect(safeHref("data:text/html,x")).toBeNull();
  expect(safeHref("mailto:a@b.c")).toBe("mailto:a@b.c");
  const { container } = render(<Markdown text="[x](javascript:alert(1))" />);
  expect(container.querySelector("a")).toBeNull();
});

test("tables render as tables, with their alignment", () => {
  const md = "Results:\n\n| name | size |\n|:-----|-----:|\n| a.txt | 12 |\n| `b` | 3 |\n\nafter";
  expect(parseBlocks(md)[1]).toEqual({ type: "table", align: ["left", "right"], head: ["name", "size"], rows: [["a.txt", "12"], ["`b`", "3"]] });
  const { container } = render(<Markdown text={md} />);
  expect([...container.querySelectorAll("th")].map((th) => th.textContent)).toEqual(["name", "size"]);
  expect([...container.querySelectorAll("tbody tr")].map((tr) => tr.textContent)).toEqual(["a.txt12", "b3"]);
  expect(container.querySelector("tbody code")?.textContent).toBe("b");
  expect(container.querySelectorAll("td")[1].getAttribute("style")).toContain("right");
  expect(container.textContent).not.toContain("|");
});

test("an image is a link named by its alt text, with no stray '!' and nothing loaded", () => {
  const { container } = render(<Markdown text="See ![the logo](https://example.com/logo.png) here, and ![x](javascript:alert(1))." />);
  expect(container.querySelector("img")).toBeNull();
  const a = container.querySelector("a")!;
  expect(a.getAttribute("href")).toBe("https://example.com/logo.png");
  expect(a.textContent).toContain("the logo");
  expect(container.textContent).not.toContain("!");
  expect(container.textContent).not.toContain("javascript");
});
