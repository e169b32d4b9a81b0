import { fakeBand } from "./fakeRpc";
import { listFiles, readFile, workspaceStatus } from "./files";

test("the Files pane's status, listings and reads name the workspace and the path", async () => {
  const { band, fake } = fakeBand((method) => (method === "files.list" ? { entries: [], offset: 0, total: 0, truncated: false } : undefined));
  await workspaceStatus(band, 3);
  expect(await listFiles(band, 3, "")).toEqual({ entries: [], offset: 0, total: 0, truncated: false });
  await listFiles(band, 3, "src/ui");
  await listFiles(band, 3, "big", 5000);
  await readFile(band, 3, "src/main.tsx");
  expect(JSON.parse(JSON.stringify(fake.calls))).toEqual([
    ["workspaces.status", { workspace: "3" }],
    ["files.list", { workspace: "3", path: "" }],
    ["files.list", { workspace: "3", path: "src/ui" }],
    ["files.list", { workspace: "3", path: "big", offset: 5000 }],
    ["files.read", { workspace: "3", path: "src/main.tsx" }],
  ]);
});
