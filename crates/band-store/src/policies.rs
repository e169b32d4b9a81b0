//! [`PolicyStore`] on the `policies` table (one row per scope, the rules as `KEY=VALUE` lines
//! band-core parses) and [`ActionAudit`] on `agent_actions`, pruned to the newest `keep` entries
//! in the transaction of each append.

use async_trait::async_trait;
use band_core::ports::{ActionAudit, ActionEntry, ActionFilter, ActionKind, NewAction, PolicyStore};
use band_core::{
    ChatId, Decider, PermissionDecision, PolicyAssignment, PolicyRules, PolicyScope, ProjectId, StoreError, WorkspaceId,
};
use diesel::prelude::*;

use crate::errors::{corrupt_row, from_diesel};
use crate::schema::{agent_actions, policies};
use crate::{SqliteStore, now, transaction};

fn key(scope: PolicyScope) -> String {
    match scope {
        PolicyScope::Global => "global".to_owned(),
        PolicyScope::Project(ProjectId(id)) => format!("project:{id}"),
        PolicyScope::Workspace(WorkspaceId(id)) => format!("workspace:{id}"),
        PolicyScope::Chat(ChatId(id)) => format!("chat:{id}"),
    }
}

fn rules_text(rules: &PolicyRules) -> String {
    rules.values.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
}

fn parse_rules(scope: &str, text: &str) -> Result<PolicyRules, StoreError> {
    let mut rules = PolicyRules::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let a =
            PolicyAssignment::parse(line).map_err(|e| corrupt_row("policies", 0, format!("scope '{scope}': {e}")))?;
        rules.apply(&[a]);
    }
    Ok(rules)
}

#[async_trait]
impl PolicyStore for SqliteStore {
    async fn policy(&self, scope: PolicyScope) -> Result<PolicyRules, StoreError> {
        let k = key(scope);
        let text: Option<String> = self
            .read(move |conn| {
                policies::table.find(k).select(policies::rules).first(conn).optional().map_err(from_diesel)
            })
            .await?;
        text.map_or_else(|| Ok(PolicyRules::default()), |t| parse_rules(&key(scope), &t))
    }

    async fn put_policy(&self, scope: PolicyScope, rules: PolicyRules) -> Result<(), StoreError> {
        let k = key(scope);
        let text = rules_text(&rules);
        self.write(move |conn| {
            if text.is_empty() {
                diesel::delete(policies::table.find(k)).execute(conn).map_err(from_diesel)?;
            } else {
                diesel::insert_into(policies::table)
                    .values((policies::scope.eq(&k), policies::rules.eq(&text), policies::updated_at.eq(now())))
                    .on_conflict(policies::scope)
                    .do_update()
                    .set((policies::rules.eq(&text), policies::updated_at.eq(now())))
                    .execute(conn)
                    .map_err(from_diesel)?;
            }
            Ok(())
        })
        .await
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = agent_actions, check_for_backend(diesel::sqlite::Sqlite))]
struct ActionRow {
    id: i64,
    at: i64,
    kind: String,
    chat_id: Option<i64>,
    workspace_id: Option<i64>,
    tool: Option<String>,
    decision: Option<String>,
    decider: Option<String>,
    rule: Option<String>,
    detail: String,
}

#[derive(Insertable)]
#[diesel(table_name = agent_actions)]
struct NewActionRow {
    at: i64,
    kind: String,
    chat_id: Option<i64>,
    workspace_id: Option<i64>,
    tool: Option<String>,
    decision: Option<String>,
    decider: Option<String>,
    rule: Option<String>,
    detail: String,
}

/// How a decider is spelled in the table (and on the wire).
pub fn decider_name(d: Decider) -> &'static str {
    match d {
        Decider::User => "user",
        Decider::Mode => "mode",
        Decider::Policy => "policy",
        Decider::Budget => "budget",
    }
}

fn decider_of(s: &str) -> Option<Decider> {
    [Decider::User, Decider::Mode, Decider::Policy, Decider::Budget].into_iter().find(|d| decider_name(*d) == s)
}

fn decision_name(d: PermissionDecision) -> &'static str {
    match d {
        PermissionDecision::Allow => "allow",
        PermissionDecision::Deny => "deny",
    }
}

impl TryFrom<ActionRow> for ActionEntry {
    type Error = StoreError;

    fn try_from(row: ActionRow) -> Result<Self, StoreError> {
        let bad = |what: String| corrupt_row("agent_actions", row.id, what);
        let kind = ActionKind::parse(&row.kind).ok_or_else(|| bad(format!("kind '{}'", row.kind)))?;
        let decision = match row.decision.as_deref() {
            None => None,
            Some("allow") => Some(PermissionDecision::Allow),
            Some("deny") => Some(PermissionDecision::Deny),
            Some(other) => return Err(bad(format!("decision '{other}'"))),
        };
        let decider = match row.decider.as_deref() {
            None => None,
            Some(d) => Some(decider_of(d).ok_or_else(|| bad(format!("decider '{d}'")))?),
        };
        Ok(ActionEntry {
            id: row.id,
            at: row.at,
            action: NewAction {
                kind,
                chat: row.chat_id.map(ChatId),
                workspace: row.workspace_id.map(WorkspaceId),
                tool: row.tool,
                decision,
                decider,
                rule: row.rule,
                detail: row.detail,
            },
        })
    }
}

#[async_trait]
impl ActionAudit for SqliteStore {
    async fn append_action(&self, action: NewAction, keep: usize) -> Result<ActionEntry, StoreError> {
        let row = NewActionRow {
            at: now(),
            kind: action.kind.name().to_owned(),
            chat_id: action.chat.map(|c| c.0),
            workspace_id: action.workspace.map(|w| w.0),
            tool: action.tool,
            decision: action.decision.map(|d| decision_name(d).to_owned()),
            decider: action.decider.map(|d| decider_name(d).to_owned()),
            rule: action.rule,
            detail: action.detail,
        };
        let keep = i64::try_from(keep.max(1)).unwrap_or(i64::MAX);
        self.write(move |conn| {
            transaction(conn, |conn| {
                let stored = diesel::insert_into(agent_actions::table)
                    .values(&row)
                    .returning(ActionRow::as_returning())
                    .get_result(conn)
                    .map_err(from_diesel)?;
                // Ids increase and are never reused: everything at or below (newest - keep) goes.
                diesel::delete(agent_actions::table.filter(agent_actions::id.le(stored.id - keep)))
                    .execute(conn)
                    .map_err(from_diesel)?;
                Ok(stored)
            })
        })
        .await?
        .try_into()
    }

    async fn actions(&self, filter: ActionFilter) -> Result<Vec<ActionEntry>, StoreError> {
        let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
        let rows = self
            .read(move |conn| {
                let mut q = agent_actions::table
                    .select(ActionRow::as_select())
                    .order(agent_actions::id.desc())
                    .limit(limit)
                    .into_boxed();
                if let Some(k) = filter.kind {
                    q = q.filter(agent_actions::kind.eq(k.name()));
                }
                if let Some(c) = filter.chat {
                    q = q.filter(agent_actions::chat_id.eq(c.0));
                }
                if let Some(w) = filter.workspace {
                    q = q.filter(agent_actions::workspace_id.eq(w.0));
                }
                if let Some(d) = filter.decider {
                    q = q.filter(agent_actions::decider.eq(decider_name(d)));
                }
                if let Some(since) = filter.since {
                    q = q.filter(agent_actions::at.ge(since));
                }
                if let Some(before) = filter.before {
                    q = q.filter(agent_actions::id.lt(before));
                }
                q.load(conn).map_err(from_diesel)
            })
            .await?;
        rows.into_iter().map(ActionEntry::try_from).collect()
    }
}
