// Source text to highlighted lines: Prism's token tree flattened into runs of text with their
// token classes, then cut at newlines (a token may span lines: a block comment, a string), so
// that each line renders on its own with its number. Plain data, rendered as React text.

import { grammarOf, Prism } from "./languages";

export interface Run {
  text: string;
  /** Token types and aliases, e.g. ["keyword"] or ["string", "template-string"]; empty: plain. */
  kinds: string[];
}

export type Line = Run[];

/** Past this size the file is shown plain: tokenizing it would freeze the page. */
export const HIGHLIGHT_LIMIT = 512 * 1024;

function flatten(stream: Prism.TokenStream, kinds: string[], out: Run[]): void {
  if (typeof stream === "string") {
    if (stream) out.push({ text: stream, kinds });
    return;
  }
  if (Array.isArray(stream)) {
    for (const s of stream) flatten(s, kinds, out);
    return;
  }
  const alias = stream.alias ? (Array.isArray(stream.alias) ? stream.alias : [stream.alias]) : [];
  flatten(stream.content, [...kinds, stream.type, ...alias], out);
}

export function toLines(runs: Run[]): Line[] {
  const lines: Line[] = [[]];
  for (const run of runs) {
    const parts = run.text.split("\n");
    parts.forEach((part, i) => {
      if (i > 0) lines.push([]);
      if (part) lines[lines.length - 1].push({ text: part, kinds: run.kinds });
    });
  }
  // A final newline ends the last line; it does not start another.
  if (lines.length > 1 && lines[lines.length - 1].length === 0) lines.pop();
  return lines;
}

/** `text` as lines of runs, highlighted when its language is known and it is not too big. */
export function highlight(text: string, language: string | null | undefined): Line[] {
  const grammar = text.length <= HIGHLIGHT_LIMIT ? grammarOf(language) : undefined;
  const runs: Run[] = [];
  if (grammar) flatten(Prism.tokenize(text, grammar), [], runs);
  else runs.push({ text, kinds: [] });
  return toLines(runs);
}
