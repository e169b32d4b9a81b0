// The dashboard's first download (the JS and CSS web/dist/index.html loads, gzipped at level 9,
// as bench/bench.mjs measures it) stays under 100 KiB: what loads on demand (Files, Terminal,
// the Settings page and the overview's extras) is not in it. Run after `vite build`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const BUDGET = 100 * 1024;

test("the first download stays under 100 KiB gzipped", () => {
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
  assert.ok(files.some((f) => f.endsWith(".js")), "index.html loads the app");
  const sizes = files.map((f) => [f, gzipSync(readFileSync(join(dist, f)), { level: 9 }).length]);
  const total = sizes.reduce((n, [, s]) => n + s, 0);
  assert.ok(total < BUDGET, `the first download is ${(total / 1024).toFixed(1)} KiB gzipped: ${JSON.stringify(sizes)}`);
});
