import { loadDiff } from "./changes";
import { fakeBand } from "./fakeRpc";

test("the Changes pane's diff is asked for by workspace", async () => {
  const { band, fake } = fakeBand(() => ({ from: "abc", patch: "" }));
  expect(await loadDiff(band, 5)).toEqual({ from: "abc", patch: "" });
  expect(fake.calls).toEqual([["workspaces.diff", { workspace: "5" }]]);
});
