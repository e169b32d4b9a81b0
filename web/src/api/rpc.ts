// The dashboard's one connection to band-server: JSON-RPC 2.0 over a single WebSocket at /rpc,
// requests and subscriptions multiplexed on it. No token and no server URL ever come from the
// page's URL: the socket goes to this page's own origin and the session cookie authenticates it
// (the browser sends Origin on the upgrade, which the server requires of cookie clients).
//
// Reconnection: on close, pending calls fail (a call may or may not have run: the caller
// decides whether to retry), the socket is reopened with exponential backoff and jitter, and
// every subscription is made again. A chat subscription resumes after the last sequence number
// it delivered, and anything at or below it is dropped, so its listener sees every event once,
// in order, across reconnects.

import type { CronNotice, EventInfo, FilesChangedInfo, Methods, TerminalStreamItem, TunnelInfo, WorkspaceNotice } from "./types";

export type MethodName = keyof Methods;
export type ParamsOf<M extends MethodName> = Methods[M]["params"];
export type ResultOf<M extends MethodName> = Methods[M]["result"];

/** The part of the browser's WebSocket this client uses (tests give it a fake). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: Event) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
}

export type ConnectionState =
  | { kind: "connecting"; attempt: number }
  | { kind: "open"; since: number }
  | { kind: "waiting"; attempt: number; retryAt: number }
  | { kind: "signed-out" }
  | { kind: "closed" };

/** JSON-RPC error codes band uses (band_api::codes), plus this client's own. */
export const codes = {
  invalidParams: -32602,
  internal: -32603,
  notFound: -32001,
  conflict: -32002,
  refused: -32003,
  /** The connection closed before the answer came: the call may or may not have run. */
  connectionLost: -1,
  timeout: -2,
} as const;

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "RpcError";
  }
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export interface RpcOptions {
  socket: () => SocketLike;
  timers?: Timers;
  random?: () => number;
  /** First retry delay and the ceiling, in ms. */
  backoff?: { base: number; max: number };
  callTimeoutMs?: number;
  /** After a few failed attempts: is this browser still signed in? (false: stop and say so) */
  signedIn?: () => Promise<boolean>;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: unknown;
}

interface Subscription {
  method: string;
  notification: string;
  unsubscribe: string;
  params(): unknown;
  deliver(item: unknown): void;
  /** Called after each (re)subscription is confirmed. */
  onSubscribed?(): void;
  serverId?: string | number;
  closed: boolean;
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

const OPEN = 1;

export class Rpc {
  private socket: SocketLike | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  /** Requests made while the socket was not open, sent when it opens. */
  private outbox: string[] = [];
  /** Subscribe requests in flight: request id to subscription. */
  private subscribing = new Map<number, Subscription>();
  private subs = new Set<Subscription>();
  private byServerId = new Map<string, Subscription>();
  private attempt = 0;
  private retryTimer: unknown = null;
  private stateListeners = new Set<(s: ConnectionState) => void>();
  private stopped = false;
  state: ConnectionState = { kind: "closed" };

  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly backoff: { base: number; max: number };
  private readonly callTimeoutMs: number;

  constructor(private readonly opts: RpcOptions) {
    this.timers = opts.timers ?? defaultTimers;
    this.random = opts.random ?? Math.random;
    this.backoff = opts.backoff ?? { base: 250, max: 10_000 };
    this.callTimeoutMs = opts.callTimeoutMs ?? 60_000;
  }

  /** Opens the connection (and keeps it open until `close`). */
  start(): void {
    this.stopped = false;
    if (!this.socket && this.retryTimer === null) this.connect();
  }

  close(): void {
    this.stopped = true;
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = s.onmessage = s.onerror = s.onopen = null;
      s.close(1000, "closed");
    }
    this.failPending("the dashboard closed its connection");
    this.setState({ kind: "closed" });
  }

  /** Reconnect now if waiting for a retry (the page became visible, the network came back). */
  nudge(): void {
    if (this.state.kind === "signed-out" && !this.stopped && !this.socket && this.retryTimer === null) {
      this.connect();
      return;
    }
    if (this.state.kind === "waiting" && this.retryTimer !== null) {
      this.timers.clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.connect();
    }
  }

  onState(listener: (s: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    return this.request(method, params) as Promise<ResultOf<M>>;
  }

  /**
   * Follows a chat's events after `after`: each event once, in order, across reconnects.
   * Returns the function that ends the subscription.
   */
  subscribeChat(chat: number, after: number, onEvent: (e: EventInfo) => void): () => void {
    let last = after;
    return this.subscribe({
      method: "chats.subscribe",
      notification: "chats.event",
      unsubscribe: "chats.unsubscribe",
      params: () => ({ chat, after: last }),
      deliver: (item) => {
        const e = item as EventInfo;
        if (e.seq <= last) return; // a replay of what this listener already has
        last = e.seq;
        onEvent(e);
      },
      closed: false,
    });
  }

  /**
   * Follows chat status, queue and workspace changes. `onResubscribed` runs after every
   * reconnection: notices missed while away are gone, so the caller reloads its lists.
   */
  subscribeWorkspaces(onNotice: (n: WorkspaceNotice) => void, onResubscribed?: () => void): () => void {
    let first = true;
    return this.subscribe({
      method: "workspaces.subscribe",
      notification: "workspaces.notice",
      unsubscribe: "workspaces.unsubscribe",
      params: () => ({}),
      deliver: (item) => onNotice(item as WorkspaceNotice),
      onSubscribed: () => {
        if (!first) onResubscribed?.();
        first = false;
      },
      closed: false,
    });
  }

  /**
   * Follows a terminal's output as text (read access is enough): the scrollback after `after`,
   * then live, each byte once across reconnects.
   */
  subscribeTerminal(terminal: number, after: number, onItem: (item: TerminalStreamItem) => void): () => void {
    let last = after;
    return this.subscribe({
      method: "terminals.subscribe",
      notification: "terminals.data",
      unsubscribe: "terminals.unsubscribe",
      params: () => ({ terminal, after: last }),
      deliver: (raw) => {
        const item = raw as TerminalStreamItem;
        if (item.type === "output") {
          if (item.offset <= last) return; // a replay of what this listener already has
          last = item.offset;
        }
        onItem(item);
      },
      closed: false,
    });
  }

  /** Follows the tunnel's state: the current one first, then each change (again after reconnecting). */
  subscribeTunnel(onState: (t: TunnelInfo) => void): () => void {
    return this.subscribe({
      method: "tunnel.subscribe",
      notification: "tunnel.state",
      unsubscribe: "tunnel.unsubscribe",
      params: () => ({}),
      deliver: (item) => onState(item as TunnelInfo),
      closed: false,
    });
  }

  /** Follows a workspace's files changing on disk (it is watched while someone follows it). */
  subscribeFiles(workspace: number, onChange: (c: FilesChangedInfo) => void): () => void {
    return this.subscribe({
      method: "workspaces.watch",
      notification: "workspaces.files",
      unsubscribe: "workspaces.unwatch",
      params: () => ({ workspace: String(workspace) }),
      deliver: (item) => onChange(item as FilesChangedInfo),
      closed: false,
    });
  }

  /** Follows the cronjob scheduler: jobs and runs as they change (again after reconnecting). */
  subscribeCronjobs(onNotice: (n: CronNotice) => void): () => void {
    return this.subscribe({
      method: "cronjobs.subscribe",
      notification: "cronjobs.tick",
      unsubscribe: "cronjobs.unsubscribe",
      params: () => ({}),
      deliver: (item) => onNotice(item as CronNotice),
      closed: false,
    });
  }

  private subscribe(sub: Subscription): () => void {
    this.subs.add(sub);
    if (this.socket?.readyState === OPEN) this.sendSubscribe(sub);
    return () => {
      if (sub.closed) return;
      sub.closed = true;
      this.subs.delete(sub);
      if (sub.serverId !== undefined) {
        this.byServerId.delete(String(sub.serverId));
        if (this.socket?.readyState === OPEN) {
          this.request(sub.unsubscribe, [sub.serverId]).catch(() => {});
        }
      }
    };
  }

  private sendSubscribe(sub: Subscription): void {
    const id = this.nextId++;
    this.subscribing.set(id, sub);
    this.send(JSON.stringify({ jsonrpc: "2.0", id, method: sub.method, params: sub.params() }));
  }

  private request(method: string, params: unknown): Promise<unknown> {
    // Calls made before the socket opens wait in the outbox.
    const id = this.nextId++;
    const text = JSON.stringify({ jsonrpc: "2.0", id, method, params });
    return new Promise((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.pending.delete(id);
        this.outbox = this.outbox.filter((t) => t !== text);
        reject(new RpcError(codes.timeout, `${method}: no answer from band-server`));
      }, this.callTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send(text);
    });
  }

  private send(text: string): void {
    if (this.socket?.readyState === OPEN) this.socket.send(text);
    else this.outbox.push(text);
  }

  private connect(): void {
    this.retryTimer = null;
    this.attempt += 1;
    this.setState({ kind: "connecting", attempt: this.attempt });
    let socket: SocketLike;
    try {
      socket = this.opts.socket();
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.setState({ kind: "open", since: this.timers.now() });
      const queued = this.outbox;
      this.outbox = [];
      for (const t of queued) socket.send(t);
      for (const sub of this.subs) this.sendSubscribe(sub);
    };
    socket.onmessage = (ev) => {
      if (this.socket === socket) this.receive(ev.data);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.lost();
    };
    socket.onerror = () => {
      // A close event always follows.
    };
  }

  private lost(): void {
    this.subscribing.clear();
    this.byServerId.clear();
    for (const sub of this.subs) sub.serverId = undefined;
    // Requests still in the outbox were never sent: they wait for the next connection. Those
    // sent may or may not have run.
    this.failPending("the connection to band-server was lost", true);
    if (!this.stopped) this.scheduleRetry();
  }

  private failPending(message: string, keepUnsent = false): void {
    const unsent = new Set<number>();
    if (keepUnsent) {
      for (const t of this.outbox) {
        const id = (JSON.parse(t) as { id: number }).id;
        unsent.add(id);
      }
    } else {
      this.outbox = [];
    }
    for (const [id, p] of this.pending) {
      if (unsent.has(id)) continue;
      this.timers.clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new RpcError(codes.connectionLost, message));
    }
  }

  private scheduleRetry(): void {
    const n = Math.max(1, this.attempt);
    const ceiling = Math.min(this.backoff.max, this.backoff.base * 2 ** (n - 1));
    const delay = Math.round(ceiling * (0.5 + this.random() / 2));
    this.setState({ kind: "waiting", attempt: n, retryAt: this.timers.now() + delay });
    const check = n >= 3 && this.opts.signedIn;
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      if (this.stopped) return;
      if (!check) return this.connect();
      this.opts.signedIn!().then(
        (yes) => {
          if (this.stopped) return;
          if (yes) this.connect();
          // Signed out (a revoked device, a rotated token): knocking again would only be
          // refused, so it stops until someone asks (the badge, the page shown again).
          else this.setState({ kind: "signed-out" });
        },
        () => this.connect(),
      );
    }, delay);
  }

  private receive(data: unknown): void {
    let msg: {
      id?: number;
      result?: unknown;
      error?: { code: number; message: string; data?: unknown };
      method?: string;
      params?: { subscription: string | number; result: unknown };
    };
    try {
      msg = JSON.parse(String(data));
    } catch {
      return;
    }
    if (msg.method && msg.params && msg.params.subscription !== undefined) {
      const sub = this.byServerId.get(String(msg.params.subscription));
      if (sub && !sub.closed) sub.deliver(msg.params.result);
      return;
    }
    if (typeof msg.id !== "number") return;
    const sub = this.subscribing.get(msg.id);
    if (sub) {
      this.subscribing.delete(msg.id);
      if (msg.error) {
        console.warn(`${sub.method} refused: ${msg.error.message}`);
        return;
      }
      const serverId = msg.result as string | number;
      if (sub.closed) {
        this.request(sub.unsubscribe, [serverId]).catch(() => {});
        return;
      }
      sub.serverId = serverId;
      this.byServerId.set(String(serverId), sub);
      sub.onSubscribed?.();
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    this.timers.clearTimeout(p.timer);
    if (msg.error) p.reject(new RpcError(msg.error.code, msg.error.message, msg.error.data));
    else p.resolve(msg.result);
  }

  private setState(s: ConnectionState): void {
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }
}

/** The page's own `/rpc` WebSocket URL: same host, ws or wss as the page. Never a query. */
export function ownSocketUrl(loc: Location = window.location): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/rpc`;
}

/** Whether this browser's session cookie is still good (a plain same-origin POST). */
export async function stillSignedIn(): Promise<boolean> {
  const res = await fetch("/rpc", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "settings.get", params: {} }),
    credentials: "same-origin",
  });
  return res.status !== 401;
}
