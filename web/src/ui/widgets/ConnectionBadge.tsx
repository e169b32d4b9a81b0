import { useEffect, useState } from "react";
import { useBand } from "../../state/band";
import { useStore } from "../../state/store";

/** Live, reconnecting (with a countdown), or signed out: always visible. */
export function ConnectionBadge() {
  const band = useBand();
  const state = useStore(band.connection, (s) => s);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (state.kind !== "waiting") return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [state.kind]);
  let label: string;
  let cls: string;
  switch (state.kind) {
    case "open":
      label = "live";
      cls = "ok";
      break;
    case "connecting":
      label = state.attempt > 1 ? "reconnecting…" : "connecting…";
      cls = "warn";
      break;
    case "waiting":
      label = `offline, retry in ${Math.max(0, Math.ceil((state.retryAt - now) / 1000))} s`;
      cls = "warn";
      break;
    case "signed-out":
      label = "signed out: open the link band-server printed";
      cls = "bad";
      break;
    default:
      label = "closed";
      cls = "bad";
  }
  return (
    <button
      type="button"
      className={`conn conn-${cls}`}
      data-testid="connection"
      data-state={state.kind}
      title={state.kind === "waiting" ? "Reconnect now" : label}
      onClick={() => band.reconnectNow()}
    >
      <span className="dot" aria-hidden="true" />
      <span className="conn-label">{label}</span>
    </button>
  );
}
