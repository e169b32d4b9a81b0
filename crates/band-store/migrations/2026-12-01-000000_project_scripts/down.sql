DROP TABLE script_runs;
DROP TABLE project_config_overrides;
DROP TABLE project_trust;
