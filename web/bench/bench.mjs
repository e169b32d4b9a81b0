// The dashboard's benchmark (run by hand: `npm run bench` in web/, after `npm run build` and
// `cargo build -p band-server -p band-mockmodel`; see docs/BENCHMARKS.md):
//   1. initial JS + CSS of web/dist, raw and gzipped;
//   2. time to first useful paint of a workspace: navigation start to the frame in which its chat
//      shows its newest events, cold (fresh browser context) and warm (assets cached);
//   3. scrolling a chat of 10,000+ events from the newest to the oldest (loading every older page
//      on the way) and back down: frame times, long tasks, rows in the DOM.
// The chat is filled for real: band-server runs the real Claude Code CLI against the mock model,
// turn after turn (text, a batch of shell commands and file reads, a Markdown answer) sent through
// chats.send, up to BENCH_REAL_EVENTS (default 1500). One conversation cannot go much further
// here: every request carries the whole conversation, and near 2,000 events the mock model's
// work per request (and Claude Code's retries) grows until turns take seconds, then minutes. So
// the log is then repeated, with band-server stopped, until the chat holds
// BENCH_EVENTS (default 10000): real events, sequence numbers shifted, tool call and request ids
// made unique per copy (python3's sqlite3 edits band.db; see docs/BENCHMARKS.md).
//
// BENCH_RUNS (default 5) sets the number of first-paint samples.

import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startStack } from "../e2e/stack.mjs";

const web = fileURLToPath(new URL("..", import.meta.url));
const EVENTS = Number(process.env.BENCH_EVENTS || 10_000);
const REAL_EVENTS = Math.min(EVENTS, Number(process.env.BENCH_REAL_EVENTS || 1500));
const RUNS = Number(process.env.BENCH_RUNS || 5);
const log = (...a) => console.error("[bench]", ...a);

function bundle() {
  const dist = join(web, "dist");
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const files = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(js|css))"/g)].map((m) => ({ path: m[1], kind: m[2] }));
  const out = { js: { raw: 0, gzip: 0 }, css: { raw: 0, gzip: 0 }, files: files.map((f) => f.path) };
  for (const f of files) {
    const bytes = readFileSync(join(dist, f.path));
    out[f.kind].raw += bytes.length;
    out[f.kind].gzip += gzipSync(bytes, { level: 9 }).length;
  }
  out.totalGzip = out.js.gzip + out.css.gzip;
  return out;
}

const words = "band agent workspace chat event turn diff branch worktree token stream queue model mode tool".split(" ");
function text(i) {
  const w = (n) => Array.from({ length: n }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(" ");
  if (i % 7 === 0) return `Step ${i}: updated \`src/${words[i % words.length]}.rs\`.\n\n\`\`\`rust\nfn step_${i}() -> u32 {\n    ${i}\n}\n\`\`\``;
  if (i % 5 === 0) return `**Turn ${i}.** ${w(12)}.\n\n- ${w(4)}\n- ${w(5)}\n- ${w(3)}`;
  return `Turn ${i}: ${w(8 + (i % 20))}.`;
}

/**
 * The model's responses, in order. Per prompt: a sentence and a batch of tool calls (shell
 * commands and file reads, allowed by the chat's mode), then a Markdown answer. Many events per
 * turn keep the conversation short: Claude Code slows down as a conversation grows to hundreds
 * of turns, which would measure the agent, not the dashboard.
 */
function scenario(prompts, repo) {
  const turns = [];
  for (let i = 0; i < prompts; i++) {
    const calls = Array.from({ length: 12 }, (_, k) =>
      k % 2 === 0
        ? { name: "Bash", input: { command: `echo step ${i}.${k}`, description: `step ${i}.${k}` } }
        : { name: "Read", input: { file_path: join(repo, "README.md") } },
    );
    turns.push({ text: `Looking at step ${i}.`, tool_calls: calls });
    turns.push({ text: text(i) });
  }
  return turns;
}

async function fill(stack) {
  await stack.call("projects.add", { path: stack.repo });
  const ws = await stack.call("workspaces.create", { project: "app", branch: "bench" });
  const chat = await stack.call("chats.create", { workspace: String(ws.id), mode: "allow-all" });
  const started = Date.now();
  let sent = 0;
  for (;;) {
    const info = await stack.call("chats.get", { chat: chat.id });
    const queue = await stack.call("chats.queue", { chat: chat.id });
    if (info.lastSeq >= REAL_EVENTS && queue.length === 0 && info.status !== "working") break;
    if (info.status === "failed") throw new Error(`the chat failed after ${info.lastSeq} events`);
    if (queue.length < 5 && info.lastSeq < REAL_EVENTS) {
      for (let k = 0; k < 10; k++) await stack.call("chats.send", { chat: chat.id, message: `Prompt ${sent++}` });
      log(`${info.lastSeq} events so far (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const real = (await stack.call("chats.get", { chat: chat.id })).lastSeq;
  log(`chat ${chat.id} holds ${real} real events (${sent} prompts, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  if (real < EVENTS) await stack.restart(() => replicate(join(stack.home, "band.db"), chat.id, EVENTS));
  const info = await stack.call("chats.get", { chat: chat.id });
  log(`chat ${chat.id} holds ${info.lastSeq} events`);
  return { workspace: ws.id, chat: chat.id, events: info.lastSeq, realEvents: real, prompts: sent, fillSeconds: (Date.now() - started) / 1000 };
}

/** Repeats a chat's log (and its turns) until it holds `target` events; band-server is stopped. */
function replicate(db, chat, target) {
  const script = `
import re, sqlite3, sys
db, chat, target = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(db)
rows = c.execute("SELECT seq, at, kind, payload FROM events WHERE chat_id=? ORDER BY seq", (chat,)).fetchall()
turns = c.execute("SELECT started_seq, ended_seq, prompt, stop_reason, error, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, started_at, ended_at, duration_ms FROM turns WHERE chat_id=? ORDER BY id", (chat,)).fetchall()
n = len(rows)
ids = re.compile(r'("(?:tool_call_id|toolCallId|request_id|requestId|id)"\\s*:\\s*")')
copy = 1
while n * copy < target:
    off = n * copy
    c.executemany("INSERT INTO events (chat_id, seq, at, kind, payload) VALUES (?,?,?,?,?)",
        [(chat, s + off, at, k, ids.sub(lambda m: m.group(1) + "c%d-" % copy, p)) for (s, at, k, p) in rows])
    c.executemany("INSERT INTO turns (chat_id, started_seq, ended_seq, prompt, stop_reason, error, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, started_at, ended_at, duration_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [(chat, t[0] + off, None if t[1] is None else t[1] + off) + tuple(t[2:]) for t in turns])
    copy += 1
c.execute("UPDATE chats SET last_seq=(SELECT MAX(seq) FROM events WHERE chat_id=?) WHERE id=?", (chat, chat))
c.commit()
print(n * copy)
`;
  const out = execFileSync("python3", ["-c", script, db, String(chat), String(target)], { encoding: "utf8" });
  log(`replicated the log to ${out.trim()} events`);
}

/** Installed before the page's own scripts: the frame in which the chat first shows rows. */
const PAINT_PROBE = () => {
  window.__bench = {};
  const seen = () => {
    if (window.__bench.rows === undefined && document.querySelector('[data-testid="chat"] .vlist-row')) {
      window.__bench.rows = -1;
      requestAnimationFrame(() => (window.__bench.rows = performance.now()));
    }
  };
  new MutationObserver(seen).observe(document, { subtree: true, childList: true });
};

async function firstPaint(browser, stack, target) {
  const path = `/w/${target.workspace}?chat=${target.chat}`;
  const cold = [];
  const warm = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(PAINT_PROBE);
    const page = await context.newPage();
    // Cold: the sign-in link for this very page (303 to it without the token), nothing cached.
    await page.goto(`${stack.url}${path}&token=${stack.token}`);
    await page.waitForFunction(() => window.__bench.rows > 0, null, { timeout: 30_000 });
    cold.push(await page.evaluate(() => window.__bench.rows));
    // Warm: the same page again, assets from the cache.
    await page.goto(`${stack.url}${path}`);
    await page.waitForFunction(() => window.__bench.rows > 0, null, { timeout: 30_000 });
    warm.push(await page.evaluate(() => window.__bench.rows));
    await context.close();
  }
  return { cold, warm };
}

/** In the page: scroll the chat to its first event (loading older pages) and back to the end. */
async function scrollThrough(page) {
  return page.evaluate(async () => {
    const el = document.querySelector('[data-testid="chat"] .vlist');
    const frames = [];
    const longTasks = [];
    let maxRows = 0;
    const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration)));
    try {
      observer.observe({ type: "longtask" });
    } catch {
      // Not supported: frame times still tell.
    }
    let last = performance.now();
    let running = true;
    const tick = (t) => {
      frames.push(t - last);
      last = t;
      maxRows = Math.max(maxRows, document.querySelectorAll('[data-testid="chat"] .vlist-row').length);
      if (running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    const frame = () => new Promise((r) => requestAnimationFrame(r));
    const STEP = 300;
    const started = performance.now();
    const atStart = () => el.scrollTop <= 0 && (el.textContent || "").includes("Start of the chat");
    let guard = 0;
    while (!atStart() && guard++ < 200_000) {
      el.scrollTop = Math.max(0, el.scrollTop - STEP);
      await frame();
    }
    const up = performance.now() - started;
    const downStarted = performance.now();
    while (el.scrollTop + el.clientHeight < el.scrollHeight - 2 && guard++ < 400_000) {
      el.scrollTop += STEP;
      await frame();
    }
    const down = performance.now() - downStarted;
    running = false;
    observer.disconnect();
    frames.shift();
    return { frames, longTasks, maxRows, upMs: up, downMs: down };
  });
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, median: q(0.5), p95: q(0.95), p99: q(0.99), max: s[s.length - 1] };
}

const r = (x) => Math.round(x * 10) / 10;

const size = bundle();
log(`bundle: ${size.js.gzip} B JS + ${size.css.gzip} B CSS gzipped`);
const prompts = Math.ceil(EVENTS / 40) + 50;
// The chat is long on purpose: Claude Code must not compact (summarise) it midway.
const stack = await startStack({
  name: "band-bench",
  scenario: (worktrees) => scenario(prompts, join(worktrees, "app", "bench")),
  agentEnv: { DISABLE_AUTO_COMPACT: "1", DISABLE_COMPACT: "1", CLAUDE_CODE_MAX_CONTEXT_TOKENS: "2000000" },
});
const browser = await launchChromium();
try {
  const target = await fill(stack);
  const paint = await firstPaint(browser, stack, target);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${stack.url}/w/${target.workspace}?chat=${target.chat}&token=${stack.token}`);
  await page.locator('[data-testid="chat"] .vlist-row').first().waitFor();
  await page.waitForTimeout(500);
  const scroll = await scrollThrough(page);
  const frames = stats(scroll.frames);
  const result = {
    date: new Date().toISOString(),
    chromium: browser.version(),
    bundle: size,
    chat: target,
    firstUsefulPaintMs: { cold: stats(paint.cold), warm: stats(paint.warm) },
    scroll: {
      upMs: r(scroll.upMs),
      downMs: r(scroll.downMs),
      frames: { ...frames, over50ms: scroll.frames.filter((f) => f > 50).length },
      longTasks: { count: scroll.longTasks.length, max: scroll.longTasks.length ? Math.max(...scroll.longTasks) : 0 },
      maxRowsInDom: scroll.maxRows,
    },
  };
  mkdirSync(join(web, "bench/results"), { recursive: true });
  const file = join(web, "bench/results", `${result.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2));
  console.log(
    [
      `| figure | value | aim |`,
      `|---|---|---|`,
      `| initial JS + CSS, gzipped (raw) | ${(size.totalGzip / 1024).toFixed(1)} KiB (${((size.js.raw + size.css.raw) / 1024).toFixed(0)} KiB) | < 100 KiB |`,
      `| first useful paint of a workspace, cold (median / max of ${RUNS}) | ${r(result.firstUsefulPaintMs.cold.median)} / ${r(result.firstUsefulPaintMs.cold.max)} ms | < 500 ms |`,
      `| first useful paint, warm (median / max) | ${r(result.firstUsefulPaintMs.warm.median)} / ${r(result.firstUsefulPaintMs.warm.max)} ms | < 1 s |`,
      `| scroll a chat of ${target.events} events to its start and back: frames (median / p99 / max) | ${r(frames.median)} / ${r(frames.p99)} / ${r(frames.max)} ms | max < 50 ms |`,
      `| frames over 50 ms; long tasks (count, longest) | ${result.scroll.frames.over50ms}; ${result.scroll.longTasks.count}, ${r(result.scroll.longTasks.max)} ms | 0 |`,
      `| rows in the DOM at most; time up / down | ${scroll.maxRows}; ${(scroll.upMs / 1000).toFixed(1)} s / ${(scroll.downMs / 1000).toFixed(1)} s | — |`,
    ].join("\n"),
  );
  log(`wrote ${file}`);
  await context.close();
} finally {
  await browser.close();
  await stack.stop();
}
