DROP TABLE queued_messages;
DROP TABLE events;
DROP TABLE turns;
DROP TABLE chats;
DROP TABLE workspaces;
DROP TABLE projects;
