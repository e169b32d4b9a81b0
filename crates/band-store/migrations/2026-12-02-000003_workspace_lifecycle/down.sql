ALTER TABLE workspaces DROP COLUMN archived_at;
ALTER TABLE workspaces DROP COLUMN direct;
