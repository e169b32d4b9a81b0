// A small Markdown renderer for agent messages: paragraphs, headings, fenced code blocks, lists,
// quotes, rules, tables, and inline code, bold, italic, links and images (shown as links: nothing
// is loaded from elsewhere). It builds React elements and never
// HTML strings, so whatever an agent writes is shown as text: no markup of its own runs on
// band's origin. Links are kept only for http(s) and mailto, and open in a new tab.

import { memo, type ReactNode } from "react";

export type Block =
  | { type: "p"; text: string }
  | { type: "h"; level: number; text: string }
  | { type: "code"; lang: string; text: string }
  | { type: "list"; ordered: boolean; items: string[] }
  | { type: "quote"; text: string }
  | { type: "hr" }
  | { type: "table"; align: Align[]; head: string[]; rows: string[][] };

export type Align = "left" | "center" | "right" | null;

const fence = /^\s{0,3}(```+|~~~+)\s*([\w+#.-]*)/;
const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const bullet = /^\s*[-*+]\s+(.*)$/;
const numbered = /^\s*\d{1,9}[.)]\s+(.*)$/;
const rule = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const delimiterRow = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

/** A table row's cells: split on `|` outside inline code and escapes, outer pipes dropped. */
function cells(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let code = false;
  const t = line.trim().replace(/^\|/, "").replace(/\|$/, "");
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === "\\" && t[i + 1] === "|") {
      cur += "|";
      i++;
    } else if (c === "`") {
      code = !code;
      cur += c;
    } else if (c === "|" && !code) {
      out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

function alignOf(cell: string): Align {
  const c = cell.trim();
  const left = c.startsWith(":");
  const right = c.endsWith(":");
  return left && right ? "center" : right ? "right" : left ? "left" : null;
}

export function parseBlocks(src: string): Block[] {
  const lines = src.replace(/\r\n?/g, "\n").split("\n");
  const out: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const f = fence.exec(line);
    if (f) {
      const marker = f[1];
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i].trimStart().startsWith(marker)) body.push(lines[i++]);
      i++; // the closing fence (or the end: an unclosed block while streaming)
      out.push({ type: "code", lang: f[2], text: body.join("\n") });
      continue;
    }
    if (!line.trim()) {
      i++;
      continue;
    }
    const h = heading.exec(line);
    if (h) {
      out.push({ type: "h", level: h[1].length, text: h[2] });
      i++;
      continue;
    }
    if (rule.test(line)) {
      out.push({ type: "hr" });
      i++;
      continue;
    }
    if (line.includes("|") && i + 1 < lines.length && delimiterRow.test(lines[i + 1]) && lines[i + 1].includes("-")) {
      const head = cells(line);
      const align = cells(lines[i + 1]).map(alignOf);
      if (align.length === head.length) {
        i += 2;
        const rows: string[][] = [];
        while (i < lines.length && lines[i].trim() && lines[i].includes("|")) {
          const row = cells(lines[i++]);
          rows.push(head.map((_, j) => row[j] ?? ""));
        }
        out.push({ type: "table", align, head, rows });
        continue;
      }
    }
    if (/^\s{0,3}>/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^\s{0,3}>/.test(lines[i])) body.push(lines[i++].replace(/^\s{0,3}>\s?/, ""));
      out.push({ type: "quote", text: body.join("\n") });
      continue;
    }
    const listKind = bullet.test(line) ? bullet : numbered.test(line) ? numbered : null;
    if (listKind) {
      const items: string[] = [];
      while (i < lines.length) {
        const m = listKind.exec(lines[i]);
        if (m) items.push(m[1]);
        else if (lines[i].trim() && /^\s+/.test(lines[i]) && items.length) items[items.length - 1] += " " + lines[i].trim();
        else break;
        i++;
      }
      out.push({ type: "list", ordered: listKind === numbered, items });
      continue;
    }
    const para: string[] = [];
    while (
      i < lines.length &&
      lines[i].trim() &&
      !fence.test(lines[i]) &&
      !heading.test(lines[i]) &&
      !(i + 1 < lines.length && lines[i].includes("|") && delimiterRow.test(lines[i + 1]) && lines[i + 1].includes("-")) &&
      !/^\s{0,3}>/.test(lines[i]) &&
      !(para.length && (bullet.test(lines[i]) || numbered.test(lines[i])))
    ) {
      para.push(lines[i++]);
    }
    out.push({ type: "p", text: para.join("\n") });
  }
  return out;
}

const inlinePatterns: [string, RegExp][] = [
  ["code", /`([^`\n]+)`/],
  ["link", /(!?)\[([^\]\n]*)\]\(([^)\s]+)\)/],
  ["bold", /\*\*([^*\n](?:.*?[^*\n])?)\*\*|__([^_\n](?:.*?[^_\n])?)__/],
  ["em", /(?<![\w*])\*([^*\s](?:[^*\n]*[^*\s])?)\*(?![\w*])|(?<![\w_])_([^_\s](?:[^_\n]*[^_\s])?)_(?![\w_])/],
];

export function safeHref(url: string): string | null {
  return /^(https?:\/\/|mailto:)/i.test(url) ? url : null;
}

export function renderInline(text: string, keyBase = "i"): ReactNode[] {
  const out: ReactNode[] = [];
  let rest = text;
  let n = 0;
  while (rest) {
    let best: { kind: string; m: RegExpExecArray } | null = null;
    for (const [kind, re] of inlinePatterns) {
      const m = re.exec(rest);
      if (m && (!best || m.index < best.m.index)) best = { kind, m };
    }
    if (!best) {
      out.push(rest);
      break;
    }
    const { kind, m } = best;
    if (m.index > 0) out.push(rest.slice(0, m.index));
    const key = `${keyBase}.${n++}`;
    if (kind === "code") out.push(<code key={key}>{m[1]}</code>);
    else if (kind === "bold") out.push(<strong key={key}>{renderInline(m[1] ?? m[2], key)}</strong>);
    else if (kind === "em") out.push(<em key={key}>{renderInline(m[1] ?? m[2], key)}</em>);
    else {
      // `[text](url)`, or `![alt](url)`: an image is a link named by its alt text (nothing is
      // loaded from elsewhere); an unsafe address leaves just the text.
      const image = m[1] === "!";
      const href = safeHref(m[3]);
      const label = image ? `🖼 ${m[2] || "image"}` : m[2];
      out.push(
        href ? (
          <a key={key} href={href} target="_blank" rel="noopener noreferrer" className={image ? "md-image" : undefined}>
            {image ? label : renderInline(label, key)}
          </a>
        ) : (
          <span key={key}>{image ? label : renderInline(label, key)}</span>
        ),
      );
    }
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

function CodeBlock({ lang, text }: { lang: string; text: string }) {
  return (
    <div className="codeblock">
      {lang && <div className="codeblock-lang">{lang}</div>}
      <pre>
        <code>{text}</code>
      </pre>
    </div>
  );
}

export const Markdown = memo(function Markdown({ text }: { text: string }) {
  const blocks = parseBlocks(text);
  return (
    <div className="md">
      {blocks.map((b, i) => {
        switch (b.type) {
          case "p":
            return <p key={i}>{renderInline(b.text, `p${i}`)}</p>;
          case "h": {
            const H = `h${Math.min(6, b.level + 2)}` as "h3";
            return <H key={i}>{renderInline(b.text, `h${i}`)}</H>;
          }
          case "code":
            return <CodeBlock key={i} lang={b.lang} text={b.text} />;
          case "list": {
            const L = b.ordered ? "ol" : "ul";
            return (
              <L key={i}>
                {b.items.map((it, j) => (
                  <li key={j}>{renderInline(it, `l${i}.${j}`)}</li>
                ))}
              </L>
            );
          }
          case "quote":
            return <blockquote key={i}>{renderInline(b.text, `q${i}`)}</blockquote>;
          case "hr":
            return <hr key={i} />;
          case "table":
            return (
              <div key={i} className="md-table">
                <table>
                  <thead>
                    <tr>
                      {b.head.map((c, j) => (
                        <th key={j} style={b.align[j] ? { textAlign: b.align[j]! } : undefined}>
                          {renderInline(c, `t${i}.h${j}`)}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {b.rows.map((r, k) => (
                      <tr key={k}>
                        {r.map((c, j) => (
                          <td key={j} style={b.align[j] ? { textAlign: b.align[j]! } : undefined}>
                            {renderInline(c, `t${i}.${k}.${j}`)}
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            );
        }
      })}
    </div>
  );
});
