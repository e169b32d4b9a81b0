// Remote access, for the main token's browser: the tunnel (followed live through
// tunnel.subscribe), pairing a device, the paired devices and the newest audit entries.

import type { DeviceScope, TunnelInfo, TunnelProvider } from "../api/types";
import type { Band } from "./band";

/** How many of the newest audit entries the panel shows. */
export const AUDIT_SHOWN = 20;

/** Follows the tunnel's state: the current one first, then each change. Returns the stop. */
export function watchTunnel(band: Band, onState: (t: TunnelInfo) => void): () => void {
  return band.rpc.subscribeTunnel(onState);
}

/** Starts the tunnel with `provider` (empty: the one settings.json configures, else a cloudflared
 * quick tunnel). */
export function startTunnel(band: Band, provider: TunnelProvider | "") {
  return band.rpc.call("tunnel.start", { provider: provider || undefined });
}

export function stopTunnel(band: Band) {
  return band.rpc.call("tunnel.stop", {});
}

/** A one-time pairing link (and its QR code) for a device called `name`. */
export function pairDevice(band: Band, name: string, scope: DeviceScope) {
  return band.rpc.call("devices.pair", { name, scope });
}

/** The paired devices (revoked ones too) and the newest audit entries. */
export async function loadDevices(band: Band) {
  const [devices, audit] = await Promise.all([band.rpc.call("devices.list", {}), band.rpc.call("audit.list", { limit: AUDIT_SHOWN })]);
  return { devices, audit };
}

export function revokeDevice(band: Band, device: number) {
  return band.rpc.call("devices.revoke", { device: String(device) });
}
