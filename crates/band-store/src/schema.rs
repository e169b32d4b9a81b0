//! diesel's view of band's tables. The schema itself is the migrations in `migrations/`.

diesel::table! {
    projects (id) {
        id -> BigInt,
        name -> Text,
        path -> Text,
        default_branch -> Text,
        labels -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    workspaces (id) {
        id -> BigInt,
        project_id -> BigInt,
        branch -> Text,
        base -> Text,
        path -> Text,
        branch_created -> Bool,
        created_at -> BigInt,
        direct -> Bool,
        archived_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    chats (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        agent -> Text,
        model -> Nullable<Text>,
        mode -> Text,
        name -> Text,
        labels -> Text,
        status -> Text,
        agent_session_id -> Nullable<Text>,
        last_seq -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
        via -> Text,
    }
}

diesel::table! {
    turns (id) {
        id -> BigInt,
        chat_id -> BigInt,
        started_seq -> BigInt,
        ended_seq -> Nullable<BigInt>,
        prompt -> Text,
        stop_reason -> Nullable<Text>,
        error -> Nullable<Text>,
        input_tokens -> BigInt,
        output_tokens -> BigInt,
        cache_read_tokens -> BigInt,
        cache_write_tokens -> BigInt,
        cost_usd -> Nullable<Double>,
        duration_ms -> Nullable<BigInt>,
        started_at -> BigInt,
        ended_at -> Nullable<BigInt>,
        model -> Nullable<Text>,
    }
}

diesel::table! {
    events (chat_id, seq) {
        chat_id -> BigInt,
        seq -> BigInt,
        at -> BigInt,
        kind -> Text,
        payload -> Text,
    }
}

diesel::table! {
    queued_messages (id) {
        id -> BigInt,
        chat_id -> BigInt,
        position -> BigInt,
        text -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    layouts (scope) {
        scope -> Text,
        workspace_id -> Nullable<BigInt>,
        document -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    review_comments (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        path -> Text,
        side -> Text,
        start_line -> BigInt,
        end_line -> BigInt,
        quote -> Text,
        body -> Text,
        resolved -> Bool,
        sent_at -> Nullable<BigInt>,
        sent_chat_id -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::joinable!(workspaces -> projects (project_id));
diesel::joinable!(review_comments -> workspaces (workspace_id));
diesel::joinable!(chats -> workspaces (workspace_id));
diesel::joinable!(turns -> chats (chat_id));
diesel::joinable!(events -> chats (chat_id));
diesel::joinable!(queued_messages -> chats (chat_id));
diesel::joinable!(layouts -> workspaces (workspace_id));

diesel::allow_tables_to_appear_in_same_query!(
    projects,
    workspaces,
    chats,
    turns,
    events,
    queued_messages,
    layouts,
    review_comments,
    devices,
    audit,
    policies,
    agent_actions,
    project_trust,
    project_config_overrides,
    script_runs
);

diesel::table! {
    devices (id) {
        id -> BigInt,
        name -> Text,
        scope -> Text,
        token_hash -> Text,
        created_at -> BigInt,
        last_seen_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    policies (scope) {
        scope -> Text,
        rules -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    agent_actions (id) {
        id -> BigInt,
        at -> BigInt,
        kind -> Text,
        chat_id -> Nullable<BigInt>,
        workspace_id -> Nullable<BigInt>,
        tool -> Nullable<Text>,
        decision -> Nullable<Text>,
        decider -> Nullable<Text>,
        rule -> Nullable<Text>,
        detail -> Text,
    }
}

diesel::table! {
    audit (id) {
        id -> BigInt,
        at -> BigInt,
        kind -> Text,
        device_id -> Nullable<BigInt>,
        device_name -> Nullable<Text>,
        remote -> Nullable<Text>,
        detail -> Text,
    }
}

diesel::table! {
    cron_jobs (id) {
        id -> BigInt,
        key -> Text,
        name -> Text,
        prompt -> Text,
        schedule -> Text,
        target -> Text,
        agent -> Nullable<Text>,
        mode -> Nullable<Text>,
        enabled -> Bool,
        if_busy -> Text,
        if_missed -> Text,
        next_run_at -> Nullable<BigInt>,
        last_run_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
        budget -> Text,
    }
}

diesel::table! {
    cron_runs (id) {
        id -> BigInt,
        job_id -> BigInt,
        trigger -> Text,
        scheduled_at -> BigInt,
        at -> BigInt,
        outcome -> Text,
        detail -> Nullable<Text>,
        workspace_id -> Nullable<BigInt>,
        chat_id -> Nullable<BigInt>,
        seq -> Nullable<BigInt>,
        queued_id -> Nullable<BigInt>,
        turn_id -> Nullable<BigInt>,
        usage -> Text,
        duration_ms -> Nullable<BigInt>,
        ended_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(cron_runs -> cron_jobs (job_id));
diesel::allow_tables_to_appear_in_same_query!(cron_jobs, cron_runs);

diesel::table! {
    project_trust (project_id, scripts_hash) {
        project_id -> BigInt,
        scripts_hash -> Text,
        approved_at -> BigInt,
    }
}

diesel::table! {
    project_config_overrides (project_id) {
        project_id -> BigInt,
        document -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    script_runs (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        kind -> Text,
        status -> Text,
        exit_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        output -> Text,
        output_len -> BigInt,
        scripts_hash -> Text,
        started_at -> BigInt,
        ended_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(project_trust -> projects (project_id));
diesel::joinable!(project_config_overrides -> projects (project_id));
diesel::joinable!(script_runs -> workspaces (workspace_id));
