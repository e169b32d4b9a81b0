// The form that starts a chat in the workspace: agent, mode and an optional first message.

import { useState, type FormEvent } from "react";
import type { AgentId, Mode, WorkspaceInfo } from "../../api/types";
import { useBand } from "../../state/band";
import { createChat, sendMessage } from "../../state/chat";
import { errorText } from "../../state/errors";
import { navigate, useRoute } from "../route";
import { AgentAndMode } from "../widgets/AgentAndMode";

export function NewChat({ workspace, onDone, canCancel }: { workspace: WorkspaceInfo; onDone(): void; canCancel: boolean }) {
  const band = useBand();
  const route = useRoute();
  const [agent, setAgent] = useState<AgentId>("claude-code");
  const [mode, setMode] = useState<Mode>("ask");
  const [message, setMessage] = useState("");
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const chat = await createChat(band, workspace.id, agent, mode);
      if (message.trim()) await sendMessage(band, chat.id, message.trim());
      onDone();
      navigate({ ...route, chat: chat.id });
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form className="form new-chat" onSubmit={submit}>
      <h2>Start a chat</h2>
      <AgentAndMode agent={agent} mode={mode} onAgent={setAgent} onMode={setMode} />
      <label>
        Message
        <textarea value={message} onChange={(e) => setMessage(e.target.value)} rows={4} />
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="form-actions">
        {canCancel && (
          <button type="button" className="secondary" onClick={onDone}>
            Cancel
          </button>
        )}
        <button type="submit" className="primary">
          Start
        </button>
      </div>
    </form>
  );
}
