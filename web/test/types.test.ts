// @vitest-environment node
// The committed API types must be exactly what the generator makes of the committed OpenRPC
// document (which a Rust test keeps equal to band_adapters::api::openrpc()).
import { readFileSync } from "node:fs";
// @ts-expect-error: a plain .mjs script without type declarations
import { generateFromFile, TYPES_PATH } from "../scripts/gen-types.mjs";

test("src/api/types.ts is generated from openrpc.json and up to date", async () => {
  const want: string = await generateFromFile();
  const have = readFileSync(TYPES_PATH, "utf8");
  expect(have === want, "src/api/types.ts is stale: run `npm run gen:types` in web/ and commit it").toBe(true);
});
