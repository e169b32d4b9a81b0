-- Remembered dashboard layouts: one JSON document per scope, 'global' or 'workspace:<id>'. The
-- document is kept as the client sent it (the API checked that it is a JSON object). A
-- workspace's layout goes with the workspace.

CREATE TABLE layouts (
    scope        TEXT    PRIMARY KEY NOT NULL,
    workspace_id INTEGER REFERENCES workspaces (id) ON DELETE CASCADE,
    document     TEXT    NOT NULL,
    updated_at   INTEGER NOT NULL,
    CHECK ((scope = 'global' AND workspace_id IS NULL) OR scope = 'workspace:' || workspace_id)
) WITHOUT ROWID;
-- The cascade looks layouts up by workspace.
CREATE INDEX layouts_workspace_id ON layouts (workspace_id);
