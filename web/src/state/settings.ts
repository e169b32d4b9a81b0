// The server's settings (settings.get, never the token) and changing one (settings.set, main
// token only): what the Settings page shows and the new-chat forms take their defaults from.

import { useEffect, useState } from "react";
import type { SettingChanged, SettingsInfo } from "../api/types";
import { useBand, type Band } from "./band";

export function loadSettings(band: Band): Promise<SettingsInfo> {
  return band.rpc.call("settings.get", {});
}

/** Changes one setting; an empty value returns it to its default. */
export function setSetting(band: Band, key: string, value: string): Promise<SettingChanged> {
  return band.rpc.call("settings.set", { key, value });
}

/** The settings, loaded once per use (null until they are here, or when they could not be). */
export function useSettings(): [SettingsInfo | null, () => void] {
  const band = useBand();
  const [settings, setSettings] = useState<SettingsInfo | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let cancelled = false;
    loadSettings(band).then(
      (s) => !cancelled && setSettings(s),
      () => {},
    );
    return () => {
      cancelled = true;
    };
  }, [band, version]);
  return [settings, () => setVersion((v) => v + 1)];
}
