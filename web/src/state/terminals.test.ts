import { codes, RpcError } from "../api/rpc";
import type { TerminalInfo, TerminalStreamItem } from "../api/types";
import { fakeBand } from "./fakeRpc";
import { connectTerminal, killTerminal, openTerminals, terminalExists, watchTerminal } from "./terminals";

const term = (id: number, workspaceId: number): TerminalInfo => ({
  id,
  workspaceId,
  cols: 80,
  rows: 24,
  createdAt: 1,
  offset: 0,
  status: "running",
  title: `shell ${id}`,
});

const notFound = () => new RpcError(codes.notFound, "no such terminal");
const lost = () => new RpcError(codes.connectionLost, "the connection to band-server was lost");
const settle = () => new Promise((r) => setTimeout(r, 0));

test("a workspace's terminals: as they are, or a first one (one only) with control access", async () => {
  const lists: Record<number, TerminalInfo[]> = { 1: [term(4, 1), term(5, 1)], 2: [], 3: [] };
  let next = 10;
  const { band, fake } = fakeBand(async (method, params) => {
    const ws = Number(params.workspace);
    if (method === "terminals.list") return lists[ws];
    if (method === "terminals.create") {
      await settle();
      return term(next++, ws);
    }
  });
  expect((await openTerminals(band, 1, true)).map((t) => t.id)).toEqual([4, 5]);
  // Read access: nothing is created.
  expect(await openTerminals(band, 2, false)).toEqual([]);
  expect(fake.methods).not.toContain("terminals.create");
  // The pane mounted twice at once (React's strict mode does it): one shell, not two.
  const [a, b] = await Promise.all([openTerminals(band, 3, true), openTerminals(band, 3, true)]);
  expect(a.map((t) => t.id)).toEqual([10]);
  expect(b.map((t) => t.id)).toEqual([10]);
  expect(fake.calls.filter(([m]) => m === "terminals.create")).toEqual([["terminals.create", { workspace: "3" }]]);
  // Once that one is made, a workspace found empty later gets a new one.
  expect((await openTerminals(band, 3, true)).map((t) => t.id)).toEqual([11]);
});

test("ending a terminal the server no longer has counts as ended; other failures are the caller's", async () => {
  let failure: RpcError | null = notFound();
  const { band, fake } = fakeBand(() => {
    if (failure) throw failure;
  });
  await killTerminal(band, 7);
  failure = lost();
  await expect(killTerminal(band, 7)).rejects.toThrow("lost");
  failure = null;
  await killTerminal(band, 7);
  expect(fake.calls).toEqual([
    ["terminals.kill", { terminal: 7 }],
    ["terminals.kill", { terminal: 7 }],
    ["terminals.kill", { terminal: 7 }],
  ]);
});

test("a terminal exists unless the server says it has none (unreachable: keep trying)", async () => {
  const answers = [() => term(7, 1), () => Promise.reject(notFound()), () => Promise.reject(lost())];
  const { band } = fakeBand(() => answers.shift()!());
  expect(await terminalExists(band, 7)).toBe(true);
  expect(await terminalExists(band, 7)).toBe(false);
  expect(await terminalExists(band, 7)).toBe(true);
});

test("watching follows the terminal's output from the start of its scrollback", () => {
  const { band, fake } = fakeBand();
  const got: TerminalStreamItem[] = [];
  const stop = watchTerminal(band, 7, (item) => got.push(item));
  const [sub] = fake.open("terminal");
  expect([sub.id, sub.after]).toEqual([7, 0]);
  sub.deliver({ type: "output", offset: 2, data: "$ " });
  stop();
  sub.deliver({ type: "output", offset: 4, data: "ls" });
  expect(got).toEqual([{ type: "output", offset: 2, data: "$ " }]);
});

test("a terminal's byte stream opens its own socket on this origin and gives up when the server has no such terminal", async () => {
  const sockets: FakeSocket[] = [];
  class FakeSocket {
    binaryType = "blob";
    readyState = 0;
    onopen: (() => void) | null = null;
    onclose: ((ev: { code: number; reason: string }) => void) | null = null;
    onerror: (() => void) | null = null;
    onmessage: (() => void) | null = null;
    constructor(readonly url: string) {
      sockets.push(this);
    }
    send() {}
    close() {}
  }
  vi.stubGlobal("WebSocket", FakeSocket);
  try {
    const { band, fake } = fakeBand(() => Promise.reject(notFound()));
    const states: string[] = [];
    const conn = connectTerminal(band, 7, { data: () => {}, state: (s) => states.push(s) });
    conn.connect();
    expect(sockets.map((s) => s.url)).toEqual([`ws://${location.host}/terminals/7/ws`]);
    sockets[0].onclose?.({ code: 1006, reason: "" });
    await settle();
    expect(fake.calls).toEqual([["terminals.get", { terminal: 7 }]]);
    expect(states).toEqual(["connecting", "gone"]);
  } finally {
    vi.unstubAllGlobals();
  }
});
