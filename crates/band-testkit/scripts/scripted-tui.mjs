#!/usr/bin/env node
// A small scripted TUI for band's terminal-agent tests and benchmarks: an interactive "agent"
// with no hooks, whose state shows only on its screen. Its bottom line is a status line it
// redraws in place (as real TUIs do); output goes above it.
//
//   status line     "ready> <what is typed>"   idle (typed keys are echoed here at once)
//                   "[working] esc to stop"     working
//                   "Allow writing F? [y/n]"    waiting for an answer (y or n)
//
//   message "write F"   works 300 ms, asks "Allow writing F? [y/n]"; y writes F (text "hi")
//                       in the current directory and says "wrote F"; n says "skipped F"
//   message "slow"      works until Esc ("interrupted") or 30 s
//   anything else       works 300 ms, then "echo: <line>" for each line of it (a bracketed
//                       paste is one message of several lines)
//
// Screen patterns for it: working "[working]", waiting "Allow writing", idle "ready>".
import { writeFileSync } from "node:fs";

const out = (s) => process.stdout.write(s);
let state = "idle";
let typed = "";
let pasting = false;
let pasted = "";
let pendingFile = null;
let timer = null;

function status() {
  if (state === "idle") return `ready> ${typed}`;
  if (state === "working") return "[working] esc to stop";
  return `Allow writing ${pendingFile}? [y/n]`;
}
function redraw() {
  out(`\r\x1b[2K${status()}`);
}
function say(line) {
  out(`\r\x1b[2K${line}\r\n`);
  redraw();
}
function idle() {
  state = "idle";
  typed = "";
  redraw();
}
function submit(text) {
  say(`> ${text.split("\n")[0]}`);
  state = "working";
  redraw();
  const m = /^write (\S+)$/.exec(text.trim());
  if (m) {
    timer = setTimeout(() => {
      pendingFile = m[1];
      state = "waiting";
      redraw();
    }, 300);
  } else if (text.trim() === "slow") {
    timer = setTimeout(() => {
      say("slow work done");
      idle();
    }, 30000);
  } else {
    timer = setTimeout(() => {
      const lines = text.split("\n");
      for (const l of lines) say(`echo: ${l}`);
      if (lines.length > 1) say(`(${lines.length} lines)`);
      idle();
    }, 300);
  }
}

out("Scripted TUI 1.0 (band test kit)\r\n\r\n");
redraw();
if (process.stdin.isTTY) process.stdin.setRawMode(true);
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  let s = chunk;
  while (s.length > 0) {
    if (pasting) {
      const end = s.indexOf("\x1b[201~");
      if (end < 0) {
        pasted += s;
        return;
      }
      pasted += s.slice(0, end);
      s = s.slice(end + 6);
      pasting = false;
      typed += pasted.replace(/\r\n?/g, "\n");
      pasted = "";
      continue;
    }
    if (s.startsWith("\x1b[200~")) {
      pasting = true;
      s = s.slice(6);
      continue;
    }
    const c = s[0];
    s = s.slice(1);
    if (c === "\x03") process.exit(130);
    if (c === "\x1b") {
      if (state !== "idle") {
        clearTimeout(timer);
        say("interrupted");
        idle();
      }
      continue;
    }
    if (state === "waiting") {
      if (c === "y" || c === "n") {
        const f = pendingFile;
        if (c === "y") {
          writeFileSync(f, "hi\n");
          say(`wrote ${f}`);
        } else {
          say(`skipped ${f}`);
        }
        pendingFile = null;
        idle();
      }
      continue;
    }
    if (state !== "idle") continue;
    if (c === "\r" || c === "\n") {
      const text = typed;
      typed = "";
      if (text.trim() !== "") submit(text);
      else redraw();
    } else if (c === "\x7f") {
      typed = typed.slice(0, -1);
      redraw();
    } else {
      typed += c;
      // Echo at once: one keystroke, one write.
      out(c);
    }
  }
});
process.stdin.on("end", () => process.exit(0));
