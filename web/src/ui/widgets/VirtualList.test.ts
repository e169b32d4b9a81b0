import { anchorTop } from "./VirtualList";

const seq = (k: string) => Number(k.slice(1));
function layout(rows: [string, number][]) {
  const keys = rows.map(([k]) => k);
  const offsets = [40];
  for (const [, h] of rows) offsets.push(offsets[offsets.length - 1] + h);
  const heights = new Map(rows);
  return { keys, offsets, heightOf: (k: string) => heights.get(k) ?? 64, index: new Map(keys.map((k, i) => [k, i])) };
}

test("the anchor row keeps its place when rows are added above it", () => {
  const l = layout([["e1", 100], ["e5", 50], ["e9", 80]]);
  expect(anchorTop({ key: "e5", delta: 10 }, l.keys, l.offsets, l.heightOf, l.index, seq)).toBe(40 + 100 + 10);
});

test("a row merged into the one before it (an older page joined a split message) keeps the reading position", () => {
  // Before: e7 (the second half of a message) was 60 px tall, read 20 px into it.
  // After: the older page brought the first half; the message is one row e3, 200 px tall.
  const l = layout([["e1", 100], ["e3", 200], ["e9", 80]]);
  const heightOf = (k: string) => (k === "e7" ? 60 : l.heightOf(k));
  const top = anchorTop({ key: "e7", delta: 20 }, l.keys, l.offsets, heightOf, l.index, seq);
  // The merged row starts at 140; the old half sits at its end (200 - 60 = 140 below its top).
  expect(top).toBe(140 + 140 + 20);
  // Without an order there is nothing to go by: the position is left as it is.
  expect(anchorTop({ key: "e7", delta: 20 }, l.keys, l.offsets, heightOf, l.index)).toBeUndefined();
  // An anchor before every row (it was removed): left as it is.
  expect(anchorTop({ key: "e0", delta: 0 }, l.keys, l.offsets, heightOf, l.index, seq)).toBeUndefined();
});
