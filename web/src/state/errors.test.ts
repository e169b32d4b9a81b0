import { codes, RpcError } from "../api/rpc";
import { errorText, isNotFound, isRefused } from "./errors";

test("a failed call is shown by its message and told apart by its code", () => {
  const refused = new RpcError(codes.refused, "the branch has unmerged commits");
  const missing = new RpcError(codes.notFound, "no terminal 3");
  expect(errorText(refused)).toBe("the branch has unmerged commits");
  expect(errorText(new Error("offline"))).toBe("offline");
  expect(errorText("odd")).toBe("odd");
  expect([isRefused(refused), isRefused(missing), isRefused(new Error("x"))]).toEqual([true, false, false]);
  expect([isNotFound(missing), isNotFound(refused), isNotFound(undefined)]).toEqual([true, false, false]);
});
