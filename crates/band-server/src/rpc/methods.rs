//! The methods of [`band_api::METHODS`], each registered with [`super::add`]: parse, call the
//! service, convert the result.

use std::path::Path;

use band_core::ports::UsageScope;
use band_core::services::{ChatDefaults, CommentSpec, CreateChat, CreateTerminal, Files};
use band_core::{
    ChatId, ChatName, ChatPatch, CoreError, DeviceName, LabelKey, Labels, LayoutScope, ModelName, QueuedId,
    ReviewCommentId, TerminalId,
};
use jsonrpsee::RpcModule;

use super::convert::*;
use super::*;
use band_api::{self as api};

pub(super) fn access(m: &mut RpcModule<ApiContext>) -> Reg {
    add_as::<api::DevicesPair, _, _>(m, |c, p, caller| async move {
        let name = DeviceName::new(&p.name)?;
        let scope = p.scope.map_or(band_core::Scope::Read, device_scope);
        crate::access::pairing_info(c.auth.access.start_pairing(&caller, name, scope).await?)
    })?;
    add::<api::DevicesList, _, _>(m, |c, _| async move {
        Ok(c.auth.access.devices().await?.iter().map(crate::access::device_info).collect())
    })?;
    add_as::<api::DevicesRevoke, _, _>(m, |c, p, caller| async move {
        Ok(crate::access::device_info(&c.auth.access.revoke(&caller, &p.device).await?))
    })?;
    add::<api::AuditList, _, _>(m, |c, p| async move {
        let entries = c.auth.access.audit_page(p.before, p.limit.unwrap_or(100) as usize).await?;
        Ok(entries.into_iter().map(audit_entry_info).collect())
    })?;
    add_as::<api::AuthWhoami, _, _>(m, |_, _, caller| async move { Ok(crate::access::whoami(&caller)) })?;
    add_as::<api::TokenRotate, _, _>(m, |c, _, caller| async move { c.auth.rotate(&caller).await })
}

pub(super) fn tunnel(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::TunnelStart, _, _>(m, |c, p| async move {
        let target = c.tunnel_target()?;
        Ok(tunnel_info(&c.tunnels.start(p.provider.map(|p| p.as_str()), target).await?))
    })?;
    add::<api::TunnelStop, _, _>(m, |c, _| async move { Ok(tunnel_info(&c.tunnels.stop().await)) })?;
    add::<api::TunnelStatus, _, _>(m, |c, _| async move { Ok(tunnel_info(&c.tunnels.status())) })
}

pub(super) fn projects(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::ProjectsAdd, _, _>(m, |c, p| async move {
        Ok(project_info(&c.projects.add(Path::new(&p.path), p.name.as_deref()).await?))
    })?;
    add::<api::ProjectsList, _, _>(m, |c, _| async move {
        Ok(c.projects.list().await?.iter().map(project_info).collect())
    })?;
    add::<api::ProjectsRemove, _, _>(m, |c, p| async move { Ok(project_info(&c.projects.remove(&p.name).await?)) })?;
    add::<api::ProjectsPurge, _, _>(m, |c, p| async move {
        let r = c.teardown.remove_project(&c.projects, &p.name, p.force).await?;
        Ok(api::ProjectPurgedInfo {
            name: p.name,
            project_removed: r.project.is_some(),
            removed: r
                .removed
                .iter()
                .map(|(w, t)| api::WorkspaceRemoved {
                    workspace: workspace_info(w.project.as_str(), &w.workspace, false),
                    branch_deleted: w.branch_deleted,
                    branch_kept_because: w.branch_kept_because.clone(),
                    teardown: teardown_info(w.project.as_str(), t),
                })
                .collect(),
            warnings: r.warnings,
        })
    })?;
    add::<api::ProjectsConfig, _, _>(m, |c, p| async move { Ok(config_info(&c.setup.view(&p.name).await?)) })?;
    add::<api::ProjectsTrust, _, _>(
        m,
        |c, p| async move { Ok(config_info(&c.setup.trust(&p.project, &p.hash).await?)) },
    )?;
    add::<api::ProjectsUntrust, _, _>(m, |c, p| async move { Ok(config_info(&c.setup.untrust(&p.name).await?)) })?;
    add::<api::ProjectsConfigSet, _, _>(m, |c, p| async move {
        let document = match p.config {
            None | Some(serde_json::Value::Null) => None,
            Some(v @ serde_json::Value::Object(_)) => {
                Some(serde_json::to_string(&v).map_err(|e| CoreError::Internal(Box::new(e)))?)
            }
            Some(_) => return Err(CoreError::InvalidInput("config must be a JSON object, or null".into())),
        };
        Ok(config_info(&c.setup.set_override(&p.project, document).await?))
    })
}

pub(super) fn workspaces(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::WorkspacesCreate, _, _>(m, |c, p| async move {
        if p.prompt.is_none() && (p.agent.is_some() || p.model.is_some() || p.mode.is_some() || p.via.is_some()) {
            return Err(CoreError::InvalidInput("agent, model, mode and via go with a prompt; add one".into()));
        }
        // The chat's settings are checked before anything is made: a refused request changes nothing.
        // What the request does not name comes from the project's defaults, then the settings'.
        let mut chosen = ChatDefaults {
            agent: p.agent.as_ref().map(agent).transpose()?,
            model: p.model.as_deref().map(ModelName::new).transpose()?,
            mode: p.mode.map(mode),
        };
        if p.prompt.is_some() {
            let defaults = c.setup.chat_defaults(&p.project, settings_defaults(&c.live.defaults())?).await?;
            chosen = ChatDefaults {
                agent: chosen.agent.or(defaults.agent),
                model: chosen.model.or(defaults.model),
                mode: chosen.mode.or(defaults.mode),
            };
            c.chats.check_agent(chosen.agent.as_ref(), p.via.map(via_from))?;
        }
        // A pull request's branch, fetched when the repository lacks it, with its base.
        let from_pr = match (&p.pr, p.direct, &p.branch, &p.base) {
            (None, ..) => None,
            (Some(pr), false, None, None) => Some(c.pulls.branch_of(&p.project, pr).await?),
            (Some(_), ..) => {
                return Err(CoreError::InvalidInput(
                    "a workspace from a pull request is made on its branch, from its base: give no branch, base or direct with pr".into(),
                ));
            }
        };
        let (ws, created, provisioned) = match (p.direct, p.branch.as_deref()) {
            (false, None) if let Some((branch, base)) = &from_pr => {
                c.setup.create_workspace(&p.project, branch.as_str(), Some(base.as_str())).await?
            }
            (true, None) if p.base.is_none() => {
                let (ws, created) = c.workspaces.create_direct(&p.project).await?;
                (ws, created, band_core::Provisioned::skipped())
            }
            (true, _) => {
                return Err(CoreError::InvalidInput(
                    "a direct workspace is the checkout on the branch it has checked out: give no branch or base with direct"
                        .into(),
                ));
            }
            (false, Some(branch)) => c.setup.create_workspace(&p.project, branch, p.base.as_deref()).await?,
            (false, None) => {
                return Err(CoreError::InvalidInput(
                    "give the new workspace's branch, or direct: true to work in the project's checkout".into(),
                ));
            }
        };
        let chat = match p.prompt {
            None => None,
            Some(prompt) => {
                let req = CreateChat {
                    workspace: ws.id.0.to_string(),
                    agent: chosen.agent,
                    model: chosen.model,
                    mode: chosen.mode,
                    via: p.via.map(via_from),
                    ..CreateChat::default()
                };
                let chat = c.chats.create(req).await?;
                c.chats.send(chat.id, &prompt).await?;
                Some(chat_info(&c.chats.get(chat.id).await?))
            }
        };
        let missing = !created && c.workspaces.missing(&ws).await?;
        let setup = created.then(|| setup_info(&p.project, &provisioned));
        Ok(api::WorkspaceCreated { workspace: workspace_info(&p.project, &ws, missing), created, chat, setup })
    })?;
    add::<api::WorkspacesList, _, _>(m, |c, p| async move {
        let list = c.workspaces.list(p.project.as_deref()).await?;
        Ok(list.iter().map(|l| workspace_info(l.project.as_str(), &l.workspace, l.missing)).collect())
    })?;
    add::<api::WorkspacesGet, _, _>(m, |c, p| async move {
        let (project, ws) = c.workspaces.resolve(&p.workspace).await?;
        let missing = c.workspaces.missing(&ws).await?;
        Ok(workspace_info(project.name.as_str(), &ws, missing))
    })?;
    add::<api::WorkspacesStatus, _, _>(m, |c, p| async move {
        let s = c.workspaces.status(&p.workspace).await?;
        Ok(api::WorkspaceStatusInfo {
            workspace: workspace_info(s.project.as_str(), &s.workspace, false),
            dirty: !s.changes.is_empty(),
            changes: s
                .changes
                .iter()
                .map(|c| api::FileChangeInfo { path: c.path.clone(), kind: change_kind_info(c.kind) })
                .collect(),
            ahead: s.divergence.ahead,
            behind: s.divergence.behind,
        })
    })?;
    add::<api::WorkspacesDiff, _, _>(m, |c, p| async move {
        let d = c.workspaces.diff(&p.workspace).await?;
        Ok(api::WorkspaceDiffInfo {
            workspace: workspace_info(d.project.as_str(), &d.workspace, false),
            from: d.from,
            patch: d.patch,
        })
    })?;
    add::<api::WorkspacesRemove, _, _>(m, |c, p| async move {
        let (r, teardown) = c.teardown.remove(&p.workspace, p.force).await?;
        Ok(api::WorkspaceRemoved {
            workspace: workspace_info(r.project.as_str(), &r.workspace, false),
            branch_deleted: r.branch_deleted,
            branch_kept_because: r.branch_kept_because,
            teardown: teardown_info(r.project.as_str(), &teardown),
        })
    })?;
    add::<api::WorkspacesFacts, _, _>(
        m,
        |c, p| async move { Ok(facts_info(&c.lifecycle.facts(&p.workspace).await?)) },
    )?;
    add::<api::WorkspacesArchive, _, _>(m, |c, p| async move {
        let ws = c.lifecycle.archive(&p.workspace).await?;
        let (project, _) = c.workspaces.resolve(&ws.id.0.to_string()).await?;
        Ok(workspace_info(project.name.as_str(), &ws, false))
    })?;
    add::<api::WorkspacesRestore, _, _>(m, |c, p| async move {
        let ws = c.lifecycle.restore(&p.workspace).await?;
        let (project, _) = c.workspaces.resolve(&ws.id.0.to_string()).await?;
        Ok(workspace_info(project.name.as_str(), &ws, false))
    })?;
    add::<api::WorkspacesGc, _, _>(m, |c, p| async move {
        let days = p.idle_days.or(c.retention_days).unwrap_or(14);
        Ok(gc_info(days, &c.lifecycle.gc(days, p.apply).await?))
    })?;
    add::<api::WorkspacesMerge, _, _>(m, |c, p| async move {
        let message = match p.message {
            Some(m) => m,
            None => {
                // Drafted from the chats: their names say what the work was. A chat still under
                // its default name (its agent's, never prompted) says nothing of it.
                let (_, ws) = c.workspaces.resolve(&p.workspace).await?;
                let chats = c.chats.list(Some(&ws.id.0.to_string())).await?;
                let names: Vec<String> =
                    chats.iter().filter(|c| c.name.as_str() != c.agent.as_str()).map(|c| c.name.to_string()).collect();
                if names.is_empty() {
                    format!("{}: work from band", ws.branch)
                } else {
                    format!("{}: {}", ws.branch, names.join("; "))
                }
            }
        };
        let strategy = match p.strategy {
            Some(api::MergeStrategyName::Merge) => band_core::MergeStrategy::Merge,
            _ => band_core::MergeStrategy::Rebase,
        };
        let (project, ws, o) = c.workspaces.merge(&p.workspace, &message, strategy, p.push.unwrap_or(true)).await?;
        let (base_moved, base_kept_because) = match o.base_moved {
            Some(Ok(w)) => (Some(w), None),
            Some(Err(w)) => (None, Some(w)),
            None => (None, None),
        };
        let (pushed, push_failed) = match o.pushed {
            Some(Ok(r)) => (Some(r), None),
            Some(Err(w)) => (None, Some(w)),
            None => (None, None),
        };
        Ok(api::WorkspaceMergedInfo {
            workspace: workspace_info(project.name.as_str(), &ws, false),
            message,
            committed: o.committed,
            conflicts: o.conflicts,
            head: o.head,
            base_moved,
            base_kept_because,
            pushed,
            push_failed,
        })
    })?;
    add::<api::WorkspacesScripts, _, _>(m, |c, p| async move {
        Ok(c.setup.runs(&p.workspace).await?.iter().map(script_run_info).collect())
    })?;
    add::<api::WorkspacesSetup, _, _>(
        m,
        |c, p| async move { Ok(script_run_info(&c.setup.run_setup(&p.workspace).await?)) },
    )
}

pub(super) fn agents(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::AgentsList, _, _>(
        m,
        |c, _| async move { Ok(c.agents.list().await.iter().map(agent_status_info).collect()) },
    )
}

pub(super) fn chats(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::ChatsCreate, _, _>(m, |c, p| async move {
        let req = CreateChat {
            workspace: p.workspace,
            agent: p.agent.as_ref().map(agent).transpose()?,
            model: p.model.as_deref().map(ModelName::new).transpose()?,
            mode: p.mode.map(mode),
            name: p.name.as_deref().map(ChatName::new).transpose()?,
            labels: Labels::new(p.labels)?,
            via: p.via.map(via_from),
        };
        let req = c.setup.with_chat_defaults(req, settings_defaults(&c.live.defaults())?).await?;
        Ok(chat_info(&c.chats.create(req).await?))
    })?;
    add::<api::ChatsExport, _, _>(m, |c, p| async move {
        let transcript = c.chats.transcript(ChatId(p.chat)).await?;
        let format = p.format.unwrap_or(api::ExportFormat::Md);
        let content = match format {
            api::ExportFormat::Md => transcript.to_markdown(),
            api::ExportFormat::Json => serde_json::to_string_pretty(&transcript_info(&transcript))
                .map_err(|e| CoreError::Internal(Box::new(e)))?,
        };
        Ok(api::ChatExport { format, content })
    })?;
    add::<api::ChatsList, _, _>(m, |c, p| async move {
        Ok(c.chats.list(p.workspace.as_deref()).await?.iter().map(chat_info).collect())
    })?;
    add::<api::ChatsGet, _, _>(m, |c, p| async move { Ok(chat_info(&c.chats.get(ChatId(p.chat)).await?)) })?;
    add::<api::ChatsSend, _, _>(
        m,
        |c, p| async move { Ok(send_result(&c.chats.send(ChatId(p.chat), &p.message).await?)) },
    )?;
    add::<api::ChatsStop, _, _>(m, |c, p| async move { Ok(chat_info(&c.chats.stop(ChatId(p.chat)).await?)) })?;
    add::<api::ChatsInterrupt, _, _>(m, |c, p| async move {
        c.chats.interrupt(ChatId(p.chat)).await?;
        Ok(chat_info(&c.chats.get(ChatId(p.chat)).await?))
    })?;
    add::<api::ChatsRespond, _, _>(m, |c, p| async move {
        c.chats.respond(ChatId(p.chat), p.request.as_deref(), decision(p.decision)).await?;
        Ok(chat_info(&c.chats.get(ChatId(p.chat)).await?))
    })?;
    add::<api::ChatsUpdate, _, _>(m, |c, p| async move {
        let patch = ChatPatch {
            name: p.name.as_deref().map(ChatName::new).transpose()?,
            // An empty model returns to the agent's default.
            model: p
                .model
                .map(|m| Some(m).filter(|m| !m.is_empty()).as_deref().map(ModelName::new).transpose())
                .transpose()?,
            mode: p.mode.map(mode),
            set_labels: Labels::new(p.set_labels)?,
            remove_labels: p.remove_labels.iter().map(|k| LabelKey::new(k)).collect::<Result<_, _>>()?,
        };
        Ok(chat_info(&c.chats.update(ChatId(p.chat), patch).await?))
    })?;
    add::<api::ChatsRemove, _, _>(m, |c, p| async move { Ok(chat_info(&c.chats.remove(ChatId(p.chat)).await?)) })?;
    add::<api::ChatsRename, _, _>(m, |c, p| async move {
        let patch = ChatPatch { name: Some(ChatName::new(&p.name)?), ..ChatPatch::default() };
        Ok(chat_info(&c.chats.update(ChatId(p.chat), patch).await?))
    })?;
    add::<api::ChatsDelete, _, _>(
        m,
        |c, p| async move { Ok(chat_info(&c.chats.delete(ChatId(p.chat), p.stop).await?)) },
    )?;
    add::<api::ChatsEvents, _, _>(m, |c, p| async move {
        let limit = p.limit.unwrap_or(200).clamp(1, 1000) as usize;
        let events = match (p.after, p.before) {
            (Some(_), Some(_)) => return Err(CoreError::InvalidInput("give after or before, not both".into())),
            (Some(after), None) => c.chats.events_after(ChatId(p.chat), after, limit).await?,
            (None, before) => c.chats.events_before(ChatId(p.chat), before, limit).await?,
        };
        Ok(events.iter().map(event_info).collect())
    })?;
    add::<api::ChatsTurns, _, _>(m, |c, p| async move {
        Ok(c.chats.turns(ChatId(p.chat)).await?.iter().map(turn_info).collect())
    })?;
    add::<api::ChatsUsage, _, _>(m, |c, p| async move {
        let scope = match (p.chat, p.workspace) {
            (Some(chat), None) => {
                c.chats.get(ChatId(chat)).await?;
                UsageScope::Chat(ChatId(chat))
            }
            (None, Some(w)) => UsageScope::Workspace(c.workspaces.resolve(&w).await?.1.id),
            _ => return Err(CoreError::InvalidInput("give a chat or a workspace".into())),
        };
        Ok(totals_info(&c.chats.usage(scope).await?))
    })
}

pub(super) fn queue(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::ChatsQueue, _, _>(m, |c, p| async move {
        Ok(c.chats.queue(ChatId(p.chat)).await?.iter().map(queued_info).collect())
    })?;
    add::<api::ChatsQueueEdit, _, _>(m, |c, p| async move {
        Ok(queued_info(&c.chats.edit_queued(ChatId(p.chat), QueuedId(p.id), &p.text).await?))
    })?;
    add::<api::ChatsQueueMove, _, _>(m, |c, p| async move {
        let queue = c.chats.move_queued(ChatId(p.chat), QueuedId(p.id), p.position).await?;
        Ok(queue.iter().map(queued_info).collect())
    })?;
    add::<api::ChatsQueueCancel, _, _>(m, |c, p| async move {
        Ok(queued_info(&c.chats.cancel_queued(ChatId(p.chat), QueuedId(p.id)).await?))
    })?;
    add::<api::ChatsQueueHold, _, _>(m, |c, p| async move {
        let (chat, id) = (ChatId(p.chat), QueuedId(p.id));
        let lease = c.chats.hold_queued(chat, id, p.hold).await?;
        if p.hold {
            // A hold lapses unless renewed: whoever was editing may have gone away.
            let chats = c.chats.clone();
            tokio::spawn(async move {
                tokio::time::sleep(QUEUE_HOLD).await;
                let _ = chats.release_queued(chat, id, lease).await;
            });
        }
        Ok(c.chats.queue(chat).await?.iter().map(queued_info).collect())
    })
}

/// How long a hold on a queued message lasts without being renewed.
const QUEUE_HOLD: std::time::Duration = std::time::Duration::from_secs(120);

pub(super) fn files(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::FilesList, _, _>(m, |c, p| async move {
        let offset = usize::try_from(p.offset.unwrap_or(0)).unwrap_or(usize::MAX);
        let (ws, dir, listing) = c.files.list(&p.workspace, p.path.as_deref(), offset).await?;
        Ok(listing_info(ws.id, &dir, &listing))
    })?;
    add::<api::FilesRead, _, _>(m, |c, p| async move {
        let (ws, file) = c.files.read(&p.workspace, &p.path, Files::READ_LIMIT).await?;
        Ok(file_content_info(ws.id, file))
    })
}

pub(super) fn layout(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::LayoutGet, _, _>(m, |c, p| async move {
        let (ws, layout) = c.layouts.get(p.workspace.as_deref()).await?;
        layout_info(scope_of(ws.as_ref()), layout.as_ref())
    })?;
    add::<api::LayoutSet, _, _>(m, |c, p| async move {
        let document = layout_document(&p.layout)?;
        let (ws, layout) = c.layouts.set(p.workspace.as_deref(), document).await?;
        layout_info(scope_of(ws.as_ref()), Some(&layout))
    })
}

pub(super) fn reviews(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::WorkspacesComments, _, _>(m, |c, p| async move {
        let (_, comments) = c.reviews.list(&p.workspace, p.all).await?;
        Ok(comments.iter().map(review_comment_info).collect())
    })?;
    add::<api::WorkspacesCommentsAdd, _, _>(m, |c, p| async move {
        let spec = CommentSpec {
            path: p.path,
            side: p.side.map(|s| s.as_str().to_owned()),
            start: p.start_line,
            end: p.end_line,
            quote: p.quote,
            body: p.body,
        };
        let (_, comment) = c.reviews.add(&p.workspace, spec).await?;
        Ok(review_comment_info(&comment))
    })?;
    add::<api::WorkspacesCommentsResolve, _, _>(m, |c, p| async move {
        let comment = c.reviews.resolve(ReviewCommentId(p.comment), p.resolved.unwrap_or(true)).await?;
        Ok(review_comment_info(&comment))
    })?;
    add::<api::WorkspacesCommentsSend, _, _>(m, |c, p| async move {
        use band_core::ports::Clock;
        let now = crate::access::SystemClock.now_ms();
        let (_, sent) = c.reviews.send(&p.workspace, p.chat.map(ChatId), now).await?;
        Ok(api::CommentsSentInfo {
            chat_id: sent.chat.0,
            sent: send_result(&sent.sent),
            message: band_core::review_message(&sent.comments),
            comments: sent.comments.iter().map(review_comment_info).collect(),
        })
    })
}

pub(super) fn pulls(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::WorkspacesPr, _, _>(m, |c, p| async move {
        let made = c.pulls.create(&p.workspace, p.title, p.body, p.draft).await?;
        Ok(api::PullCreatedInfo {
            workspace_id: made.workspace.id.0,
            pull: pull_info(&made.pull),
            pushed_to: made.pushed_to,
            created: made.created,
        })
    })?;
    add::<api::WorkspacesPrStatus, _, _>(m, |c, p| async move {
        let (ws, pull) = c.pulls.status(&p.workspace).await?;
        Ok(api::PullStatusInfo { workspace_id: ws.id.0, pull: pull.as_ref().map(pull_info) })
    })?;
    add::<api::WorkspacesPrDraft, _, _>(m, |c, p| async move {
        let (_, ws) = c.workspaces.resolve(&p.workspace).await?;
        let (title, body) = c.pulls.draft(&ws).await?;
        Ok(api::PullDraftInfo { title, body })
    })?;
    add::<api::ProjectsPrs, _, _>(m, |c, p| async move {
        let (_, pulls) = c.pulls.list(&p.name).await?;
        Ok(pulls.iter().map(pull_info).collect())
    })
}

fn scope_of(workspace: Option<&band_core::Workspace>) -> LayoutScope {
    workspace.map_or(LayoutScope::Global, |w| LayoutScope::Workspace(w.id))
}

/// A layout must be a JSON object; it is stored as compact JSON text.
fn layout_document(layout: &serde_json::Value) -> Result<String, CoreError> {
    use serde_json::Value;
    let what = match layout {
        Value::Object(_) => return serde_json::to_string(layout).map_err(|e| CoreError::Internal(Box::new(e))),
        Value::Array(_) => "an array",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
    };
    Err(CoreError::InvalidInput(
        format!("layout must be a JSON object (such as {{\"panes\": [\"chat\"]}}), not {what}").into(),
    ))
}

pub(super) fn terminals(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::TerminalsCreate, _, _>(m, |c, p| async move {
        let req = CreateTerminal { workspace: p.workspace, cols: p.cols, rows: p.rows, title: p.title };
        Ok(terminal_info(&c.terminals.create(req).await?))
    })?;
    add::<api::TerminalsList, _, _>(m, |c, p| async move {
        Ok(c.terminals.list(p.workspace.as_deref()).await?.iter().map(terminal_info).collect())
    })?;
    add::<api::TerminalsGet, _, _>(
        m,
        |c, p| async move { Ok(terminal_info(&c.terminals.get(TerminalId(p.terminal))?)) },
    )?;
    add::<api::TerminalsSend, _, _>(m, |c, p| async move {
        let id = TerminalId(p.terminal);
        c.terminals.send(id, p.data.as_bytes()).await?;
        Ok(terminal_info(&c.terminals.get(id)?))
    })?;
    add::<api::TerminalsResize, _, _>(m, |c, p| async move {
        Ok(terminal_info(&c.terminals.resize(TerminalId(p.terminal), p.cols, p.rows)?))
    })?;
    add::<api::TerminalsOutput, _, _>(m, |c, p| async move {
        let id = TerminalId(p.terminal);
        // Read the exit first: output read after it is known to be final is complete.
        let exited = c.terminals.get(id)?.exit.is_some();
        Ok(terminal_output(&c.terminals.output(id, p.after.unwrap_or(0))?, exited))
    })?;
    add::<api::TerminalsKill, _, _>(m, |c, p| async move {
        Ok(terminal_info(&c.terminals.kill(TerminalId(p.terminal)).await?))
    })
}
