ALTER TABLE workspaces DROP COLUMN direct;
