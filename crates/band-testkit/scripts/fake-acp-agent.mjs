#!/usr/bin/env node
// A fake ACP agent for band's tests and benchmarks: JSON-RPC 2.0 over stdio, one object per line,
// as Gemini CLI, OpenCode and Qwen Code speak it, with no model behind it. What it does is chosen
// by FAKE_ACP (its misbehaviours) and by each prompt's text (its turns):
//
//   FAKE_ACP=exit       exits at once with status 3, saying so on stderr
//   FAKE_ACP=garbage    prints lines that are not JSON and never answers
//   FAKE_ACP=silent     reads its input and never answers
//   FAKE_ACP=no-load    says loadSession but refuses session/load (as Gemini CLI does in the
//                       minute a session was made)
//
//   prompt "stream N [MS]"  N agent_message_chunk updates (MS milliseconds apart, default 0),
//                       each carrying the wall-clock time it was written (`t=<unix
//                       microseconds> `), then end_turn
//   prompt "ask"        a tool_call, then a permission request (options allow_once "yes",
//                       reject_once "no"); the turn says which option came back
//   prompt "ask-no-reject"  the same with only an allow option
//   prompt "requests"   asks band fs/write_text_file, terminal/create and craft/drainMidTurnQueue,
//                       and says the error code of each answer
//   prompt "hang"       never ends the turn until session/cancel (then stopReason cancelled)
//   prompt "cost"       a usage_update whose cost (the session's so far) grows by $0.25
//   anything else       "echo: <text>"
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";

const mode = process.env.FAKE_ACP ?? "";
if (mode === "exit") {
  process.stderr.write("fake-acp-agent: exiting at once as asked\n");
  process.exit(3);
}
if (mode === "garbage") {
  process.stdout.write("Welcome to FakeAgent 1.0!\n*** not json ***\n");
}

const out = (o) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...o }) + "\n");
const update = (sessionId, u) => out({ method: "session/update", params: { sessionId, update: u } });
const text = (sessionId, t) => update(sessionId, { sessionUpdate: "agent_message_chunk", content: { type: "text", text: t } });
const now = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

let nextId = 1000;
const waiting = new Map(); // our request id -> resolve
const ask = (method, params) =>
  new Promise((resolve) => {
    const id = nextId++;
    waiting.set(id, resolve);
    out({ id, method, params });
  });
let cancel = null;
let spent = 0;

async function prompt(id, sessionId, words) {
  const [what, arg] = words.split(/\s+/);
  if (what === "stream") {
    const gap = Number(words.split(/\s+/)[2] ?? 0);
    for (let i = 0; i < Number(arg); i++) {
      if (gap) await new Promise((r) => setTimeout(r, gap));
      text(sessionId, `t=${now()} `);
    }
  } else if (what === "ask" || what === "ask-no-reject") {
    const toolCall = { toolCallId: "call-1", title: "touch x", kind: "edit", status: "pending", rawInput: { path: "x" } };
    update(sessionId, { sessionUpdate: "tool_call", ...toolCall });
    const options = [{ optionId: "yes", name: "Allow", kind: "allow_once" }];
    if (what === "ask") options.push({ optionId: "no", name: "Reject", kind: "reject_once" });
    const answer = await ask("session/request_permission", { sessionId, toolCall, options });
    const outcome = answer.result?.outcome;
    const chose = outcome?.outcome === "selected" ? outcome.optionId : outcome?.outcome;
    update(sessionId, { sessionUpdate: "tool_call_update", toolCallId: "call-1", status: chose === "yes" ? "completed" : "failed" });
    text(sessionId, `chose ${chose}`);
  } else if (what === "requests") {
    const codes = [];
    for (const method of ["fs/write_text_file", "terminal/create", "craft/drainMidTurnQueue"]) {
      const answer = await ask(method, { sessionId, path: "/tmp/x", content: "x" });
      codes.push(`${method}=${answer.error?.code}`);
    }
    text(sessionId, codes.join(" "));
  } else if (what === "cost") {
    spent += 0.25;
    update(sessionId, { sessionUpdate: "usage_update", used: 1000, size: 200000, cost: { amount: spent, currency: "USD" } });
    text(sessionId, "spent");
  } else if (what === "hang") {
    await new Promise((resolve) => (cancel = resolve));
    out({ id, result: { stopReason: "cancelled" } });
    return;
  } else {
    text(sessionId, `echo: ${words}`);
  }
  out({ id, result: { stopReason: "end_turn", usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 } } });
}

createInterface({ input: process.stdin }).on("line", (line) => {
  if (mode === "silent" || mode === "garbage") return;
  const msg = JSON.parse(line);
  if (msg.id !== undefined && msg.method === undefined) {
    waiting.get(msg.id)?.(msg);
    waiting.delete(msg.id);
    return;
  }
  const { id, method, params } = msg;
  switch (method) {
    case "initialize":
      return out({ id, result: { protocolVersion: 1, agentCapabilities: { loadSession: true }, agentInfo: { name: "fake", version: "1.0.0" } } });
    case "session/new":
      return out({
        id,
        result: {
          sessionId: "fake-session",
          modes: { currentModeId: "default", availableModes: [{ id: "default", name: "Default" }, { id: "yolo", name: "YOLO" }] },
          models: { currentModelId: "fake-model", availableModels: [{ modelId: "fake-model", name: "Fake Model" }] },
        },
      });
    case "session/load":
      if (mode === "no-load") return out({ id, error: { code: -32603, message: "Internal error", data: { details: "session not found" } } });
      text(params.sessionId, "replayed answer");
      return out({ id, result: {} });
    case "session/prompt":
      return void prompt(id, params.sessionId, params.prompt.map((p) => p.text).join(" "));
    case "session/cancel":
      for (const [, resolve] of waiting) resolve({ result: { outcome: { outcome: "cancelled" } } });
      cancel?.();
      return;
    default:
      if (id !== undefined) out({ id, error: { code: -32601, message: `no ${method}` } });
  }
});
