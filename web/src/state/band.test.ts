import { fakeBand } from "./fakeRpc";

test("the connection badge's click reconnects at once (the client's nudge)", () => {
  const { band, fake } = fakeBand();
  band.reconnectNow();
  expect(fake.nudges).toBe(1);
});
