import type { TunnelInfo } from "../api/types";
import { fakeBand } from "./fakeRpc";
import { AUDIT_SHOWN, loadDevices, pairDevice, revokeDevice, startTunnel, stopTunnel, watchTunnel } from "./remote";

test("remote access: the tunnel followed and driven, devices paired, listed with the audit, revoked", async () => {
  const { band, fake } = fakeBand((method) => {
    switch (method) {
      case "devices.list":
        return [{ id: 3, name: "phone", scope: "read", createdAt: 1 }];
      case "audit.list":
        return [{ id: 9, at: 1, kind: "device_paired", detail: "phone" }];
      case "tunnel.start":
      case "tunnel.stop":
        return { state: "stopped" };
    }
  });
  const states: string[] = [];
  const stop = watchTunnel(band, (t) => states.push(t.state));
  const [sub] = fake.open("tunnel");
  sub.deliver({ state: "running", provider: "bore", url: "http://bore.pub:4000" } as TunnelInfo);
  stop();
  sub.deliver({ state: "stopped" } as TunnelInfo);
  expect(states).toEqual(["running"]);

  await startTunnel(band, "");
  await startTunnel(band, "bore");
  await stopTunnel(band);
  await pairDevice(band, "phone", "read");
  const { devices, audit } = await loadDevices(band);
  expect(devices.map((d) => d.name)).toEqual(["phone"]);
  expect(audit.map((a) => a.id)).toEqual([9]);
  await revokeDevice(band, 3);
  expect(fake.calls).toEqual([
    ["tunnel.start", { provider: undefined }], // none chosen: the configured provider
    ["tunnel.start", { provider: "bore" }],
    ["tunnel.stop", {}],
    ["devices.pair", { name: "phone", scope: "read" }],
    ["devices.list", {}],
    ["audit.list", { limit: AUDIT_SHOWN }],
    ["devices.revoke", { device: "3" }],
  ]);
});
