import { lazy, Suspense, useEffect, useMemo, useRef, useState } from "react";
import { useBand, useCan } from "../state/band";
import { useStore } from "../state/store";
import { useMedia } from "./media";
import { browserNotifier, notificationsWanted, setNotificationsWanted, watchWaiting } from "./notify";
import { navigate, useRoute } from "./route";
import { listenKeys } from "./keys";
import { Sidebar } from "./Sidebar";
import { ConnectionBadge } from "./widgets/ConnectionBadge";
import { Modal } from "./widgets/Modal";
import { PaletteField, type Typed } from "./widgets/PaletteField";
import { WorkspaceView } from "./WorkspaceView";

// The Settings page loads on demand: it is not in the first download.
const SettingsPanel = lazy(() => import("./SettingsPanel"));
// The Schedules and Remote pages load on demand too: the first download stays under its budget.
const RemotePanel = lazy(() => import("./RemotePanel").then((m) => ({ default: m.RemotePanel })));
const SchedulesPanel = lazy(() => import("./SchedulesPanel").then((m) => ({ default: m.SchedulesPanel })));
// The Usage page brings its chart library with it.
const UsagePanel = lazy(() => import("./UsagePanel").then((m) => ({ default: m.UsagePanel })));
const GovernancePanel = lazy(() => import("./GovernancePanel").then((m) => ({ default: m.GovernancePanel })));
// Every agent at a glance: the start page (desktop) and the Agents tab (phone), on demand.
const Overview = lazy(() => import("./Overview"));
// The empty dashboard's welcome (phones show it above the workspace list; desktops on the overview).
const Onboarding = lazy(() => import("./Onboarding"));
// The command palette and the keys' help: not in the first download, but fetched once the page
// is idle, so the first Ctrl/Cmd+K opens at once and the keys typed after it reach its field.
// Once fetched it is drawn directly, not through `lazy` (which would wait a tick even then).
let paletteModule: typeof import("./Palette") | undefined;
const loadPalette = () => import("./Palette").then((m) => (paletteModule = m));
const LazyPalette = lazy(loadPalette);
const LazyKeyHelp = lazy(() => loadPalette().then((m) => ({ default: m.KeyHelp })));
/** What was typed while the palette's code loaded (reset each time the palette opens). */
const typedEarly: Typed = { query: "", enter: false };
function Palette(props: { onClose(): void }) {
  const View = paletteModule?.default ?? LazyPalette;
  return <View {...props} typed={typedEarly} />;
}
/** The palette's field alone, while its code loads: what is typed is kept for it. */
function PaletteLoading({ onClose }: { onClose(): void }) {
  const [query, setQuery] = useState(typedEarly.query);
  return (
    <Modal title="Command palette" onClose={onClose} focusField>
      <PaletteField
        value={query}
        onChange={(v) => {
          typedEarly.query = v;
          setQuery(v);
        }}
        onKeyDown={(e) => {
          if (e.key !== "Enter") return;
          typedEarly.enter = true;
          e.preventDefault();
        }}
      />
    </Modal>
  );
}
function KeyHelp(props: { onClose(): void }) {
  const View = paletteModule?.KeyHelp ?? LazyKeyHelp;
  return <View {...props} />;
}

/**
 * This browser's credential ended (its device revoked, the token rotated): it says so and how to
 * get back in, instead of knocking at the server forever.
 */
function SignedOut() {
  const band = useBand();
  const state = useStore(band.connection, (c) => c.kind);
  if (state !== "signed-out") return null;
  return (
    <div className="signed-out" role="alert">
      <strong>This browser is signed out of band.</strong> This device was revoked, or band's token changed. To use band here
      again, pair this device again (on the main computer: Remote → Pair a device, then open its link or scan its code here), or
      open the sign-in link band-server printed.{" "}
      <button type="button" className="secondary" onClick={() => band.reconnectNow()}>
        Try again
      </button>
    </div>
  );
}

/** Narrow screens (phones) show one pane at a time. */
const NARROW = "(max-width: 760px)";

export function App() {
  const band = useBand();
  const route = useRoute();
  const narrow = useMedia(NARROW);
  const workspace = useStore(band.state, (s) =>
    route.workspace === null ? undefined : s.workspaces.find((w) => w.id === route.workspace),
  );
  const isLoaded = useStore(band.state, (s) => s.loaded);
  const noProjects = useStore(band.state, (s) => s.projects.length === 0);

  const workspaceId = workspace?.id;
  // A tab in the background still says when agents wait for someone.
  const waiting = useStore(band.state, (s) => Object.values(s.chats).filter((c) => c.status === "waiting").length);
  useEffect(() => {
    document.title = waiting > 0 ? `(${waiting} waiting) band` : "band";
  }, [waiting]);
  const admin = useCan("admin");
  const me = useStore(band.state, (s) => s.me);
  const [remote, setRemote] = useState(false);
  const [schedules, setSchedules] = useState(false);
  const [governance, setGovernance] = useState(false);
  const [usageOpen, setUsageOpen] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  // Phones show the workspace list or the overview of every agent, one at a time.
  const [phoneView, setPhoneView] = useState<"workspaces" | "agents">("workspaces");
  const [keysOpen, setKeysOpen] = useState<"palette" | "help" | null>(null);
  const routeNow = useRef(route);
  routeNow.current = route;
  useEffect(
    () =>
      listenKeys(band, () => routeNow.current, (open) => {
        if (open === "palette") Object.assign(typedEarly, { query: "", enter: false });
        setKeysOpen(open);
      }),
    [band],
  );
  useEffect(() => {
    // After the first paint's work (lists, the chat's events) is done, when the page idles.
    const idle = window.requestIdleCallback ?? ((fn: () => void) => window.setTimeout(fn, 0));
    const t = window.setTimeout(() => idle(() => void loadPalette().catch(() => undefined)), 2000);
    return () => window.clearTimeout(t);
  }, []);
  const notifier = useMemo(() => browserNotifier(), []);
  const [notify, setNotify] = useState(() => notifier?.permission === "granted" && notificationsWanted(localStorage));
  const [notifyNote, setNotifyNote] = useState<string | null>(null);
  const notifyOn = useRef(notify);
  notifyOn.current = notify;
  useEffect(
    () => (notifier ? watchWaiting(band, notifier, () => notifyOn.current, () => document.visibilityState === "visible") : undefined),
    [band, notifier],
  );
  const toggleNotify = async () => {
    if (!notifier) return;
    if (notify) {
      setNotify(false);
      setNotificationsWanted(localStorage, false);
      return;
    }
    const permission = await notifier.requestPermission();
    if (permission === "granted") {
      setNotify(true);
      setNotifyNote(null);
      setNotificationsWanted(localStorage, true);
    } else {
      setNotifyNote("The browser blocks notifications for this page: allow them in its site settings.");
    }
  };
  const lastWorkspace = useStore(band.state, (s) => s.globalLayout?.workspace);
  const restored = useRef(false);

  // A workspace that went away (removed elsewhere): back to the list.
  useEffect(() => {
    if (isLoaded && route.workspace !== null && !workspace) navigate({ workspace: null, tab: "chat", chat: null }, true);
  }, [isLoaded, route.workspace, workspace]);

  // Opening the dashboard at its start page opens where it was left, here or on another device
  // (once: coming back to the list later stays on the list).
  useEffect(() => {
    if (!isLoaded || lastWorkspace === undefined || restored.current) return;
    restored.current = true;
    if (route.workspace === null && lastWorkspace !== null && band.state.get().workspaces.some((w) => w.id === lastWorkspace)) {
      navigate({ workspace: lastWorkspace, tab: "chat", chat: null }, true);
    }
  }, [band, isLoaded, lastWorkspace, route.workspace]);

  // Remember the workspace on screen.
  useEffect(() => {
    if (workspaceId !== undefined) band.rememberGlobal({ workspace: workspaceId });
  }, [band, workspaceId]);

  const showList = !narrow || route.workspace === null;
  const showWorkspace = route.workspace !== null && workspace;
  return (
    <div className={`app ${narrow ? "narrow" : "wide"}`}>
      {showList && (
        <aside className="sidebar">
          <header className="brand">
            <span className="logo" aria-hidden="true" />
            <span className="brand-name">band</span>
            {me?.deviceName && (
              <span className="chip" data-testid="me" title={`Signed in as the device '${me.deviceName}' with ${me.scope} access`}>
                {me.deviceName} · {me.scope}
              </span>
            )}
            <button type="button" className="secondary small-button" onClick={() => setSchedules(true)}>
              Schedules
            </button>
            <button type="button" className="secondary small-button" onClick={() => setUsageOpen(true)}>
              Usage
            </button>
            {admin && (
              <button type="button" className="secondary small-button" onClick={() => setSettingsOpen(true)}>
                Settings
              </button>
            )}
            {admin && (
              <button type="button" className="secondary small-button" onClick={() => setGovernance(true)}>
                Policies
              </button>
            )}
            {admin && (
              <button type="button" className="secondary small-button" onClick={() => setRemote(true)}>
                Remote
              </button>
            )}
            <ConnectionBadge />
          </header>
          <div className="view-tabs" role="tablist" aria-label="View">
            <button
              type="button"
              role="tab"
              className="secondary small-button"
              aria-selected={narrow ? phoneView === "workspaces" : route.workspace !== null}
              onClick={() => (narrow ? setPhoneView("workspaces") : undefined)}
              hidden={!narrow}
            >
              Workspaces
            </button>
            <button
              type="button"
              role="tab"
              className="secondary small-button"
              aria-selected={narrow ? phoneView === "agents" : route.workspace === null}
              onClick={() => (narrow ? setPhoneView("agents") : navigate({ workspace: null, tab: "chat", chat: null }))}
            >
              All agents{waiting > 0 ? ` (${waiting} waiting)` : ""}
            </button>
          </div>
          {narrow && phoneView === "agents" ? (
            <Suspense fallback={<p className="muted small">Loading…</p>}>
              <Overview />
            </Suspense>
          ) : (
            <>
              {narrow && isLoaded && noProjects && (
                <Suspense fallback={null}>
                  <div className="overview onboarding-phone">
                    <Onboarding />
                  </div>
                </Suspense>
              )}
              <Sidebar selected={route.workspace} />
            </>
          )}
          {notifier && (
            <div className="notify-toggle">
              <button type="button" className="link" aria-pressed={notify} onClick={() => void toggleNotify()}>
                {notify ? "Notifications on: an agent waiting tells you" : "Notify me when an agent waits"}
              </button>
              {notifyNote && <p className="small error">{notifyNote}</p>}
            </div>
          )}
        </aside>
      )}
      {showWorkspace ? (
        <WorkspaceView key={workspace.id} workspace={workspace} route={route} narrow={narrow} />
      ) : (
        !narrow && (
          <main className={isLoaded ? "overview-main" : "empty-main"}>
            {isLoaded ? (
              <Suspense fallback={null}>
                <Overview />
              </Suspense>
            ) : (
              <div>
                <h1>band</h1>
                <p>Loading…</p>
              </div>
            )}
          </main>
        )
      )}
      {remote && (
        <Suspense fallback={null}>
          <RemotePanel onClose={() => setRemote(false)} />
        </Suspense>
      )}
      {schedules && (
        <Suspense fallback={null}>
          <SchedulesPanel onClose={() => setSchedules(false)} />
        </Suspense>
      )}
      {usageOpen && (
        <Suspense fallback={null}>
          <UsagePanel onClose={() => setUsageOpen(false)} />
        </Suspense>
      )}
      {governance && (
        <Suspense fallback={null}>
          <GovernancePanel onClose={() => setGovernance(false)} />
        </Suspense>
      )}
      {settingsOpen && (
        <Suspense fallback={null}>
          <SettingsPanel onClose={() => setSettingsOpen(false)} />
        </Suspense>
      )}
      {keysOpen && (
        <Suspense fallback={keysOpen === "palette" ? <PaletteLoading onClose={() => setKeysOpen(null)} /> : null}>
          {keysOpen === "palette" ? <Palette onClose={() => setKeysOpen(null)} /> : <KeyHelp onClose={() => setKeysOpen(null)} />}
        </Suspense>
      )}
      <SignedOut />
    </div>
  );
}
