// For tests: a stand-in for the client (`Rpc`) that answers calls from a function, records every
// call and subscription, and lets the test deliver what a subscription would. Only tests import
// it, so it is never in a bundle.

import type { ConnectionState, Rpc } from "../api/rpc";
import type { CronNotice, EventInfo, TerminalStreamItem, TunnelInfo, WorkspaceNotice } from "../api/types";
import { Band } from "./band";

export interface FakeSubscription {
  kind: "chat" | "workspaces" | "terminal" | "tunnel" | "cronjobs";
  /** The chat or terminal followed, and after which sequence number or offset. */
  id?: number;
  after?: number;
  deliver(item: unknown): void;
  /** Whether the subscriber ended it. */
  closed: boolean;
}

export class FakeRpc {
  /** Every call, as [method, params], in order. */
  readonly calls: [string, unknown][] = [];
  readonly subscriptions: FakeSubscription[] = [];
  state: ConnectionState = { kind: "open", since: 0 };
  nudges = 0;

  /** `answer` gives each call's result (throwing or rejecting fails the call); its `params` are
   *  `any` so that a test's answer can name those of the methods it expects. */
  constructor(private readonly answer: (method: string, params: any) => unknown = () => undefined) {}

  get rpc(): Rpc {
    return this as unknown as Rpc;
  }

  /** The methods called, in order. */
  get methods(): string[] {
    return this.calls.map(([m]) => m);
  }

  async call(method: string, params: unknown): Promise<unknown> {
    this.calls.push([method, params]);
    return this.answer(method, params);
  }

  onState(): () => void {
    return () => {};
  }
  start(): void {}
  close(): void {}
  nudge(): void {
    this.nudges += 1;
  }

  subscribeChat(chat: number, after: number, onEvent: (e: EventInfo) => void): () => void {
    return this.subscribe({ kind: "chat", id: chat, after }, onEvent as (item: unknown) => void);
  }
  subscribeWorkspaces(onNotice: (n: WorkspaceNotice) => void): () => void {
    return this.subscribe({ kind: "workspaces" }, onNotice as (item: unknown) => void);
  }
  subscribeTerminal(terminal: number, after: number, onItem: (item: TerminalStreamItem) => void): () => void {
    return this.subscribe({ kind: "terminal", id: terminal, after }, onItem as (item: unknown) => void);
  }
  subscribeTunnel(onState: (t: TunnelInfo) => void): () => void {
    return this.subscribe({ kind: "tunnel" }, onState as (item: unknown) => void);
  }

  subscribeCronjobs(onNotice: (n: CronNotice) => void): () => void {
    return this.subscribe({ kind: "cronjobs" }, onNotice as (item: unknown) => void);
  }

  /** The open subscriptions of a kind. */
  open(kind: FakeSubscription["kind"]): FakeSubscription[] {
    return this.subscriptions.filter((s) => s.kind === kind && !s.closed);
  }

  private subscribe(what: Pick<FakeSubscription, "kind" | "id" | "after">, deliver: (item: unknown) => void): () => void {
    const sub: FakeSubscription = { ...what, deliver: (item) => !sub.closed && deliver(item), closed: false };
    this.subscriptions.push(sub);
    return () => {
      sub.closed = true;
    };
  }
}

/** A Band over a FakeRpc answering with `answer`. */
export function fakeBand(answer?: (method: string, params: any) => unknown): { band: Band; fake: FakeRpc } {
  const fake = new FakeRpc(answer);
  return { band: new Band(fake.rpc), fake };
}
