DROP TABLE agent_actions;
DROP TABLE policies;
