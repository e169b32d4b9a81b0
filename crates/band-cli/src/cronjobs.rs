//! `band cronjobs ...`: prompts sent on a schedule, and their history.

use band_api as api;
use clap::{Args, Subcommand};

use crate::output::{Printer, table, when};
use crate::{Caller, Failure};

#[derive(Subcommand)]
pub enum CronjobsCmd {
    /// Every cronjob: schedule, target, next run.
    List,
    /// One cronjob with its settings.
    Get { key: String },
    /// Create a cronjob: a prompt sent on a cron expression or an interval.
    Create {
        /// 1 to 64 lowercase letters, digits, '-', '_', '.'.
        key: String,
        /// What people call it.
        #[arg(long)]
        name: String,
        /// The message each run sends.
        #[arg(long)]
        prompt: String,
        #[command(flatten)]
        schedule: ScheduleArgs,
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        settings: SettingsArgs,
        /// Create it disabled (trigger it, or enable it with `update --enabled`).
        #[arg(long)]
        disabled: bool,
    },
    /// Change a cronjob; what is not given stays as it is.
    Update {
        key: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        prompt: Option<String>,
        #[command(flatten)]
        schedule: ScheduleArgs,
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        settings: SettingsArgs,
        /// Enable it: its next run is computed from now.
        #[arg(long, conflicts_with = "disabled")]
        enabled: bool,
        /// Disable it: it does not run until enabled (a trigger still runs it).
        #[arg(long)]
        disabled: bool,
    },
    /// Delete a cronjob with its history.
    Delete { key: String },
    /// Run a cronjob now (its schedule is unchanged).
    Trigger { key: String },
    /// A cronjob's runs, newest first: when, why, chat and turn, outcome, tokens, cost, duration.
    Runs {
        key: String,
        /// At most this many (default 50).
        #[arg(long)]
        limit: Option<u32>,
        /// Runs older than this run id.
        #[arg(long)]
        before: Option<i64>,
    },
}

#[derive(Args)]
pub struct ScheduleArgs {
    /// A cron expression: 5 fields (minute hour day-of-month month day-of-week) or 6 with
    /// seconds first, e.g. "0 9 * * 1-5".
    #[arg(long, conflicts_with = "every")]
    cron: Option<String>,
    /// An interval: 30s, 5m, 2h, 1d, 1h30m.
    #[arg(long)]
    every: Option<String>,
    /// The cron expression's IANA time zone, e.g. Europe/Berlin (default: the server's).
    #[arg(long, conflicts_with = "every")]
    timezone: Option<String>,
}

#[derive(Args)]
pub struct TargetArgs {
    /// A new chat in this workspace for every run.
    #[arg(long, conflicts_with_all = ["chat", "project"])]
    workspace: Option<String>,
    /// Send into this existing chat.
    #[arg(long, conflicts_with = "project")]
    chat: Option<i64>,
    /// With --new-workspace: a new workspace of this project (and a chat in it) for every run.
    #[arg(long)]
    project: Option<String>,
    /// Each run gets a new workspace (branch cron/<key>/<run>) of --project.
    #[arg(long)]
    new_workspace: bool,
}

#[derive(Args)]
pub struct SettingsArgs {
    /// The agent of the chats it creates (not with --chat): an id from `band agents list`.
    #[arg(long)]
    agent: Option<api::AgentId>,
    /// The permission mode of the chats it creates (not with --chat): ask, accept-edits, allow-all.
    #[arg(long)]
    mode: Option<api::Mode>,
    /// When the chat is busy: queue (default) or skip.
    #[arg(long)]
    if_busy: Option<api::IfBusy>,
    /// Runs missed while band-server was down: skip (default) or run-once at start.
    #[arg(long)]
    if_missed: Option<api::IfMissed>,
    /// The most all its runs together may cost, in dollars (e.g. 2.50); `none` removes it. At
    /// 80 % a warning; at 100 % the running turn stops and the next runs are skipped.
    #[arg(long, value_name = "DOLLARS")]
    max_cost_usd: Option<String>,
    /// The most tokens all its runs together may use; `none` removes it.
    #[arg(long, value_name = "TOKENS")]
    max_tokens: Option<String>,
}

impl SettingsArgs {
    /// The budget to send: `current` (the job's, for an update) with the flags applied; `None`
    /// when no flag was given.
    fn budget(&self, current: Option<&str>) -> Option<String> {
        if self.max_cost_usd.is_none() && self.max_tokens.is_none() {
            return None;
        }
        let mut parts: Vec<(String, String)> = current
            .unwrap_or_default()
            .split(',')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        for (key, flag) in [("maxCostUsd", &self.max_cost_usd), ("maxTokens", &self.max_tokens)] {
            let Some(value) = flag else { continue };
            parts.retain(|(k, _)| k != key);
            if value != "none" && !value.is_empty() {
                parts.push((key.to_owned(), value.trim_start_matches('$').to_owned()));
            }
        }
        Some(parts.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","))
    }
}

impl TargetArgs {
    /// `--project` and `--new-workspace` go together.
    fn check(&self) -> Result<(), Failure> {
        match (&self.project, self.new_workspace) {
            (Some(_), false) => Err(Failure(
                "--project needs --new-workspace: each run gets a new workspace of the project (or give --workspace W for a new chat in an existing one)".into(),
            )),
            (None, true) => Err(Failure("--new-workspace needs --project P: the project its workspaces are made in".into())),
            _ => Ok(()),
        }
    }
}

pub async fn run(cmd: CronjobsCmd, call: &Caller<'_>, out: &Printer) -> Result<(), Failure> {
    match cmd {
        CronjobsCmd::List => {
            let list = call.call::<api::CronjobsList>(api::NoParams {}).await?;
            out.show(&list, || jobs_table(&list))
        }
        CronjobsCmd::Get { key } => {
            let job = call.call::<api::CronjobsGet>(api::CronjobKeyParams { key }).await?;
            out.show(&job, || job_text(&job))
        }
        CronjobsCmd::Create { key, name, prompt, schedule, target, settings, disabled } => {
            if schedule.cron.is_none() && schedule.every.is_none() {
                return Err(Failure("give a schedule: --cron EXPR or --every DURATION (e.g. --every 1h)".into()));
            }
            target.check()?;
            if target.chat.is_none() && target.workspace.is_none() && target.project.is_none() {
                return Err(Failure("give a target: --chat C, --workspace W, or --project P --new-workspace".into()));
            }
            let budget = settings.budget(None);
            let params = api::CronjobsCreateParams {
                key,
                name,
                prompt,
                cron: schedule.cron,
                every: schedule.every,
                timezone: schedule.timezone,
                chat: target.chat,
                workspace: target.workspace,
                project: target.project,
                new_workspace: target.new_workspace,
                agent: settings.agent,
                mode: settings.mode,
                disabled,
                if_busy: settings.if_busy,
                if_missed: settings.if_missed,
                budget,
            };
            let job = call.call::<api::CronjobsCreate>(params).await?;
            out.show(&job, || format!("created cronjob '{}': {}", job.key, next_text(&job)))
        }
        CronjobsCmd::Update { key, name, prompt, schedule, target, settings, enabled, disabled } => {
            target.check()?;
            let budget = match settings.budget(None) {
                None => None,
                Some(_) => {
                    let job = call.call::<api::CronjobsGet>(api::CronjobKeyParams { key: key.clone() }).await?;
                    settings.budget(job.budget.as_deref())
                }
            };
            let params = api::CronjobsUpdateParams {
                key,
                name,
                prompt,
                cron: schedule.cron,
                every: schedule.every,
                timezone: schedule.timezone,
                chat: target.chat,
                workspace: target.workspace,
                project: target.project,
                new_workspace: target.new_workspace,
                agent: settings.agent,
                mode: settings.mode,
                enabled: if enabled {
                    Some(true)
                } else if disabled {
                    Some(false)
                } else {
                    None
                },
                if_busy: settings.if_busy,
                if_missed: settings.if_missed,
                budget,
            };
            let job = call.call::<api::CronjobsUpdate>(params).await?;
            out.show(&job, || format!("updated cronjob '{}': {}", job.key, next_text(&job)))
        }
        CronjobsCmd::Delete { key } => {
            let job = call.call::<api::CronjobsDelete>(api::CronjobKeyParams { key }).await?;
            out.show(&job, || format!("deleted cronjob '{}' and its history", job.key))
        }
        CronjobsCmd::Trigger { key } => {
            let run = call.call::<api::CronjobsTrigger>(api::CronjobKeyParams { key }).await?;
            out.show(&run, || {
                let mut t = format!("cronjob '{}' run {}: {}", run.key, run.id, run.outcome);
                if let Some(chat) = run.chat_id {
                    t.push_str(&format!(" in chat {chat}"));
                }
                if let Some(d) = &run.detail {
                    t.push_str(&format!(" ({d})"));
                }
                t
            })
        }
        CronjobsCmd::Runs { key, limit, before } => {
            let runs = call.call::<api::CronjobsRuns>(api::CronjobsRunsParams { key, before, limit }).await?;
            out.show(&runs, || runs_table(&runs))
        }
    }
}

fn schedule_text(j: &api::CronJobInfo) -> String {
    match (&j.cron, &j.timezone, &j.every) {
        (Some(c), Some(z), _) => format!("cron '{c}' ({z})"),
        (Some(c), None, _) => format!("cron '{c}'"),
        (None, _, Some(e)) => format!("every {e}"),
        _ => "-".into(),
    }
}

fn target_text(t: &api::CronTargetInfo) -> String {
    let label = t.label.clone().unwrap_or_else(|| "(gone)".into());
    match t.kind {
        api::CronTargetKind::Chat => format!("chat {} ({label})", t.chat.unwrap_or_default()),
        api::CronTargetKind::Workspace => format!("new chat in {label}"),
        api::CronTargetKind::NewWorkspace => format!("new workspace of {label}"),
    }
}

fn next_text(j: &api::CronJobInfo) -> String {
    match (j.enabled, j.next_run_at) {
        (false, _) => "disabled".into(),
        (true, Some(n)) => format!("next run {} UTC", when(n)),
        (true, None) => "no next run (the expression never matches again)".into(),
    }
}

fn jobs_table(list: &[api::CronJobInfo]) -> String {
    if list.is_empty() {
        return "no cronjobs yet; create one with `band cronjobs create`".into();
    }
    table(
        &["KEY", "SCHEDULE", "TARGET", "NEXT RUN (UTC)", "LAST RUN (UTC)", "NAME"],
        list.iter()
            .map(|j| {
                vec![
                    j.key.clone(),
                    schedule_text(j),
                    target_text(&j.target),
                    if j.enabled { j.next_run_at.map_or("-".into(), when) } else { "disabled".into() },
                    j.last_run_at.map_or("-".into(), when),
                    j.name.clone(),
                ]
            })
            .collect(),
    )
}

fn job_text(j: &api::CronJobInfo) -> String {
    let mut lines = vec![
        format!("key:       {}", j.key),
        format!("name:      {}", j.name),
        format!("schedule:  {}", schedule_text(j)),
        format!("target:    {}", target_text(&j.target)),
        format!("if busy:   {}", j.if_busy),
        format!("if missed: {}", j.if_missed),
        format!("status:    {}", next_text(j)),
    ];
    if let Some(a) = &j.agent {
        lines.push(format!("agent:     {}", a.0));
    }
    if let Some(m) = j.mode {
        lines.push(format!("mode:      {m}"));
    }
    if let Some(b) = &j.budget {
        lines.push(format!("budget:    {b}"));
    }
    lines.push(format!("prompt:    {}", j.prompt));
    lines.join("\n")
}

fn runs_table(runs: &[api::CronRunInfo]) -> String {
    if runs.is_empty() {
        return "no runs yet".into();
    }
    table(
        &["RUN", "AT (UTC)", "TRIGGER", "OUTCOME", "CHAT", "TURN", "TOKENS IN/OUT", "COST", "DURATION", "DETAIL"],
        runs.iter()
            .map(|r| {
                vec![
                    r.id.to_string(),
                    when(r.at),
                    r.trigger.to_string(),
                    r.outcome.to_string(),
                    r.chat_id.map_or("-".into(), |c| c.to_string()),
                    r.turn_id.map_or("-".into(), |t| t.to_string()),
                    format!("{}/{}", r.usage.input_tokens, r.usage.output_tokens),
                    r.usage.cost_usd.map_or("-".into(), |c| format!("${c:.4}")),
                    r.duration_ms.map_or("-".into(), |d| format!("{:.1}s", d as f64 / 1000.0)),
                    r.detail.clone().unwrap_or_default(),
                ]
            })
            .collect(),
    )
}
