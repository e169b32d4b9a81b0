import { frames, TerminalConnection, terminalSocketUrl, type TerminalSocketLike, type TerminalState } from "./terminal";

class FakeSocket implements TerminalSocketLike {
  binaryType: BinaryType = "blob";
  readyState = 0;
  sent: (string | Uint8Array)[] = [];
  closed: [number?, string?] | null = null;
  onopen: ((ev: Event) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string | ArrayBufferLike | ArrayBufferView) {
    this.sent.push(typeof data === "string" ? data : new Uint8Array(data as ArrayBuffer));
  }
  close(code?: number, reason?: string) {
    this.closed = [code, reason];
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }
  text(v: unknown) {
    this.onmessage?.({ data: JSON.stringify(v) } as MessageEvent);
  }
  bytes(s: string) {
    this.onmessage?.({ data: new TextEncoder().encode(s).buffer } as MessageEvent);
  }
  drop(code = 1006, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason } as CloseEvent);
  }
}

function setup(exists: () => Promise<boolean> = async () => true) {
  const sockets: FakeSocket[] = [];
  const timers: (() => void)[] = [];
  const delays: number[] = [];
  const states: TerminalState[] = [];
  let screen = "";
  const exits: [number | null, number | null][] = [];
  const conn = new TerminalConnection(
    {
      url: (after) => terminalSocketUrl(7, after, { protocol: "http:", host: "localhost:3456" }),
      socket: (url) => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
      exists,
      setTimeout: (fn, ms) => {
        timers.push(fn);
        delays.push(ms);
        return timers.length;
      },
      clearTimeout: () => {},
      backoff: { base: 100, max: 400 },
    },
    {
      data: (b) => (screen += new TextDecoder().decode(b)),
      state: (s) => states.push(s),
      exit: (code, signal) => exits.push([code, signal]),
    },
  );
  return { conn, sockets, timers, delays, states, exits, screen: () => screen };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

test("every byte once across reconnections: it resumes after the last offset it counted", async () => {
  const t = setup();
  t.conn.resize(100, 30);
  t.conn.connect();
  expect(t.sockets[0].url).toBe("ws://localhost:3456/terminals/7/ws");
  t.sockets[0].open();
  // The size set before the socket opened is sent once it is.
  expect(t.sockets[0].sent).toEqual([JSON.stringify({ resize: [100, 30] })]);
  t.sockets[0].text({ type: "ready", terminal: {} });
  t.sockets[0].text({ type: "offset", offset: 1000 });
  t.sockets[0].bytes("$ ls\r\n");
  t.sockets[0].bytes("a.txt\r\n");
  expect(t.conn.position).toBe(1013);
  t.sockets[0].drop();
  await tick();
  expect(t.states.at(-1)).toBe("waiting");
  expect(t.delays).toEqual([100]);
  t.timers.shift()!();
  expect(t.sockets[1].url).toBe("ws://localhost:3456/terminals/7/ws?after=1013");
  t.sockets[1].open();
  t.sockets[1].text({ type: "offset", offset: 1013 });
  t.sockets[1].bytes("$ ");
  expect(t.screen()).toBe("$ ls\r\na.txt\r\n$ ");
  // Backoff grows while failures repeat, up to its ceiling, and resets once a socket opens.
  t.sockets[1].drop();
  await tick();
  t.timers.shift()!();
  t.sockets[2].drop();
  await tick();
  t.timers.shift()!();
  t.sockets[3].drop();
  await tick();
  expect(t.delays).toEqual([100, 100, 200, 400]);
});

test("typing goes out as binary frames, resizes as JSON text frames", () => {
  const t = setup();
  t.conn.connect();
  expect(t.conn.input("ls\r")).toBe(false); // not open yet: nothing is sent half-way
  t.sockets[0].open();
  expect(t.conn.input("ls\r")).toBe(true);
  t.conn.resize(80, 24);
  t.conn.inputBytes(new Uint8Array([27, 91, 77]));
  const [bytes, resize, raw] = t.sockets[0].sent;
  expect(new TextDecoder().decode(bytes as Uint8Array)).toBe("ls\r");
  expect(resize).toBe('{"resize":[80,24]}');
  expect([...(raw as Uint8Array)]).toEqual([27, 91, 77]);
});

test("big pastes are cut into frames under the server's cap, never inside a character", () => {
  const text = "é".repeat(20_000); // 40,000 bytes
  const parts = frames(text, 16 * 1024);
  expect(parts.length).toBe(3);
  for (const p of parts) expect(p.byteLength).toBeLessThanOrEqual(16 * 1024);
  expect(new TextDecoder("utf-8", { fatal: true }).decode(parts[0])).toBe("é".repeat(8192));
  expect(parts.map((p) => new TextDecoder().decode(p)).join("")).toBe(text);
});

test("the shell's exit ends the connection for good", async () => {
  const t = setup();
  t.conn.connect();
  t.sockets[0].open();
  t.sockets[0].text({ type: "exit", terminal: { exitCode: 2, exitSignal: null } });
  t.sockets[0].drop(1000, "terminal exited");
  await tick();
  expect(t.exits).toEqual([[2, null]]);
  expect(t.states.at(-1)).toBe("exited");
  expect(t.timers).toHaveLength(0);
  expect(t.sockets).toHaveLength(1);
});

test("a terminal the server no longer has is gone; an unreachable server is retried", async () => {
  let alive: boolean | Error = new Error("connection lost");
  const t = setup(async () => {
    if (alive instanceof Error) throw alive;
    return alive;
  });
  t.conn.connect();
  t.sockets[0].drop();
  await tick();
  expect(t.states.at(-1)).toBe("waiting");
  alive = false;
  t.timers.shift()!();
  t.sockets[1].drop();
  await tick();
  expect(t.states.at(-1)).toBe("gone");
  expect(t.timers).toHaveLength(0);
});

test("closing it stops reconnecting", async () => {
  const t = setup();
  t.conn.connect();
  t.sockets[0].open();
  t.conn.close();
  expect(t.sockets[0].closed).toEqual([1000, "closed by the dashboard"]);
  t.sockets[0].drop();
  await tick();
  expect(t.sockets).toHaveLength(1);
  expect(t.timers).toHaveLength(0);
});
