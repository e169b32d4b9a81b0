-- A cronjob's budget (issue 11): `maxCostUsd=0.5,maxTokens=100000`, empty for none.
ALTER TABLE cron_jobs ADD COLUMN budget TEXT NOT NULL DEFAULT '';
