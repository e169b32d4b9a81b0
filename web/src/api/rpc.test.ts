import type { EventInfo } from "./types";
import { codes, Rpc, RpcError, type SocketLike } from "./rpc";

/** A WebSocket the test plays the server of. */
class FakeSocket implements SocketLike {
  readyState = 0;
  sent: { id?: number; method?: string; params?: unknown }[] = [];
  onopen: SocketLike["onopen"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;
  onmessage: SocketLike["onmessage"] = null;
  send(data: string) {
    if (this.readyState !== 1) throw new Error("not open");
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.drop();
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }
  drop() {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({} as CloseEvent);
  }
  reply(id: number | undefined, result: unknown) {
    this.onmessage?.({ data: JSON.stringify({ jsonrpc: "2.0", id, result }) } as MessageEvent);
  }
  fail(id: number | undefined, code: number, message: string) {
    this.onmessage?.({ data: JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } }) } as MessageEvent);
  }
  notify(method: string, subscription: string, result: unknown) {
    this.onmessage?.({ data: JSON.stringify({ jsonrpc: "2.0", method, params: { subscription, result } }) } as MessageEvent);
  }
  last(method: string) {
    return [...this.sent].reverse().find((m) => m.method === method)!;
  }
}

const event = (seq: number): EventInfo => ({ chatId: 7, seq, at: seq, type: "agent_message_chunk", text: `${seq} ` });

function setup(opts: { signedIn?: () => Promise<boolean> } = {}) {
  const sockets: FakeSocket[] = [];
  const rpc = new Rpc({
    socket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    random: () => 1,
    backoff: { base: 250, max: 4000 },
    signedIn: opts.signedIn,
  });
  const states: string[] = [];
  rpc.onState((s) => states.push(s.kind));
  return { rpc, sockets, states, current: () => sockets[sockets.length - 1] };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

test("calls made before the socket opens are sent when it does, and answered by id", async () => {
  const { rpc, current } = setup();
  const projects = rpc.call("projects.list", {});
  const missing = rpc.call("chats.get", { chat: 99 });
  rpc.start();
  current().open();
  const [a, b] = current().sent;
  expect([a.method, b.method]).toEqual(["projects.list", "chats.get"]);
  current().fail(b.id, codes.notFound, "no chat 99");
  current().reply(a.id, [{ id: 1, name: "app" }]);
  await expect(projects).resolves.toEqual([{ id: 1, name: "app" }]);
  await expect(missing).rejects.toEqual(new RpcError(codes.notFound, "no chat 99"));
});

test("a chat subscription delivers each event once, in order, across reconnects", async () => {
  const { rpc, current, sockets, states } = setup();
  const got: number[] = [];
  rpc.subscribeChat(7, 5, (e) => got.push(e.seq));
  rpc.start();
  current().open();
  const sub = current().last("chats.subscribe");
  expect(sub.params).toEqual({ chat: 7, after: 5 });
  current().reply(sub.id, "s1");
  for (const seq of [6, 7, 7, 8]) current().notify("chats.event", "s1", event(seq));
  expect(got).toEqual([6, 7, 8]);

  // The connection drops: a call in flight fails (it may have run), and the socket comes back.
  const inFlight = rpc.call("chats.send", { chat: 7, message: "hi" });
  current().drop();
  await expect(inFlight).rejects.toMatchObject({ code: codes.connectionLost });
  expect(states.at(-1)).toBe("waiting");
  vi.advanceTimersByTime(250);
  expect(sockets).toHaveLength(2);
  current().open();
  // Resubscribed after the last event delivered; a replay overlapping it is not delivered twice.
  const again = current().last("chats.subscribe");
  expect(again.params).toEqual({ chat: 7, after: 8 });
  current().reply(again.id, "s2");
  // Notifications for the old subscription id are not this one's any more.
  current().notify("chats.event", "s1", event(100));
  for (const seq of [8, 9, 10]) current().notify("chats.event", "s2", event(seq));
  expect(got).toEqual([6, 7, 8, 9, 10]);
  expect(states.at(-1)).toBe("open");
});

test("a terminal subscription resumes after the last byte offset delivered, each byte once", () => {
  const { rpc, current } = setup();
  const got: string[] = [];
  rpc.subscribeTerminal(3, 0, (item) => got.push(item.type === "output" ? item.data : "exit"));
  rpc.start();
  current().open();
  const sub = current().last("terminals.subscribe");
  expect(sub.params).toEqual({ terminal: 3, after: 0 });
  current().reply(sub.id, "t1");
  current().notify("terminals.data", "t1", { type: "output", data: "$ ls\r\n", start: 0, offset: 6 });
  current().drop();
  vi.advanceTimersByTime(250);
  current().open();
  const again = current().last("terminals.subscribe");
  expect(again.params).toEqual({ terminal: 3, after: 6 });
  current().reply(again.id, "t2");
  // A replay of what it has is not delivered twice; what follows is; then the shell's exit.
  current().notify("terminals.data", "t2", { type: "output", data: "$ ls\r\n", start: 0, offset: 6 });
  current().notify("terminals.data", "t2", { type: "output", data: "a.txt\r\n", start: 6, offset: 13 });
  current().notify("terminals.data", "t2", { type: "exit", terminal: { id: 3, status: "exited", exitCode: 0 } });
  expect(got).toEqual(["$ ls\r\n", "a.txt\r\n", "exit"]);
});

test("reconnection backs off exponentially up to a ceiling, and starts over once open", () => {
  const { rpc, current, sockets } = setup();
  rpc.start();
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    const before = sockets.length;
    const started = Date.now();
    current().drop();
    while (sockets.length === before) vi.advanceTimersByTime(10);
    delays.push(Date.now() - started);
  }
  expect(delays).toEqual([250, 500, 1000, 2000, 4000, 4000]);
  current().open();
  current().drop();
  const before = sockets.length;
  vi.advanceTimersByTime(250);
  expect(sockets.length).toBe(before + 1);
});

test("after failed attempts it asks whether the session is still good, and says when it is not", async () => {
  let asked = 0;
  const { rpc, current, states } = setup({
    signedIn: async () => {
      asked++;
      return false;
    },
  });
  rpc.start();
  for (let i = 0; i < 3; i++) {
    current().drop();
    await vi.advanceTimersByTimeAsync(5000);
  }
  expect(asked).toBe(1);
  expect(states).toContain("signed-out");
});

test("signed out (a revoked device), it stops knocking until someone asks it to try again", async () => {
  let asked = 0;
  const { rpc, current, states, sockets } = setup({
    signedIn: async () => {
      asked++;
      return false;
    },
  });
  rpc.start();
  for (let i = 0; i < 3; i++) {
    current().drop();
    await vi.advanceTimersByTimeAsync(5000);
  }
  expect(states[states.length - 1]).toBe("signed-out");
  const tried = sockets.length;
  // An hour later: no socket opened, no check made.
  await vi.advanceTimersByTimeAsync(3_600_000);
  expect([sockets.length, asked]).toEqual([tried, 1]);
  // Someone clicks the badge (or pairs again and comes back): one more try.
  rpc.nudge();
  expect(sockets.length).toBe(tried + 1);
});

test("unsubscribing tells the server and stops delivery; workspace subscriptions ask for a reload after a reconnect", () => {
  const { rpc, current } = setup();
  const got: number[] = [];
  const reloads: number[] = [];
  const stop = rpc.subscribeChat(7, 0, (e) => got.push(e.seq));
  rpc.subscribeWorkspaces(() => {}, () => reloads.push(1));
  rpc.start();
  current().open();
  current().reply(current().last("chats.subscribe").id, 11);
  current().reply(current().last("workspaces.subscribe").id, 12);
  expect(reloads).toEqual([]);
  stop();
  expect(current().last("chats.unsubscribe").params).toEqual([11]);
  current().notify("chats.event", "11", event(1));
  expect(got).toEqual([]);

  current().drop();
  vi.advanceTimersByTime(250);
  current().open();
  expect(current().sent.filter((m) => m.method === "chats.subscribe")).toHaveLength(0);
  current().reply(current().last("workspaces.subscribe").id, 13);
  expect(reloads).toEqual([1]);
});

test("the socket goes to this page's own origin, never to an address from the URL", async () => {
  const { ownSocketUrl } = await import("./rpc");
  const loc = { protocol: "https:", host: "band.example:8443", search: "?server=wss://evil.example", hash: "#wss://evil" };
  expect(ownSocketUrl(loc as Location)).toBe("wss://band.example:8443/rpc");
  expect(ownSocketUrl({ protocol: "http:", host: "127.0.0.1:3456" } as Location)).toBe("ws://127.0.0.1:3456/rpc");
});
