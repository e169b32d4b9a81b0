-- How band talks to a chat's agent: its protocol, or its interactive CLI in a terminal.
ALTER TABLE chats ADD COLUMN via TEXT NOT NULL DEFAULT 'protocol' CHECK (via IN ('protocol', 'terminal'));
