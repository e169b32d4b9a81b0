// The agents band can run (`agents.list`), for the agent pickers: installed ones first (the
// server's order), each with its version, and how to install the others. Loaded once per
// connection's `Band` and shared by every picker; `reloadAgents` asks again (after installing one).

import { useEffect, useState } from "react";
import type { AgentId, AgentInfo, InstallInfo } from "../api/types";
import { useBand, type Band } from "./band";

const loaded = new WeakMap<Band, Promise<AgentInfo[]>>();

/** The agent list, asked once per `Band` (a failed load is asked again next time). */
export function loadAgents(band: Band, fresh = false): Promise<AgentInfo[]> {
  let list = fresh ? undefined : loaded.get(band);
  if (!list) {
    list = band.rpc.call("agents.list", {});
    list.catch(() => loaded.delete(band));
    loaded.set(band, list);
  }
  return list;
}

/** How to install an agent, in the dashboard's words. */
export function installText(install: InstallInfo | null | undefined): string {
  if (!install) return "install it on the machine running band";
  return install.type === "npm" ? `npm install -g ${install.package}` : `see ${install.url}`;
}

/** One entry of a picker. */
export interface AgentChoice {
  id: AgentId;
  label: string;
  /** Installed and of a protocol band runs: a chat can start with it. */
  usable: boolean;
  /** What to do before it can be used, when it cannot. */
  hint?: string;
}

/** The picker's entries: usable agents first, then the others with what they need. */
export function agentChoices(list: AgentInfo[]): AgentChoice[] {
  const choice = (a: AgentInfo): AgentChoice => {
    const version = a.version ? ` ${a.version}` : "";
    if (a.installed && a.runnable) return { id: a.id, label: `${a.name}${version}`, usable: true };
    const hint = a.installed ? `band does not run ${a.protocol} agents yet` : installText(a.install);
    return { id: a.id, label: a.name, usable: false, hint };
  };
  const all = list.map(choice);
  return [...all.filter((c) => c.usable), ...all.filter((c) => !c.usable)];
}

/** The agent a new chat starts with: Claude Code when it is usable, else the first usable one. */
export function defaultAgent(choices: AgentChoice[]): AgentId {
  const usable = choices.filter((c) => c.usable);
  return (usable.find((c) => c.id === "claude-code") ?? usable[0])?.id ?? "claude-code";
}

/** The agents for a picker; empty until loaded. */
export function useAgents(): { choices: AgentChoice[]; error: boolean } {
  const band = useBand();
  const [choices, setChoices] = useState<AgentChoice[]>([]);
  const [error, setError] = useState(false);
  useEffect(() => {
    let cancelled = false;
    loadAgents(band).then(
      (list) => !cancelled && setChoices(agentChoices(list)),
      () => !cancelled && setError(true),
    );
    return () => {
      cancelled = true;
    };
  }, [band]);
  return { choices, error };
}
