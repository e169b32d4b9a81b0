import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// The dashboard is served by band-server from web/dist, same origin as /rpc. `npm run dev`
// proxies /rpc to a band-server on 127.0.0.1:3456 (open http://localhost:5173 after signing in
// there is not possible: cookies are per port, so use `vite build` + band-server for real use).
export default defineConfig({
  plugins: [react()],
  build: {
    target: "es2022",
    // No inline scripts or module preload polyfill: the page's CSP is script-src 'self'.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    proxy: { "/rpc": { target: "http://127.0.0.1:3456", ws: true } },
  },
  test: {
    environment: "jsdom",
    globals: true,
    include: ["src/**/*.test.{ts,tsx}", "test/**/*.test.{ts,tsx}"],
  },
});
