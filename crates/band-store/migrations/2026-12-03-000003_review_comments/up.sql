-- Review comments on a workspace's diff: a file, a side ('old': the base's lines, 'new': the
-- workspace's) and a line range, the code quoted as the user saw it, and the comment. They stay
-- until resolved; sent_at/sent_chat_id record the last delivery to an agent (the chat is a
-- record, not a reference: deleting the chat keeps the comment). They go with the workspace.
CREATE TABLE review_comments (
    id           INTEGER PRIMARY KEY NOT NULL,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    path         TEXT    NOT NULL,
    side         TEXT    NOT NULL CHECK (side IN ('old', 'new')),
    start_line   INTEGER NOT NULL CHECK (start_line >= 1),
    end_line     INTEGER NOT NULL CHECK (end_line >= start_line),
    quote        TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    resolved     BOOLEAN NOT NULL DEFAULT 0,
    sent_at      INTEGER,
    sent_chat_id INTEGER,
    created_at   INTEGER NOT NULL,
    CHECK ((sent_at IS NULL) = (sent_chat_id IS NULL))
);
CREATE INDEX review_comments_workspace_id ON review_comments (workspace_id);
