import { parseRoute, routeUrl } from "./route";

test("the address names a workspace, a pane and a chat, and nothing else", () => {
  expect(parseRoute("/w/3", "?tab=changes&chat=9")).toEqual({ workspace: 3, tab: "changes", chat: 9 });
  expect(parseRoute("/", "")).toEqual({ workspace: null, tab: "chat", chat: null });
  // Whatever else is in the URL (a server address, a token) is not read.
  const r = parseRoute("/w/1", "?server=ws://evil.example&token=abc#wss://evil.example");
  expect(r).toEqual({ workspace: 1, tab: "chat", chat: null });
  expect(parseRoute("/w/x", "?tab=nonsense&chat=-1")).toEqual({ workspace: null, tab: "chat", chat: null });
});

test("routes round-trip through their URLs", () => {
  for (const r of [
    { workspace: null, tab: "chat", chat: null },
    { workspace: 4, tab: "chat", chat: null },
    { workspace: 4, tab: "files", chat: 2 },
    { workspace: 5, tab: "terminal", chat: null },
  ] as const) {
    const url = new URL(routeUrl(r), "http://x");
    expect(parseRoute(url.pathname, url.search)).toEqual(r);
  }
});
