DROP TABLE cron_usage_pruned;
