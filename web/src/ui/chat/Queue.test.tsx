import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import type { QueuedInfo } from "../../api/types";
import { BandContext, useBand } from "../../state/band";
import { fakeBand } from "../../state/fakeRpc";
import { useStore } from "../../state/store";
import { Queue } from "./Queue";

const q = (id: number, position: number, text: string): QueuedInfo => ({ chatId: 1, createdAt: 1, id, position, text });

/** A Band over a stub connection whose chats.queue.move does what the server does. */
function bandWithQueue(initial: QueuedInfo[]) {
  let queue = initial;
  const { band, fake } = fakeBand((method: string, params: { id: number; position: number }) => {
    if (method !== "chats.queue.move") throw new Error(`unexpected ${method}`);
    const moved = queue.find((x) => x.id === params.id)!;
    const rest = queue.filter((x) => x.id !== params.id);
    rest.splice(params.position, 0, moved);
    queue = rest.map((x, i) => ({ ...x, position: i }));
    return queue;
  });
  band.state.set((s) => ({ ...s, me: { scope: "control" }, queues: { 1: initial } }));
  return { band, calls: fake.calls };
}

/** The queue as the chat pane shows it: from the store, so moves show what the server said. */
function Live() {
  const band = useBand();
  const queue = useStore(band.state, (s) => s.queues[1]);
  return <Queue chat={1} queue={queue} />;
}

test("queued messages move up and down, in the order the server answers", async () => {
  const { band, calls } = bandWithQueue([q(5, 0, "first"), q(6, 1, "second"), q(7, 2, "third")]);
  render(
    <BandContext.Provider value={band}>
      <Live />
    </BandContext.Provider>,
  );
  const texts = () => screen.getAllByTestId("queued").map((li) => li.querySelector(".queued-text")!.textContent);
  const up = () => screen.getAllByRole("button", { name: "Move up" });
  const down = () => screen.getAllByRole("button", { name: "Move down" });
  // The first cannot go up, the last cannot go down.
  expect(up()[0]).toHaveProperty("disabled", true);
  expect(down()[2]).toHaveProperty("disabled", true);

  fireEvent.click(up()[2]);
  await screen.findByText("third", { selector: "li:nth-child(2) .queued-text" });
  expect(texts()).toEqual(["first", "third", "second"]);
  fireEvent.click(down()[0]);
  await screen.findByText("first", { selector: "li:nth-child(2) .queued-text" });
  expect(texts()).toEqual(["third", "first", "second"]);
  expect(calls).toEqual([
    ["chats.queue.move", { chat: 1, id: 7, position: 1 }],
    ["chats.queue.move", { chat: 1, id: 5, position: 1 }],
  ]);
});

test("a read-only device sees the queue but cannot change it", () => {
  const { band } = bandWithQueue([q(5, 0, "first"), q(6, 1, "second")]);
  band.state.set((s) => ({ ...s, me: { scope: "read", deviceId: 3, deviceName: "tablet" } }));
  render(
    <BandContext.Provider value={band}>
      <Live />
    </BandContext.Provider>,
  );
  expect(screen.getAllByTestId("queued")).toHaveLength(2);
  expect(screen.queryAllByRole("button")).toHaveLength(0);
});

test("editing holds the message (the turn's end waits for it); saving sends the edit, not the original", async () => {
  let queue = [q(5, 0, "first"), q(6, 1, "second")];
  const { band, fake } = fakeBand((method: string, params: { id: number; text: string; hold: boolean }) => {
    if (method === "chats.queue.hold") return queue;
    if (method === "chats.queue.edit") {
      queue = queue.map((x) => (x.id === params.id ? { ...x, text: params.text } : x));
      return queue.find((x) => x.id === params.id);
    }
    throw new Error(`unexpected ${method}`);
  });
  band.state.set((s) => ({ ...s, me: { scope: "control" }, queues: { 1: queue } }));
  render(
    <BandContext.Provider value={band}>
      <Live />
    </BandContext.Provider>,
  );
  fireEvent.click(screen.getAllByRole("button", { name: "Edit" })[0]);
  expect(fake.calls).toEqual([["chats.queue.hold", { chat: 1, id: 5, hold: true }]]);
  screen.getByTestId("held");
  fireEvent.change(screen.getByRole("textbox", { name: "Queued message" }), { target: { value: "first, edited" } });
  fireEvent.click(screen.getByRole("button", { name: "Save" }));
  await screen.findAllByRole("button", { name: "Edit" });
  expect(fake.calls.slice(1)).toEqual([["chats.queue.edit", { chat: 1, id: 5, text: "first, edited" }]]);
});

test("an edit whose original went out anyway is kept, and can be sent as a new message", async () => {
  const { band, fake } = fakeBand(() => []);
  band.state.set((s) => ({ ...s, me: { scope: "control" }, queues: { 1: [q(5, 0, "first")] } }));
  render(
    <BandContext.Provider value={band}>
      <Live />
    </BandContext.Provider>,
  );
  fireEvent.click(screen.getByRole("button", { name: "Edit" }));
  fireEvent.change(screen.getByRole("textbox", { name: "Queued message" }), { target: { value: "first, edited" } });
  // The queue notice: the message was sent (the hold had lapsed).
  act(() => band.state.set((s) => ({ ...s, queues: { 1: [] } })));
  expect(screen.getByRole("textbox", { name: "Edited message" })).toHaveProperty("value", "first, edited");
  fireEvent.click(screen.getByRole("button", { name: "Send edited text" }));
  await waitFor(() => expect(fake.methods).toContain("chats.send"));
  expect(fake.calls.find(([m]) => m === "chats.send")).toEqual(["chats.send", { chat: 1, message: "first, edited" }]);
});
