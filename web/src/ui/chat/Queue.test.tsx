import { fireEvent, render, screen } from "@testing-library/react";
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
