import { codes, RpcError } from "../api/rpc";
import { errorText, isNotFound, isRefused } from "./errors";

test("a failed call is shown by its message and told apart by its code", () => {
  const refused = new RpcError(codes.refused, "the branch has unmerged commits");
  const missing = new RpcError(codes.notFound, "no terminal 3");
  expect(errorText(refused)).toBe("the branch has unmerged commits");
  expect(errorText(new Error("offline"))).toBe("offline");
  expect(errorText("odd")).toBe("odd");
  expect([isRefused(refused), isRefused(missing), isRefused(new Error("x"))]).toEqual([true, false, false]);
  expect([isNotFound(missing), isNotFound(refused), isNotFound(undefined)]).toEqual([true, false, false]);
});

test("band's errors are shown by their facts, with the fix in the dashboard's words", () => {
  const dirty = new RpcError(codes.refused, "workspace 'app/x' has 1 uncommitted change(s) (a.txt); commit them, or call again with force: true to discard them", {
    kind: "refused",
    what: "workspace 'app/x' has 1 uncommitted change(s) (a.txt)",
    fix: { type: "commit_or_force" },
  });
  expect(errorText(dirty)).toBe("workspace 'app/x' has 1 uncommitted change(s) (a.txt); commit them, or press Remove anyway to discard them");
  const busy = new RpcError(codes.refused, "x", { kind: "refused", what: "chat 4 is working in this workspace", fix: { type: "stop_chat", chat: 4 } });
  expect(errorText(busy)).toBe("chat 4 is working in this workspace; stop chat 4 first (its Stop button)");
  const plain = new RpcError(codes.notFound, "no terminal 3; see terminals.list", { kind: "not_found", what: "no terminal 3" });
  expect(errorText(plain)).toBe("no terminal 3");
  // Never the CLI's flags or the API's params.
  for (const e of [dirty, busy]) expect(errorText(e)).not.toMatch(/--|force: true|`band /);
});

test("a missing agent says how to install it", () => {
  const missing = new RpcError(codes.refused, "x", {
    kind: "refused",
    what: "the gemini agent's binary 'gemini' was not found on band-server's machine",
    fix: { type: "install_agent", agent: "gemini", install: { type: "npm", package: "@google/gemini-cli" } },
  });
  expect(errorText(missing)).toBe(
    "the gemini agent's binary 'gemini' was not found on band-server's machine; install it on the machine running band (npm install -g @google/gemini-cli), or set agents.gemini.binary in band's settings.json",
  );
  const unknown = new RpcError(codes.notFound, "x", { kind: "not_found", what: "no agent 'nope'", fix: { type: "see_list", of: "agents" } });
  expect(errorText(unknown)).toBe("no agent 'nope'; check the agents list");
});
