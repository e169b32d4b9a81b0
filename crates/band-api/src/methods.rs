//! Every method and subscription, each declared once with its name, summary, scope, params and
//! result. The server registers exactly these (a test checks both ways).

use schemars::JsonSchema;

use crate::cronjobs::*;
use crate::pulls::*;
use crate::reviews::*;
use crate::types::*;
use crate::{Method, NoParams, Scope};

/// Describes one method for discovery, built from its [`Method`] impl.
pub struct MethodDoc {
    pub name: &'static str,
    pub summary: &'static str,
    pub scope: Scope,
    pub params: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
    pub result: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
}

impl MethodDoc {
    const fn of<M: Method>() -> Self {
        fn schema<T: JsonSchema>(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
            g.subschema_for::<T>()
        }
        Self {
            name: M::NAME,
            summary: M::SUMMARY,
            scope: M::SCOPE,
            params: schema::<M::Params>,
            result: schema::<M::Result>,
        }
    }
}

/// Declares each method type, its [`Method`] impl, and [`METHODS`] listing them all, so that a
/// method cannot exist without being described and classified (`read`, `control` or `admin`,
/// see [`Scope`]).
macro_rules! methods {
    ($($ty:ident = $name:literal, $scope:ident, $summary:literal, $params:ty => $result:ty;)*) => {
        $(
            #[doc = $summary]
            pub struct $ty;
            impl Method for $ty {
                const NAME: &'static str = $name;
                const SUMMARY: &'static str = $summary;
                const SCOPE: Scope = scope!($scope);
                type Params = $params;
                type Result = $result;
            }
        )*
        /// Every method of the API. The server registers exactly these (a test checks both ways).
        pub const METHODS: &[MethodDoc] = &[$(MethodDoc::of::<$ty>()),*];
    };
}

/// The scope keywords of [`methods!`]; anything else does not compile.
macro_rules! scope {
    (read) => {
        Scope::Read
    };
    (control) => {
        Scope::Control
    };
    (admin) => {
        Scope::Admin
    };
}

methods! {
    ProjectsAdd = "projects.add", control, "Register a git repository as a project.",
        ProjectsAddParams => ProjectInfo;
    ProjectsList = "projects.list", read, "List registered projects, by name.",
        NoParams => Vec<ProjectInfo>;
    ProjectsRemove = "projects.remove", control, "Forget a project. The repository on disk is never touched; refused while it has workspaces.",
        ProjectNameParams => ProjectInfo;
    ProjectsPurge = "projects.purge", control, "Remove a project with everything in it: stops its chats and terminals, removes its workspaces (refusing those with uncommitted or unmerged work unless forced), a warning for each failure; the project goes once none is left. The repository is never touched.",
        ProjectsPurgeParams => ProjectPurgedInfo;
    ProjectsConfig = "projects.config", read, "A project's configuration (.band/config.json, or band's override): scripts, copyFiles, defaults, the scripts' hash and whether it is approved; an invalid one with what is wrong.",
        ProjectNameParams => ProjectConfigInfo;
    ProjectsTrust = "projects.trust", control, "Approve the project's scripts with the hash projects.config showed; refused when they changed since. Scripts run only once approved, and again after each change.",
        ProjectTrustParams => ProjectConfigInfo;
    ProjectsUntrust = "projects.untrust", control, "Withdraw every approval of the project's scripts: none runs until approved again.",
        ProjectNameParams => ProjectConfigInfo;
    ProjectsConfigSet = "projects.config.set", control, "Replace the repository's configuration with band's own for this project (checked first), or return to the repository's with null. Its scripts need approving.",
        ProjectConfigSetParams => ProjectConfigInfo;
    WorkspacesCreate = "workspaces.create", control, "Create a workspace: a git worktree on a new or existing branch, or (direct) the project's own checkout. Idempotent.",
        WorkspacesCreateParams => WorkspaceCreated;
    WorkspacesList = "workspaces.list", read, "List workspaces, of one project or of all.",
        WorkspacesListParams => Vec<WorkspaceInfo>;
    WorkspacesGet = "workspaces.get", read, "Find one workspace by id, project/branch, branch or path.",
        WorkspaceParams => WorkspaceInfo;
    WorkspacesStatus = "workspaces.status", read, "Uncommitted changes of a workspace and how far it is ahead of / behind its base.",
        WorkspaceParams => WorkspaceStatusInfo;
    WorkspacesDiff = "workspaces.diff", read, "Unified diff of a workspace against the merge base with its base.",
        WorkspaceParams => WorkspaceDiffInfo;
    WorkspacesRemove = "workspaces.remove", control, "Remove a workspace's worktree. Refused with uncommitted or unmerged work unless forced.",
        WorkspacesRemoveParams => WorkspaceRemoved;
    WorkspacesFacts = "workspaces.facts", read, "A workspace's facts: ahead/behind its base and its upstream, uncommitted files, disk use (shared objects not counted), last activity.",
        WorkspaceParams => WorkspaceFactsInfo;
    WorkspacesArchive = "workspaces.archive", control, "Archive a workspace: its worktree is removed, its branch and chats kept. Refused with uncommitted changes.",
        WorkspaceParams => WorkspaceInfo;
    WorkspacesRestore = "workspaces.restore", control, "Restore an archived workspace: its worktree made again on its branch.",
        WorkspaceParams => WorkspaceInfo;
    WorkspacesGc = "workspaces.gc", control, "What a clean-up would archive (idle, nothing uncommitted or unpushed) and reclaim, and what it keeps and why; with apply, archive them.",
        WorkspacesGcParams => GcReportInfo;
    WorkspacesMerge = "workspaces.merge", control, "Merge a workspace back: commit everything, rebase onto (or merge) the base with conflicts listed file by file (then everything is put back), move the base forward in the checkout when safe, push the branch.",
        WorkspacesMergeParams => WorkspaceMergedInfo;
    WorkspacesScripts = "workspaces.scripts", read, "A workspace's setup and teardown runs, oldest first, with their output (a running one's so far).",
        WorkspaceParams => Vec<ScriptRunInfo>;
    WorkspacesSetup = "workspaces.setup", control, "Run the workspace's setup script (again), once the project's scripts are approved; its output follows on workspaces.subscribe.",
        WorkspaceParams => ScriptRunInfo;
    WorkspacesComments = "workspaces.comments", read, "A workspace's review comments on its diff (file, side, lines, quoted code, comment), oldest first; resolved ones too with all.",
        CommentsListParams => Vec<ReviewCommentInfo>;
    WorkspacesCommentsAdd = "workspaces.comments.add", control, "Comment on a line or a range of a file of the workspace's diff; it stays until resolved.",
        CommentsAddParams => ReviewCommentInfo;
    WorkspacesCommentsResolve = "workspaces.comments.resolve", control, "Resolve a review comment, or open it again (resolved: false; it will be sent again).",
        CommentsResolveParams => ReviewCommentInfo;
    WorkspacesCommentsSend = "workspaces.comments.send", control, "Send every unresolved, unsent review comment of the workspace as one message (file, lines, quoted code, comment) to a chat of it (default: the one active last); queued when the chat is busy.",
        CommentsSendParams => CommentsSentInfo;
    WorkspacesPr = "workspaces.pr", control, "Open a pull request for the workspace's branch into its base through the GitHub CLI (gh), pushing the branch first; title and body drafted from its chats unless given. A branch with an open one gets it back.",
        WorkspacesPrParams => PullCreatedInfo;
    WorkspacesPrStatus = "workspaces.pr.status", read, "The workspace's pull request (of its branch) with its state and checks, through the GitHub CLI; none when the branch has none.",
        WorkspaceParams => PullStatusInfo;
    WorkspacesPrDraft = "workspaces.pr.draft", read, "The title and body a new pull request of the workspace would get (drafted from its chats), to edit before workspaces.pr.",
        WorkspaceParams => PullDraftInfo;
    ProjectsPrs = "projects.prs", read, "A project's open pull requests through the GitHub CLI, newest first, with their checks.",
        ProjectNameParams => Vec<PullInfo>;
    AgentsList = "agents.list", read, "Every agent band knows (built in, or from settings.json's agents), installed ones first: its protocol, whether its binary is here and its version, whether band proves it in CI, how to install it.",
        NoParams => Vec<AgentInfo>;
    ChatsCreate = "chats.create", control, "Start a chat with an agent in a workspace (no message is sent yet).",
        ChatsCreateParams => ChatInfo;
    ChatsList = "chats.list", read, "List chats, of one workspace or of all.",
        ChatsListParams => Vec<ChatInfo>;
    ChatsGet = "chats.get", read, "One chat.",
        ChatParams => ChatInfo;
    ChatsSend = "chats.send", control, "Send a message: starts a turn when the chat is free, else queues it.",
        ChatsSendParams => SendResult;
    ChatsStop = "chats.stop", control, "End the current turn and the agent's process group; the next message resumes the session.",
        ChatParams => ChatInfo;
    ChatsInterrupt = "chats.interrupt", control, "Ask the agent to end its current turn early, keeping its process.",
        ChatParams => ChatInfo;
    ChatsRespond = "chats.respond", control, "Answer a pending permission request: allow or deny.",
        ChatsRespondParams => ChatInfo;
    ChatsUpdate = "chats.update", control, "Rename a chat, change its model or mode, set or remove labels.",
        ChatsUpdateParams => ChatInfo;
    ChatsRemove = "chats.remove", control, "Stop a chat's agent and delete the chat with its log.",
        ChatParams => ChatInfo;
    ChatsRename = "chats.rename", control, "Rename a chat (its name in tabs and lists).",
        ChatsRenameParams => ChatInfo;
    ChatsDelete = "chats.delete", control, "Delete a chat with its events; refused while its agent works unless `stop` is set, which stops it first.",
        ChatsDeleteParams => ChatInfo;
    ChatsEvents = "chats.events", read, "A page of a chat's event log: after a sequence number, or before one going back.",
        ChatsEventsParams => Vec<EventInfo>;
    ChatsTurns = "chats.turns", read, "A chat's turns with their usage, cost, duration and stop reason.",
        ChatParams => Vec<TurnInfo>;
    ChatsExport = "chats.export", read, "A chat's transcript, turn by turn (prompt, response, tool calls with the decision on each, usage), as Markdown or JSON.",
        ChatsExportParams => ChatExport;
    ChatsUsage = "chats.usage", read, "Usage totals of a chat or of a workspace's chats.",
        UsageParams => UsageTotalsInfo;
    ChatsOverview = "chats.overview", read, "Every chat of every workspace at a glance, those that need someone first: its status, the permissions it waits on (tool and a summary of the input), its last message, since when it is in its state, its tokens and cost.",
        NoParams => Vec<ChatOverviewInfo>;
    ChatsQueue = "chats.queue", read, "Messages waiting for a busy chat, in order.",
        ChatParams => Vec<QueuedInfo>;
    ChatsQueueEdit = "chats.queue.edit", control, "Change the text of a queued message.",
        QueueEditParams => QueuedInfo;
    ChatsQueueMove = "chats.queue.move", control, "Move a queued message to another position.",
        QueueMoveParams => Vec<QueuedInfo>;
    ChatsQueueCancel = "chats.queue.cancel", control, "Remove a message from the queue.",
        QueueItemParams => QueuedInfo;
    ChatsQueueHold = "chats.queue.hold", control, "Hold a queued message while it is edited (the queue waits for it; the hold lapses after 2 minutes unless renewed), or release it.",
        QueueHoldParams => Vec<QueuedInfo>;
    FilesList = "files.list", read, "List a directory of a workspace: directories first, then files, without .git or band's own files.",
        FilesListParams => FileListing;
    FilesRead = "files.read", read, "Read a file of a workspace (up to 2 MiB): its text, or that it is binary, with a language hint. Contained to the workspace.",
        FilesReadParams => FileContentInfo;
    LayoutGet = "layout.get", read, "The remembered dashboard layout: the global one, or a workspace's.",
        LayoutParams => LayoutInfo;
    LayoutSet = "layout.set", control, "Remember a dashboard layout (a JSON object up to 64 KiB), global or per workspace; subscribers of workspaces.subscribe hear of it.",
        LayoutSetParams => LayoutInfo;
    TerminalsCreate = "terminals.create", control, "Open a shell on a PTY in a workspace's directory. The shell, directory and environment are the server's choice.",
        TerminalsCreateParams => TerminalInfo;
    TerminalsList = "terminals.list", read, "List terminals, of one workspace or of all.",
        TerminalsListParams => Vec<TerminalInfo>;
    TerminalsGet = "terminals.get", read, "One terminal.",
        TerminalParams => TerminalInfo;
    TerminalsSend = "terminals.send", control, "Type text into a terminal, literally; no newline is added.",
        TerminalsSendParams => TerminalInfo;
    TerminalsResize = "terminals.resize", control, "Change a terminal's size (the program in it gets SIGWINCH).",
        TerminalsResizeParams => TerminalInfo;
    TerminalsOutput = "terminals.output", read, "A terminal's output after a byte offset, as far back as its scrollback reaches.",
        TerminalsOutputParams => TerminalOutputInfo;
    TerminalsKill = "terminals.kill", control, "End a terminal's shell and everything it started, and forget the terminal.",
        TerminalParams => TerminalInfo;
    TunnelStart = "tunnel.start", admin, "Start the tunnel (one at a time) and return its public URL; its exact host is admitted while it runs.",
        TunnelStartParams => TunnelInfo;
    TunnelStop = "tunnel.stop", admin, "Stop the tunnel: its host is refused at once, then its process is stopped. Idempotent.",
        NoParams => TunnelInfo;
    TunnelStatus = "tunnel.status", read, "The tunnel's state: stopped, starting, running (with its URL) or failed (with why).",
        NoParams => TunnelInfo;
    CronjobsList = "cronjobs.list", read, "Every cronjob, by key, with its schedule, target, settings and next run time.",
        NoParams => Vec<CronJobInfo>;
    CronjobsGet = "cronjobs.get", read, "One cronjob.",
        CronjobKeyParams => CronJobInfo;
    CronjobsCreate = "cronjobs.create", control, "Create a cronjob: a prompt sent on a cron expression (in a time zone) or an interval, into a chat, a new chat of a workspace, or a new workspace of a project.",
        CronjobsCreateParams => CronJobInfo;
    CronjobsUpdate = "cronjobs.update", control, "Change a cronjob: its name, prompt, schedule, target, agent, mode, busy and missed-run settings; enable or disable it.",
        CronjobsUpdateParams => CronJobInfo;
    CronjobsDelete = "cronjobs.delete", control, "Delete a cronjob with its history (a run under way goes on in its chat).",
        CronjobKeyParams => CronJobInfo;
    CronjobsTrigger = "cronjobs.trigger", control, "Run a cronjob now, enabled or not; its schedule is unchanged.",
        CronjobKeyParams => CronRunInfo;
    CronjobsRuns = "cronjobs.runs", read, "A cronjob's runs, newest first: when, why, which chat and turn, outcome, tokens, cost, duration.",
        CronjobsRunsParams => Vec<CronRunInfo>;
    FsComplete = "fs.complete", admin, "Directories completing a path typed on this machine (`~` expanded; hidden ones only when the name typed starts with a dot; at most 50), each saying whether it is a git repository and whether that has commits. Names only, never file contents; the main token only.",
        FsCompleteParams => FsCompletion;
    SettingsGet = "settings.get", read, "The server's settings (without the token).",
        NoParams => SettingsInfo;
    SettingsSet = "settings.set", admin, "Change one setting in settings.json (validated; never the token): defaults.agent, defaults.mode, defaults.model, agentIdleTimeoutSeconds, maxLiveAgents (applied at once), worktreesDir, terminals.shell (after a restart).",
        SettingsSetParams => SettingChanged;
    Discover = "rpc.discover", read, "This API described as an OpenRPC 1.3 document.",
        NoParams => serde_json::Value;
    DevicesPair = "devices.pair", admin, "Start pairing a device: a one-time code (10 minutes) and the sign-in URL carrying it, with its QR code.",
        DevicesPairParams => Pairing;
    DevicesList = "devices.list", admin, "Paired devices with their scope and when they were last seen, revoked ones included.",
        NoParams => Vec<DeviceInfo>;
    DevicesRevoke = "devices.revoke", admin, "Revoke a device (by id or name): its token stops working and its sessions and sockets end at once.",
        DevicesRevokeParams => DeviceInfo;
    AuditList = "audit.list", admin, "The audit log of pairing, sign-ins, refusals, revocations and token rotations, newest first.",
        AuditListParams => Vec<AuditEntryInfo>;
    PolicyShow = "policy.show", read, "A scope's effective policy (global without params; or a project, workspace or chat), with where each rule came from.",
        PolicyScopeParams => PolicyInfo;
    PolicySet = "policy.set", admin, "Set or remove (KEY=) policy rules at one scope; a narrower scope can only tighten, a loosening is refused naming the broader rule.",
        PolicySetParams => PolicyInfo;
    AuditActions = "audit.actions", admin, "The audit of agent actions, newest first: tool calls with their decision and who or what decided, cronjob runs, policy changes, refused turns; filtered.",
        AuditActionsParams => Vec<ActionInfo>;
    UsageReport = "usage.report", read, "Usage of ended turns (tokens in, out and cached, cost, duration) grouped by chat, workspace, project, agent, model, day or cronjob, with the same turns' tool calls by tool (MCP servers named); filtered by days (UTC), project, workspace or chat.",
        UsageReportParams => UsageReportInfo;
    UsageTurns = "usage.turns", read, "Ended turns one by one, newest first, with their usage, model and tool calls; filtered as usage.report, paged with before.",
        UsageTurnsParams => Vec<TurnUsageInfo>;
    AuthWhoami = "auth.whoami", read, "The caller's access: its scope (read, control or admin) and, for a paired device, which one.",
        NoParams => WhoAmI;
    TokenRotate = "token.rotate", admin, "Replace the main token: every browser session and every socket opened with the old token ends. Device tokens stay valid.",
        NoParams => TokenRotated;
}

/// A subscription: subscribe with params, receive `notification`s carrying items, unsubscribe.
pub struct SubscriptionDoc {
    pub name: &'static str,
    pub notification: &'static str,
    pub unsubscribe: &'static str,
    pub summary: &'static str,
    /// Who may subscribe (see [`Method::SCOPE`]).
    pub scope: Scope,
    pub params: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
    pub item: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
}

fn schema<T: JsonSchema>(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    g.subschema_for::<T>()
}

/// A chat's log from a sequence number, then live: every event once, in order.
pub const CHATS_SUBSCRIBE: SubscriptionDoc = SubscriptionDoc {
    name: "chats.subscribe",
    notification: "chats.event",
    unsubscribe: "chats.unsubscribe",
    summary: "Replay a chat's events after a sequence number, then follow them live, with no gap and no duplicate.",
    scope: Scope::Read,
    params: schema::<ChatsSubscribeParams>,
    item: schema::<EventInfo>,
};

/// Chat status, queue and workspace changes, live.
pub const WORKSPACES_SUBSCRIBE: SubscriptionDoc = SubscriptionDoc {
    name: "workspaces.subscribe",
    notification: "workspaces.notice",
    unsubscribe: "workspaces.unsubscribe",
    summary: "Follow chat status and queue changes, workspace creation and removal, and layout changes, of one workspace or all.",
    scope: Scope::Read,
    params: schema::<WorkspacesSubscribeParams>,
    item: schema::<WorkspaceNotice>,
};

/// A terminal's output from a byte offset, then live, until its shell exits.
pub const TERMINALS_SUBSCRIBE: SubscriptionDoc = SubscriptionDoc {
    name: "terminals.subscribe",
    notification: "terminals.data",
    unsubscribe: "terminals.unsubscribe",
    summary: "Replay a terminal's scrollback after a byte offset, then follow its output live, until the shell exits.",
    scope: Scope::Read,
    params: schema::<TerminalsSubscribeParams>,
    item: schema::<TerminalStreamItem>,
};

/// The tunnel's state now, then every change.
pub const TUNNEL_SUBSCRIBE: SubscriptionDoc = SubscriptionDoc {
    name: "tunnel.subscribe",
    notification: "tunnel.state",
    unsubscribe: "tunnel.unsubscribe",
    summary: "The tunnel's state now, then each change live: starting, running (with its URL), stopped, failed (with why).",
    scope: Scope::Read,
    params: schema::<NoParams>,
    item: schema::<TunnelInfo>,
};

/// The scheduler's ticks: jobs and runs as they change.
pub const CRONJOBS_SUBSCRIBE: SubscriptionDoc = SubscriptionDoc {
    name: "cronjobs.subscribe",
    notification: "cronjobs.tick",
    unsubscribe: "cronjobs.unsubscribe",
    summary: "Follow the scheduler live: each job created, changed (next run time) or deleted, and each run recorded or moved on, of one job or all.",
    scope: Scope::Read,
    params: schema::<CronjobsSubscribeParams>,
    item: schema::<CronNotice>,
};

/// A workspace's files as they change on disk, while someone looks.
pub const WORKSPACES_WATCH: SubscriptionDoc = SubscriptionDoc {
    name: "workspaces.watch",
    notification: "workspaces.files",
    unsubscribe: "workspaces.unwatch",
    summary: "Follow a workspace's files changing on disk (edits made outside band), debounced; the workspace is watched only while someone follows it. degraded says when live refresh stopped or is partial (refresh by hand then).",
    scope: Scope::Read,
    params: schema::<WorkspaceParams>,
    item: schema::<FilesChangedInfo>,
};

pub const SUBSCRIPTIONS: &[SubscriptionDoc] = &[
    CHATS_SUBSCRIBE,
    WORKSPACES_SUBSCRIBE,
    TERMINALS_SUBSCRIBE,
    TUNNEL_SUBSCRIBE,
    CRONJOBS_SUBSCRIBE,
    WORKSPACES_WATCH,
];
