// The server's settings (settings.get, never the token) and changing one (settings.set, main
// token only): what the Settings page shows and the new-chat forms take their defaults from.

import { useCallback, useEffect, useRef, useState } from "react";
import type { AgentId, Mode, SettingChanged, SettingsInfo } from "../api/types";
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

/**
 * The agent and mode pickers of a new chat, starting from the settings' defaults once they are
 * here (unless the person picked already).
 */
export function useChatDefaults(): {
  agent: AgentId;
  mode: Mode;
  model: string;
  pickAgent(a: AgentId): void;
  pickMode(m: Mode): void;
  setModel(m: string): void;
} {
  const [settings] = useSettings();
  const [agent, setAgent] = useState<AgentId>("claude-code");
  const [mode, setMode] = useState<Mode>("ask");
  const [model, setModel] = useState("");
  const touched = useRef(false);
  useEffect(() => {
    if (!settings || touched.current) return;
    if (settings.defaults?.agent) setAgent(settings.defaults.agent);
    if (settings.defaults?.mode) setMode(settings.defaults.mode);
    if (settings.defaults?.model) setModel(settings.defaults.model);
  }, [settings]);
  const pickAgent = useCallback((a: AgentId) => {
    touched.current = true;
    setAgent(a);
  }, []);
  const pickMode = useCallback((m: Mode) => {
    touched.current = true;
    setMode(m);
  }, []);
  return { agent, mode, model, pickAgent, pickMode, setModel };
}
