// Policies and the audit of agent actions: the calls the Policies page makes (policy.show,
// policy.set, audit.actions), and the JSON-lines export that pages through every match.

import type { ActionInfo, AuditActionsParams, PolicyInfo, PolicyScopeParams } from "../api/types";
import type { Band } from "./band";

export function showPolicy(band: Band, scope: PolicyScopeParams): Promise<PolicyInfo> {
  return band.rpc.call("policy.show", scope);
}

export function setPolicy(band: Band, scope: PolicyScopeParams, set: string[]): Promise<PolicyInfo> {
  return band.rpc.call("policy.set", { ...scope, set });
}

export function auditActions(band: Band, params: AuditActionsParams): Promise<ActionInfo[]> {
  return band.rpc.call("audit.actions", params);
}

/** Every action matching `params`, newest first, as JSON lines. */
export async function exportActions(band: Band, params: AuditActionsParams): Promise<string> {
  const all: ActionInfo[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await auditActions(band, { ...params, limit: 1000, before });
    all.push(...page);
    if (page.length < 1000) break;
    before = page[page.length - 1].id;
  }
  return all.map((a) => JSON.stringify(a)).join("\n") + (all.length ? "\n" : "");
}
