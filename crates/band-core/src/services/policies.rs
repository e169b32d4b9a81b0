//! Policies: the rules of each scope, merged for a chat, and the audit of agent actions.
//!
//! The rules and the merge are [`crate::policy`]'s (pure); this service loads the scopes that
//! apply (global, the chat's project, its workspace, the chat), refuses a narrower setting that
//! would loosen a broader one, records every change and decision in the [`ActionAudit`], and
//! answers [`Policies::for_chat`] for the chat service's permission path.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::Workspaces;
use crate::chat::{Chat, Decider, PermissionDecision};
use crate::error::{CoreError, Problem, StoreError};
use crate::model::{ChatId, WorkspaceId};
use crate::policy::{Policy, PolicyAssignment, PolicyRules, PolicyScope, Refusal, ToolCall, check_tightens};
use crate::ports::{
    ActionAudit, ActionEntry, ActionFilter, ActionKind, ChatStore, NewAction, PolicyStore, ToolClassifier,
};

/// How many agent actions the audit keeps by default.
pub const ACTIONS_KEEP: usize = 100_000;

/// What the policy service needs.
pub struct PolicyPorts {
    pub store: Arc<dyn PolicyStore>,
    pub audit: Arc<dyn ActionAudit>,
    pub classifier: Arc<dyn ToolClassifier>,
    pub chats: Arc<dyn ChatStore>,
    /// How many agent actions the audit keeps (the oldest go first).
    pub keep: usize,
}

/// A scope's effective policy, with the layers it was merged from.
#[derive(Debug, Clone)]
pub struct EffectivePolicy {
    pub scope: PolicyScope,
    /// Broadest first; the last is `scope` itself.
    pub layers: Vec<(PolicyScope, PolicyRules)>,
    pub policy: Policy,
}

#[derive(Clone)]
pub struct Policies {
    inner: Arc<Inner>,
}

struct Inner {
    workspaces: Arc<Workspaces>,
    ports: PolicyPorts,
    /// Each chat's merged policy, as the permission path needs it on every tool call. This
    /// service is the only writer of policies (one server per band home), so a change clears it.
    compiled: Mutex<HashMap<ChatId, Arc<Policy>>>,
    /// Bumped by every change, so a merge read before it is not kept after it.
    generation: AtomicU64,
}

impl Policies {
    pub fn new(workspaces: Arc<Workspaces>, ports: PolicyPorts) -> Self {
        Self {
            inner: Arc::new(Inner {
                workspaces,
                ports,
                compiled: Mutex::new(HashMap::new()),
                generation: AtomicU64::new(0),
            }),
        }
    }

    /// `scope` and every broader scope, broadest first.
    ///
    /// # Errors
    /// `NotFound` for a chat or workspace that is gone.
    pub async fn chain(&self, scope: PolicyScope) -> Result<Vec<PolicyScope>, CoreError> {
        let chat = match scope {
            PolicyScope::Chat(id) => Some((id, self.chat_workspace(id).await?)),
            _ => None,
        };
        let workspace = match (scope, chat) {
            (PolicyScope::Workspace(w), _) | (_, Some((_, w))) => Some(w),
            _ => None,
        };
        let project = match (scope, workspace) {
            (PolicyScope::Project(p), _) => Some(p),
            (_, Some(w)) => Some(self.inner.workspaces.resolve(&w.0.to_string()).await?.1.project_id),
            _ => None,
        };
        let mut out = vec![PolicyScope::Global];
        out.extend(project.map(PolicyScope::Project));
        out.extend(workspace.map(PolicyScope::Workspace));
        out.extend(chat.map(|(c, _)| PolicyScope::Chat(c)));
        Ok(out)
    }

    async fn chat_workspace(&self, id: ChatId) -> Result<WorkspaceId, CoreError> {
        match self.inner.ports.chats.chat(id).await {
            Ok(chat) => Ok(chat.workspace_id),
            Err(StoreError::NotFound(_)) => Err(CoreError::NotFound(
                Problem::new(format!("no chat {}", id.0)).fix(crate::Fix::SeeList(crate::ListOf::Chats)),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// The effective policy at `scope`, with the layers it merges.
    ///
    /// # Errors
    /// `NotFound` for a scope that is gone; store failures.
    pub async fn effective(&self, scope: PolicyScope) -> Result<EffectivePolicy, CoreError> {
        let mut layers = Vec::new();
        for s in self.chain(scope).await? {
            layers.push((s, self.inner.ports.store.policy(s).await?));
        }
        let policy = Policy::merge(&layers);
        Ok(EffectivePolicy { scope, layers, policy })
    }

    /// The effective policy of a chat (on its permission path).
    ///
    /// # Errors
    /// Store failures.
    pub async fn for_chat(&self, chat: &Chat) -> Result<Arc<Policy>, CoreError> {
        if let Some(p) = self.inner.compiled.lock().unwrap_or_else(|p| p.into_inner()).get(&chat.id) {
            return Ok(p.clone());
        }
        let generation = self.inner.generation.load(Ordering::SeqCst);
        let project = self.inner.workspaces.resolve(&chat.workspace_id.0.to_string()).await?.1.project_id;
        let mut layers = Vec::with_capacity(4);
        for s in [
            PolicyScope::Global,
            PolicyScope::Project(project),
            PolicyScope::Workspace(chat.workspace_id),
            PolicyScope::Chat(chat.id),
        ] {
            layers.push((s, self.inner.ports.store.policy(s).await?));
        }
        let policy = Arc::new(Policy::merge(&layers));
        let mut compiled = self.inner.compiled.lock().unwrap_or_else(|p| p.into_inner());
        if self.inner.generation.load(Ordering::SeqCst) == generation {
            compiled.insert(chat.id, policy.clone());
        }
        Ok(policy)
    }

    /// Applies assignments at `scope` (a `None` value removes the key), refusing any that would
    /// loosen a broader scope, and records the change in the audit.
    ///
    /// # Errors
    /// `Refused` naming the broader rule; `InvalidInput` for no assignment; `NotFound` for a
    /// scope that is gone.
    pub async fn set(
        &self,
        scope: PolicyScope,
        assignments: &[PolicyAssignment],
    ) -> Result<EffectivePolicy, CoreError> {
        if assignments.is_empty() {
            return Err(CoreError::InvalidInput(Problem::new(format!(
                "no KEY=VALUE given; the keys are {}",
                crate::policy::PolicyKey::names()
            ))));
        }
        let current = self.effective(scope).await?;
        check_tightens(scope, &current.layers, assignments)?;
        let mut rules = current.layers.last().map(|(_, r)| r.clone()).unwrap_or_default();
        rules.apply(assignments);
        self.inner.ports.store.put_policy(scope, rules).await?;
        {
            let mut compiled = self.inner.compiled.lock().unwrap_or_else(|p| p.into_inner());
            self.inner.generation.fetch_add(1, Ordering::SeqCst);
            compiled.clear();
        }
        let detail = assignments
            .iter()
            .map(|a| format!("{}={}", a.key, a.value.as_ref().map(ToString::to_string).unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(" ");
        let (chat, workspace) = match scope {
            PolicyScope::Chat(c) => (Some(c), None),
            PolicyScope::Workspace(w) => (None, Some(w)),
            _ => (None, None),
        };
        self.record(NewAction {
            kind: ActionKind::PolicyChange,
            chat,
            workspace,
            tool: None,
            decision: None,
            decider: Some(Decider::User),
            rule: None,
            detail: format!("{scope}: {detail}"),
        })
        .await;
        self.effective(scope).await
    }

    /// A scope that applies to `chat` in words: `global`, `project app`, `workspace app/feat`,
    /// `chat 3` (ids when the names cannot be read).
    pub async fn label(&self, chat: &Chat, scope: PolicyScope) -> String {
        let names = self.inner.workspaces.resolve(&chat.workspace_id.0.to_string()).await.ok();
        match (scope, names) {
            (PolicyScope::Project(id), Some((p, _))) if p.id == id => format!("project {}", p.name),
            (PolicyScope::Workspace(id), Some((p, w))) if w.id == id => format!("workspace {}/{}", p.name, w.branch),
            (scope, _) => scope.to_string(),
        }
    }

    /// A refusal in words, its scope named (`canRunCommands=false (project app)`).
    pub async fn explain(&self, chat: &Chat, refusal: &Refusal) -> String {
        let mut out = format!("{} ({})", refusal.rule, self.label(chat, refusal.scope).await);
        if let Some(s) = &refusal.subject {
            out.push_str(&format!(" for {s}"));
        }
        out
    }

    /// Classifies an agent's permission request (see [`ToolClassifier`]).
    pub fn classify(&self, tool: &str, input: &str, edit: bool, workspace: &Path) -> ToolCall {
        self.inner.ports.classifier.classify(tool, input, edit, workspace)
    }

    /// Records an agent action; a failure is logged by the store's caller, never the agent's.
    pub async fn record(&self, action: NewAction) {
        // The audit must not stop an agent: a failed write is reported as an error event by the
        // edge's logs (the store logs its own errors), and the decision stands.
        let _ = self.inner.ports.audit.append_action(action, self.inner.ports.keep).await;
    }

    /// Records a tool call's decision.
    pub async fn record_call(
        &self,
        chat: &Chat,
        call: &ToolCall,
        decision: PermissionDecision,
        decider: Decider,
        rule: Option<String>,
    ) {
        self.record(NewAction {
            kind: ActionKind::ToolCall,
            chat: Some(chat.id),
            workspace: Some(chat.workspace_id),
            tool: Some(call.tool.clone()),
            decision: Some(decision),
            decider: Some(decider),
            rule,
            detail: describe(call),
        })
        .await;
    }

    /// The audit of agent actions.
    ///
    /// # Errors
    /// Store failures.
    pub async fn actions(&self, filter: ActionFilter) -> Result<Vec<ActionEntry>, CoreError> {
        Ok(self.inner.ports.audit.actions(filter).await?)
    }
}

/// A tool call in a line: its command line or its action and paths.
pub fn describe(call: &ToolCall) -> String {
    use crate::policy::ToolAction;
    let what = match &call.action {
        ToolAction::RunCommand { command } => return command.clone(),
        ToolAction::CreateFile => "create",
        ToolAction::EditFile => "edit",
        ToolAction::Other => "",
    };
    let paths = call.paths.join(" ");
    match (what, paths.is_empty()) {
        ("", _) => paths,
        (w, true) => w.to_owned(),
        (w, false) => format!("{w} {paths}"),
    }
}
