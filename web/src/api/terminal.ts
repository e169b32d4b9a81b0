// One terminal's byte stream: `GET /terminals/{id}/ws` on this page's own origin (the session
// cookie authenticates it; nothing secret is in the URL). Binary frames are bytes both ways,
// text frames JSON control messages. The connection counts the bytes it has been given from the
// server's `offset` on, so a reconnection (with backoff) asks for `?after=<offset>` and the
// screen gets every byte once. It ends for good when the shell exits or the terminal is gone.

export interface TerminalSocketLike {
  binaryType: BinaryType;
  readonly readyState: number;
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: Event) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
}

export type TerminalState = "connecting" | "open" | "waiting" | "exited" | "gone";

export interface TerminalEvents {
  /** Output bytes, in order, each byte once. */
  data(bytes: Uint8Array): void;
  state(state: TerminalState, detail?: string): void;
  /** The shell exited: its exit code or signal, when known. */
  exit?(code: number | null, signal: number | null): void;
}

export interface ConnectionOptions {
  url: (after: number | null) => string;
  socket: (url: string) => TerminalSocketLike;
  /** After a connection failed: does the terminal still exist? (false: give up) */
  exists: () => Promise<boolean>;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (h: unknown) => void;
  backoff?: { base: number; max: number };
}

/** Input frames stay well under the server's 64 KiB cap (a bigger frame closes the socket). */
export const MAX_FRAME = 16 * 1024;

const encoder = new TextEncoder();

/** The terminal's socket on this page's own origin; `after` resumes after that byte offset. */
export function terminalSocketUrl(id: number, after: number | null, loc: Pick<Location, "protocol" | "host"> = location): string {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${loc.host}/terminals/${id}/ws${after === null ? "" : `?after=${after}`}`;
}

/** Splits typed text into frames of at most `max` bytes, never inside a UTF-8 sequence. */
export function frames(text: string, max = MAX_FRAME): Uint8Array[] {
  const bytes = encoder.encode(text);
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < bytes.length) {
    let end = Math.min(bytes.length, i + max);
    // Back up to the start of a character (continuation bytes are 0b10xxxxxx).
    while (end < bytes.length && end > i && (bytes[end] & 0xc0) === 0x80) end--;
    out.push(bytes.subarray(i, end));
    i = end;
  }
  return out;
}

export class TerminalConnection {
  private socket: TerminalSocketLike | null = null;
  /** The offset of the next byte the server will send; null until it says. */
  private offset: number | null = null;
  private attempt = 0;
  private timer: unknown = null;
  private ended = false;
  private size: [number, number] | null = null;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (h: unknown) => void;

  constructor(
    private readonly opts: ConnectionOptions,
    private readonly on: TerminalEvents,
  ) {
    this.setTimer = opts.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  get position(): number | null {
    return this.offset;
  }

  connect(): void {
    if (this.ended) return;
    this.on.state("connecting");
    const ws = this.opts.socket(this.opts.url(this.offset));
    ws.binaryType = "arraybuffer";
    this.socket = ws;
    ws.onopen = () => {
      this.attempt = 0;
      // The screen may have changed size while away.
      if (this.size) ws.send(JSON.stringify({ resize: this.size }));
      this.on.state("open");
    };
    ws.onmessage = (ev) => this.message(ev.data);
    ws.onerror = () => {};
    ws.onclose = (ev) => {
      if (this.socket !== ws) return;
      this.socket = null;
      if (this.ended) return;
      if (ev.code === 1000 && ev.reason === "terminal exited") return this.end("exited");
      if (ev.code === 1009) this.on.state("waiting", ev.reason);
      void this.retry();
    };
  }

  private message(data: unknown): void {
    if (typeof data === "string") {
      let msg: { type?: string; offset?: number; message?: string; terminal?: { exitCode?: number | null; exitSignal?: number | null } };
      try {
        msg = JSON.parse(data);
      } catch {
        return;
      }
      if (msg.type === "offset" && typeof msg.offset === "number") this.offset = msg.offset;
      else if (msg.type === "exit") {
        this.on.exit?.(msg.terminal?.exitCode ?? null, msg.terminal?.exitSignal ?? null);
        this.end("exited");
      } else if (msg.type === "error") this.on.state("open", msg.message);
      return;
    }
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : (data as Uint8Array);
    if (this.offset !== null) this.offset += bytes.byteLength;
    this.on.data(bytes);
  }

  private async retry(): Promise<void> {
    let alive = true;
    try {
      alive = await this.opts.exists();
    } catch {
      // The server is unreachable: keep trying, it may come back.
    }
    if (this.ended) return;
    if (!alive) return this.end("gone");
    const { base, max } = this.opts.backoff ?? { base: 500, max: 10_000 };
    const delay = Math.min(max, base * 2 ** this.attempt++);
    this.on.state("waiting");
    this.timer = this.setTimer(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  private end(state: "exited" | "gone"): void {
    if (this.ended) return;
    this.ended = true;
    this.on.state(state);
  }

  /** Typed text, as binary frames (bytes, literally). Dropped while disconnected. */
  input(text: string): boolean {
    const ws = this.socket;
    if (!ws || ws.readyState !== 1) return false;
    for (const f of frames(text)) ws.send(f);
    return true;
  }

  /** Raw bytes (xterm's binary input, e.g. some mouse reports), as they are. */
  inputBytes(bytes: Uint8Array): boolean {
    const ws = this.socket;
    if (!ws || ws.readyState !== 1) return false;
    for (let i = 0; i < bytes.length; i += MAX_FRAME) ws.send(bytes.subarray(i, i + MAX_FRAME));
    return true;
  }

  resize(cols: number, rows: number): void {
    this.size = [cols, rows];
    const ws = this.socket;
    if (ws && ws.readyState === 1) ws.send(JSON.stringify({ resize: [cols, rows] }));
  }

  close(): void {
    this.ended = true;
    if (this.timer !== null) this.clearTimer(this.timer);
    const ws = this.socket;
    this.socket = null;
    ws?.close(1000, "closed by the dashboard");
  }
}
