import { fakeBand } from "./fakeRpc";
import { listFiles, readFile, workspaceStatus } from "./files";

test("the Files pane's status, listings and reads name the workspace and the path", async () => {
  const { band, fake } = fakeBand((method) => (method === "files.list" ? { entries: [], truncated: false } : undefined));
  await workspaceStatus(band, 3);
  expect(await listFiles(band, 3, "")).toEqual({ entries: [], truncated: false });
  await listFiles(band, 3, "src/ui");
  await readFile(band, 3, "src/main.tsx");
  expect(fake.calls).toEqual([
    ["workspaces.status", { workspace: "3" }],
    ["files.list", { workspace: "3", path: "" }],
    ["files.list", { workspace: "3", path: "src/ui" }],
    ["files.read", { workspace: "3", path: "src/main.tsx" }],
  ]);
});
