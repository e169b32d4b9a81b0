// Remote access (main token only): the tunnel (start, stop, its URL, live through
// tunnel.subscribe), pairing a device (a QR code that opens the dashboard signed in as it, once,
// within ten minutes), the paired devices (last seen, revoke) and the audit log. The QR code's
// modules come from the server (`devices.pair` → `qr`), drawn here as an SVG: no QR library.

import { useCallback, useEffect, useState, type FormEvent } from "react";
import { TunnelProviderValues, type AuditEntryInfo, type DeviceInfo, type DeviceScope, type Pairing, type TunnelInfo, type TunnelProvider } from "../api/types";
import { useBand } from "../state/band";
import { errorText } from "../state/errors";
import { loadDevices, pairDevice, revokeDevice, startTunnel, stopTunnel, watchTunnel } from "../state/remote";
import { Modal } from "./widgets/Modal";


export function when(ms: number | null | undefined, now = Date.now()): string {
  if (ms == null) return "never";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(ms).toLocaleDateString();
}

/** The QR code's modules (rows of `#` dark, ` ` light) as an SVG with its quiet zone. */
export function QrCode({ rows, label }: { rows: string[]; label: string }) {
  const size = rows.length + 8;
  const dark: string[] = [];
  rows.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) if (row[x] === "#") dark.push(`M${x + 4} ${y + 4}h1v1h-1z`);
  });
  return (
    <svg className="qr" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label} shapeRendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={dark.join("")} fill="#000" />
    </svg>
  );
}

export function RemotePanel({ onClose }: { onClose(): void }) {
  return (
    <Modal title="Remote access" onClose={onClose}>
      <div className="remote">
        <TunnelSection />
        <PairSection />
        <DevicesSection />
      </div>
    </Modal>
  );
}

function TunnelSection() {
  const band = useBand();
  const [tunnel, setTunnel] = useState<TunnelInfo | null>(null);
  const [provider, setProvider] = useState<TunnelProvider | "">("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => watchTunnel(band, setTunnel), [band]);

  const act = async (what: () => Promise<TunnelInfo>) => {
    setBusy(true);
    setError(null);
    try {
      setTunnel(await what());
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const state = tunnel?.state ?? "…";
  const live = state === "running" || state === "starting";
  return (
    <section className="remote-section" data-testid="tunnel" data-state={state}>
      <h3>Tunnel</h3>
      {state === "running" && tunnel?.url ? (
        <p>
          Reachable at{" "}
          <a href={tunnel.url} target="_blank" rel="noopener noreferrer" data-testid="tunnel-url">
            {tunnel.url}
          </a>{" "}
          <span className="muted small">({tunnel.provider})</span>
        </p>
      ) : state === "starting" ? (
        <p className="muted">Starting {tunnel?.provider}…</p>
      ) : state === "failed" ? (
        <p className="error" role="alert">
          {tunnel?.error}
        </p>
      ) : (
        <p className="muted">Stopped: this dashboard is reachable from this machine only.</p>
      )}
      <div className="row">
        {!live && (
          <>
            <select aria-label="Tunnel provider" value={provider} onChange={(e) => setProvider(e.target.value as TunnelProvider | "")}>
              <option value="">the configured provider</option>
              {TunnelProviderValues.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
            <button
              type="button"
              className="primary"
              disabled={busy}
              onClick={() => act(() => startTunnel(band, provider))}
            >
              Start tunnel
            </button>
          </>
        )}
        {live && (
          <button type="button" className="danger" disabled={busy} onClick={() => act(() => stopTunnel(band))}>
            Stop tunnel
          </button>
        )}
      </div>
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function PairSection() {
  const band = useBand();
  const [name, setName] = useState("phone");
  const [scope, setScope] = useState<DeviceScope>("control");
  const [pairing, setPairing] = useState<Pairing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!pairing) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [pairing]);

  const pair = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      setPairing(await pairDevice(band, name.trim(), scope));
    } catch (err) {
      setError(errorText(err));
    }
  };
  const left = pairing ? Math.max(0, Math.round((pairing.expiresAt - now) / 1000)) : 0;
  return (
    <section className="remote-section">
      <h3>Pair a device</h3>
      <form className="row wrap" onSubmit={pair}>
        <input aria-label="Device name" className="grow" value={name} onChange={(e) => setName(e.target.value)} maxLength={64} />
        <select aria-label="Access" value={scope} onChange={(e) => setScope(e.target.value as DeviceScope)}>
          <option value="control">control (send, approve, terminals)</option>
          <option value="read">read (watch only)</option>
        </select>
        <button type="submit" className="primary" disabled={!name.trim()}>
          Show QR code
        </button>
      </form>
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
      {pairing && (
        <div className="pairing" data-testid="pairing">
          <QrCode rows={pairing.qr} label={`QR code signing ${pairing.name} in`} />
          <div className="pairing-text">
            <p>
              Scan it with <strong>{pairing.name}</strong> to open the dashboard there with {pairing.scope} access. It
              works once, {left > 0 ? `for ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")} more` : "no more: make another"}.
            </p>
            <input readOnly aria-label="Pairing link" value={pairing.url} data-testid="pairing-url" onFocus={(e) => e.target.select()} />
            {new URL(pairing.url).origin === location.origin && (
              <p className="muted small">This link only works on this machine: start the tunnel first to pair a phone.</p>
            )}
          </div>
        </div>
      )}
    </section>
  );
}

function DevicesSection() {
  const band = useBand();
  const [devices, setDevices] = useState<DeviceInfo[] | null>(null);
  const [audit, setAudit] = useState<AuditEntryInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      const { devices, audit } = await loadDevices(band);
      setDevices(devices);
      setAudit(audit);
    } catch (e) {
      setError(errorText(e));
    }
  }, [band]);
  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), 5000);
    return () => clearInterval(t);
  }, [load]);
  const revoke = async (d: DeviceInfo) => {
    if (!confirm(`Revoke ${d.name}? It is signed out at once and its token stops working.`)) return;
    try {
      await revokeDevice(band, d.id);
      await load();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <section className="remote-section">
      <h3>Devices</h3>
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
      {devices && devices.length === 0 && <p className="muted">No device is paired.</p>}
      <ul className="devices">
        {(devices ?? []).map((d) => (
          <li key={d.id} data-testid="device" data-name={d.name} className={d.revokedAt ? "revoked" : ""}>
            <span className="device-name">{d.name}</span>
            <span className="chip">{d.scope}</span>
            <span className="muted small">{d.revokedAt ? `revoked ${when(d.revokedAt)}` : `seen ${when(d.lastSeenAt)}`}</span>
            {!d.revokedAt && (
              <button type="button" className="secondary danger-text" onClick={() => void revoke(d)}>
                Revoke
              </button>
            )}
          </li>
        ))}
      </ul>
      {audit.length > 0 && (
        <details className="audit">
          <summary>Recent activity</summary>
          <ol>
            {audit.map((a) => (
              <li key={a.id} className="small">
                <span className="muted">{new Date(a.at).toLocaleTimeString()}</span> {a.kind.replace(/_/g, " ")}
                {a.deviceName ? ` · ${a.deviceName}` : ""} · {a.detail}
              </li>
            ))}
          </ol>
        </details>
      )}
    </section>
  );
}
