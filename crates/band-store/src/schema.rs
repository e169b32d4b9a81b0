//! diesel's view of the tables band-store reads and writes so far. The full schema, including the
//! chat tables not yet used from Rust, is the migration in `migrations/`.

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
    }
}
