import { useEffect, useState } from "react";
import { useBand } from "../state/band";
import { useStore } from "../state/store";
import { ConnectionBadge } from "./ConnectionBadge";
import { navigate, useRoute } from "./route";
import { Sidebar } from "./Sidebar";
import { WorkspaceView } from "./WorkspaceView";

/** Narrow screens (phones) show one pane at a time. */
function useNarrow(): boolean {
  const query = "(max-width: 760px)";
  const [narrow, setNarrow] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const m = window.matchMedia(query);
    const on = () => setNarrow(m.matches);
    m.addEventListener("change", on);
    return () => m.removeEventListener("change", on);
  }, []);
  return narrow;
}

export function App() {
  const band = useBand();
  const route = useRoute();
  const narrow = useNarrow();
  const workspace = useStore(band.state, (s) =>
    route.workspace === null ? undefined : s.workspaces.find((w) => w.id === route.workspace),
  );
  const isLoaded = useStore(band.state, (s) => s.loaded);

  // A workspace that went away (removed elsewhere): back to the list.
  useEffect(() => {
    if (isLoaded && route.workspace !== null && !workspace) navigate({ workspace: null, tab: "chat", chat: null }, true);
  }, [isLoaded, route.workspace, workspace]);

  const showList = !narrow || route.workspace === null;
  const showWorkspace = route.workspace !== null && workspace;
  return (
    <div className={`app ${narrow ? "narrow" : "wide"}`}>
      {showList && (
        <aside className="sidebar">
          <header className="brand">
            <span className="logo" aria-hidden="true" />
            <span className="brand-name">band</span>
            <ConnectionBadge />
          </header>
          <Sidebar selected={route.workspace} />
        </aside>
      )}
      {showWorkspace ? (
        <WorkspaceView key={workspace.id} workspace={workspace} route={route} narrow={narrow} />
      ) : (
        !narrow && (
          <main className="empty-main">
            <div>
              <h1>band</h1>
              <p>{isLoaded ? "Choose a workspace, or add a project and create one." : "Loading…"}</p>
            </div>
          </main>
        )
      )}
    </div>
  );
}
