DROP TABLE tool_daily;
DROP TABLE usage_daily;
ALTER TABLE turns DROP COLUMN model;
