import { useEffect, useState, type FormEvent } from "react";
import { useBand } from "../state/band";
import { errorText } from "../state/errors";
import { useProjectConfig } from "../state/scripts";
import { useChatDefaults } from "../state/settings";
import { useStore } from "../state/store";
import { navigate } from "./route";
import { AgentAndMode } from "./widgets/AgentAndMode";
import { Modal } from "./widgets/Modal";

export function NewWorkspace({ project, onClose }: { project: string; onClose(): void }) {
  const band = useBand();
  const info = useStore(band.state, (s) => s.projects.find((p) => p.name === project));
  const [branch, setBranch] = useState("");
  const [base, setBase] = useState("");
  const { agent, mode, model, pickAgent, pickMode, setModel } = useChatDefaults();
  const [prompt, setPrompt] = useState("");
  const [direct, setDirect] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The project's configured defaults, once known, until the user picks otherwise.
  const defaults = useProjectConfig(band, project)?.defaults;
  useEffect(() => {
    if (defaults?.agent) pickAgent(defaults.agent);
    if (defaults?.mode) pickMode(defaults.mode);
    if (defaults?.model) setModel(defaults.model);
  }, [defaults]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await band.createWorkspace({
        project,
        branch: direct ? undefined : branch.trim(),
        direct: direct || undefined,
        base: direct ? undefined : base.trim() || undefined,
        prompt: prompt.trim() || undefined,
        agent: prompt.trim() ? agent : undefined,
        mode: prompt.trim() ? mode : undefined,
        model: prompt.trim() && model.trim() ? model.trim() : undefined,
      });
      onClose();
      navigate({ workspace: created.id, tab: "chat", chat: created.chat?.id ?? null });
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <Modal title={`New workspace in ${project}`} onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <label className="check">
          <input type="checkbox" name="direct" checked={direct} onChange={(e) => setDirect(e.target.checked)} />
          <span>
            Work in the checkout itself (direct): no new worktree or branch; the agent changes{" "}
            {info?.path ?? "the checkout"} directly, and removing the workspace never touches it
          </span>
        </label>
        {!direct && (
          <>
            <label>
              Branch
              <input
                name="branch"
                value={branch}
                onChange={(e) => setBranch(e.target.value)}
                placeholder="fix-login"
                required
                autoComplete="off"
                spellCheck={false}
              />
            </label>
            <label>
              Base
              <input
                name="base"
                value={base}
                onChange={(e) => setBase(e.target.value)}
                placeholder={defaults?.baseBranch ?? info?.defaultBranch ?? "the default branch"}
                autoComplete="off"
                spellCheck={false}
              />
            </label>
          </>
        )}
        <label>
          First prompt (optional: starts a chat)
          <textarea name="prompt" value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={4} />
        </label>
        <AgentAndMode agent={agent} mode={mode} onAgent={pickAgent} onMode={pickMode} />
        <label>
          Model (optional)
          <input name="model" value={model} onChange={(e) => setModel(e.target.value)} placeholder="the agent's default" />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || (!direct && !branch.trim())}>
            {busy ? "Creating…" : "Create workspace"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
