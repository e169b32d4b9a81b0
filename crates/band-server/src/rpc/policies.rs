//! `policy.show`, `policy.set` and `audit.actions`: a scope named by project name, workspace
//! selector or chat id is resolved to band-core's [`PolicyScope`], and each rule's scope is named
//! back (`project app`, `workspace app/feature`, `chat 3`).

use band_core::ports::{ActionEntry, ActionFilter, ActionKind};
use band_core::services::EffectivePolicy;
use band_core::{ChatId, CoreError, Decider, PolicyAssignment, PolicyKey, PolicyRules, PolicyScope, Problem};
use jsonrpsee::RpcModule;

use super::convert::decision_info;
use super::{ApiContext, Reg, add};
use band_api::{self as api};

pub(super) fn methods(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::PolicyShow, _, _>(m, |c, p| async move {
        let scope = scope(&c, p.project.as_deref(), p.workspace.as_deref(), p.chat).await?;
        let mut shown = info(&c, c.policies.effective(scope).await?).await?;
        if let PolicyScope::Chat(chat) = scope {
            for b in c.chats.budgets(chat).await? {
                shown.budgets.push(api::BudgetStatusInfo {
                    key: b.key.name().to_owned(),
                    at: scope_params(&c, b.at).await?,
                    state: if b.spent >= b.limit {
                        "spent"
                    } else if b.spent * 5 >= b.limit * 4 {
                        "warning"
                    } else {
                        "ok"
                    }
                    .to_owned(),
                    rule: b.rule,
                    scope: b.scope,
                    limit: b.limit,
                    spent: b.spent,
                    shown: b.shown,
                });
            }
        }
        Ok(shown)
    })?;
    add::<api::PolicySet, _, _>(m, |c, p| async move {
        let scope = scope(&c, p.project.as_deref(), p.workspace.as_deref(), p.chat).await?;
        let assignments = p.set.iter().map(|a| PolicyAssignment::parse(a)).collect::<Result<Vec<_>, _>>()?;
        info(&c, c.policies.set(scope, &assignments).await?).await
    })?;
    add::<api::AuditActions, _, _>(m, |c, p| async move {
        let workspace = match &p.workspace {
            Some(w) => Some(c.workspaces.resolve(w).await?.1.id),
            None => None,
        };
        let filter = ActionFilter {
            kind: p.kind.map(kind),
            chat: p.chat.map(ChatId),
            workspace,
            decider: p.decider.map(decider),
            since: p.since,
            before: p.before,
            limit: p.limit.unwrap_or(100).clamp(1, 1000) as usize,
        };
        Ok(c.policies.actions(filter).await?.into_iter().map(action_info).collect())
    })
}

/// The scope the params name: global without any; at most one.
async fn scope(
    c: &ApiContext,
    project: Option<&str>,
    workspace: Option<&str>,
    chat: Option<i64>,
) -> Result<PolicyScope, CoreError> {
    match (project, workspace, chat) {
        (None, None, None) => Ok(PolicyScope::Global),
        (Some(p), None, None) => Ok(PolicyScope::Project(c.projects.get(p).await?.id)),
        (None, Some(w), None) => Ok(PolicyScope::Workspace(c.workspaces.resolve(w).await?.1.id)),
        (None, None, Some(id)) => {
            let chat = c.chats.get(ChatId(id)).await?;
            Ok(PolicyScope::Chat(chat.id))
        }
        _ => Err(CoreError::InvalidInput(Problem::new(
            "name one scope: project, workspace or chat (or none for the global policy)",
        ))),
    }
}

/// A scope as `policy.set` names it.
async fn scope_params(c: &ApiContext, scope: PolicyScope) -> Result<api::PolicyScopeParams, CoreError> {
    let mut params = api::PolicyScopeParams::default();
    match scope {
        PolicyScope::Global => {}
        PolicyScope::Project(id) => {
            let list = c.projects.list().await?;
            let project = list.iter().find(|p| p.id == id);
            let project =
                project.ok_or_else(|| CoreError::NotFound(Problem::new(format!("project {} is gone", id.0))))?;
            params.project = Some(project.name.to_string());
        }
        PolicyScope::Workspace(id) => params.workspace = Some(id.0.to_string()),
        PolicyScope::Chat(id) => params.chat = Some(id.0),
    }
    Ok(params)
}

/// A scope in words: `global`, `project app`, `workspace app/feature`, `chat 3`.
async fn scope_name(c: &ApiContext, scope: PolicyScope) -> String {
    match scope {
        PolicyScope::Global => "global".to_owned(),
        PolicyScope::Project(id) => match c.projects.list().await {
            Ok(list) => list
                .iter()
                .find(|p| p.id == id)
                .map_or_else(|| format!("project {}", id.0), |p| format!("project {}", p.name)),
            Err(_) => format!("project {}", id.0),
        },
        PolicyScope::Workspace(id) => match c.workspaces.resolve(&id.0.to_string()).await {
            Ok((p, w)) => format!("workspace {}/{}", p.name, w.branch),
            Err(_) => format!("workspace {}", id.0),
        },
        PolicyScope::Chat(id) => format!("chat {}", id.0),
    }
}

async fn info(c: &ApiContext, e: EffectivePolicy) -> Result<api::PolicyInfo, CoreError> {
    let mut layers = Vec::new();
    for (scope, rules) in &e.layers {
        layers.push(api::PolicyLayerInfo {
            scope: scope_name(c, *scope).await,
            rules: rule_infos(c, *scope, rules).await,
        });
    }
    let mut effective = Vec::new();
    for r in e.policy.rules() {
        effective.push(api::PolicyRuleInfo {
            key: r.key.name().to_owned(),
            value: r.value.to_string(),
            from: scope_name(c, r.scope).await,
        });
    }
    Ok(api::PolicyInfo {
        scope: scope_name(c, e.scope).await,
        effective,
        layers,
        keys: PolicyKey::ALL.iter().map(|k| k.name().to_owned()).collect(),
        budgets: Vec::new(),
    })
}

async fn rule_infos(c: &ApiContext, scope: PolicyScope, rules: &PolicyRules) -> Vec<api::PolicyRuleInfo> {
    let from = scope_name(c, scope).await;
    rules
        .values
        .iter()
        .map(|(k, v)| api::PolicyRuleInfo { key: k.name().to_owned(), value: v.to_string(), from: from.clone() })
        .collect()
}

fn kind(k: api::ActionKind) -> ActionKind {
    match k {
        api::ActionKind::ToolCall => ActionKind::ToolCall,
        api::ActionKind::CronRun => ActionKind::CronRun,
        api::ActionKind::PolicyChange => ActionKind::PolicyChange,
        api::ActionKind::TurnRefused => ActionKind::TurnRefused,
    }
}

fn kind_info(k: ActionKind) -> api::ActionKind {
    match k {
        ActionKind::ToolCall => api::ActionKind::ToolCall,
        ActionKind::CronRun => api::ActionKind::CronRun,
        ActionKind::PolicyChange => api::ActionKind::PolicyChange,
        ActionKind::TurnRefused => api::ActionKind::TurnRefused,
    }
}

pub fn decider(d: api::DecidedBy) -> Decider {
    match d {
        api::DecidedBy::User => Decider::User,
        api::DecidedBy::Mode => Decider::Mode,
        api::DecidedBy::Policy => Decider::Policy,
        api::DecidedBy::Budget => Decider::Budget,
    }
}

pub fn decider_info(d: Decider) -> api::DecidedBy {
    match d {
        Decider::User => api::DecidedBy::User,
        Decider::Mode => api::DecidedBy::Mode,
        Decider::Policy => api::DecidedBy::Policy,
        Decider::Budget => api::DecidedBy::Budget,
    }
}

fn action_info(e: ActionEntry) -> api::ActionInfo {
    let a = e.action;
    api::ActionInfo {
        id: e.id,
        at: e.at,
        kind: kind_info(a.kind),
        chat: a.chat.map(|c| c.0),
        workspace: a.workspace.map(|w| w.0),
        tool: a.tool,
        decision: a.decision.map(decision_info),
        decider: a.decider.map(decider_info),
        rule: a.rule,
        detail: a.detail,
    }
}
