import type { AgentInfo } from "../api/types";
import { agentChoices, defaultAgent, installText, loadAgents } from "./agents";
import { fakeBand } from "./fakeRpc";

const agent = (id: string, over: Partial<AgentInfo> = {}): AgentInfo => ({
  id,
  name: id.toUpperCase(),
  protocol: "acp",
  binary: id,
  args: [],
  installed: false,
  proven: false,
  configured: false,
  runnable: true,
  ...over,
});

describe("the agent picker's data", () => {
  it("lists usable agents first with their versions, then the others with how to install them", () => {
    const choices = agentChoices([
      agent("claude-code", { installed: true, version: "2.1.197 (Claude Code)" }),
      agent("aider", { installed: true, protocol: "terminal", runnable: false }),
      agent("gemini", { install: { type: "npm", package: "@google/gemini-cli" } }),
      agent("goose", { install: { type: "url", url: "https://goose.example" } }),
      agent("qwen-code", { installed: true }),
    ]);
    expect(choices.map((c) => [c.id, c.usable, c.label, c.hint])).toEqual([
      ["claude-code", true, "CLAUDE-CODE 2.1.197 (Claude Code)", undefined],
      ["qwen-code", true, "QWEN-CODE", undefined],
      ["aider", false, "AIDER", "band does not run terminal agents yet"],
      ["gemini", false, "GEMINI", "npm install -g @google/gemini-cli"],
      ["goose", false, "GOOSE", "see https://goose.example"],
    ]);
    expect(installText(undefined)).toBe("install it on the machine running band");
  });

  it("starts with Claude Code when it is usable, else the first usable agent", () => {
    expect(defaultAgent(agentChoices([agent("gemini", { installed: true }), agent("claude-code", { installed: true })]))).toBe(
      "claude-code",
    );
    expect(defaultAgent(agentChoices([agent("claude-code"), agent("gemini", { installed: true })]))).toBe("gemini");
    expect(defaultAgent([])).toBe("claude-code");
  });

  it("asks the server once per connection, and again after a failure", async () => {
    let fail = true;
    const { band, fake } = fakeBand((method) => {
      if (method !== "agents.list") return undefined;
      if (fail) throw new Error("down");
      return [agent("codex", { installed: true })];
    });
    await expect(loadAgents(band)).rejects.toThrow("down");
    fail = false;
    expect((await loadAgents(band)).map((a) => a.id)).toEqual(["codex"]);
    await loadAgents(band);
    expect(fake.methods.filter((m) => m === "agents.list")).toHaveLength(2);
    await loadAgents(band, true);
    expect(fake.methods.filter((m) => m === "agents.list")).toHaveLength(3);
  });
});
