import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ownSocketUrl, Rpc, stillSignedIn } from "./api/rpc";
import { Band, BandContext } from "./state/band";
import { App } from "./ui/App";
import { parseRoute } from "./ui/route";
import "./styles.css";

// One connection to the server that served this page; the session cookie is the credential.
const rpc = new Rpc({ socket: () => new WebSocket(ownSocketUrl()), signedIn: stillSignedIn });
const band = new Band(rpc, window.localStorage);
// The workspace and chat the address names have their layout and newest events fetched with the
// lists: one round trip, not two or three.
const route = parseRoute(location.pathname, location.search);
band.start(route.workspace, route.chat);
window.addEventListener("online", () => rpc.nudge());
document.addEventListener("visibilitychange", () =>
  document.visibilityState === "visible" ? rpc.nudge() : band.flushLayouts(),
);
window.addEventListener("pagehide", () => band.flushLayouts());

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <BandContext.Provider value={band}>
      <App />
    </BandContext.Provider>
  </StrictMode>,
);
