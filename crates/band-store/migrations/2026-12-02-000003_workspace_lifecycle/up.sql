-- A direct workspace is the project's own checkout (no worktree of band's): removing it only
-- forgets it. At most one per project (its path is the checkout's, and paths are unique).
ALTER TABLE workspaces ADD COLUMN direct BOOLEAN NOT NULL DEFAULT 0;
-- An archived workspace has no worktree (it was removed; the branch and the chats are kept)
-- until it is restored: when it was archived, else NULL.
ALTER TABLE workspaces ADD COLUMN archived_at INTEGER;
