// The empty dashboard: what band is, which agent CLIs are installed here (and how to get one),
// and adding a first project with a path field completed from the server (`~` expanded, only
// directories; a repository without commits is explained with what to run). Loaded on demand.

import { useEffect, useState, type FormEvent } from "react";
import type { AgentInfo, FsEntryInfo } from "../api/types";
import { installText, loadAgents } from "../state/agents";
import { useBand, useCan } from "../state/band";
import { errorText } from "../state/errors";
import { completePath, firstCommitHint, pathFacts } from "../state/fs";
import "./overview.css";

export default function Onboarding() {
  const band = useBand();
  const admin = useCan("admin");
  const control = useCan("control");
  const [agents, setAgents] = useState<AgentInfo[] | null>(null);
  useEffect(() => {
    loadAgents(band).then(setAgents, () => setAgents([]));
  }, [band]);
  const installed = (agents ?? []).filter((a) => a.installed);
  const missing = (agents ?? []).filter((a) => !a.installed);
  return (
    <section className="onboarding" data-testid="onboarding" aria-label="Getting started">
      <h2>Welcome to band</h2>
      <p>
        band runs AI coding agents (Claude Code, Codex, Gemini CLI…) side by side, each in its own git worktree and branch of your
        project, and lets you watch them, answer what they ask, review their changes and merge them, from this computer or your
        phone.
      </p>
      <h3>1. An agent</h3>
      {agents === null ? (
        <p className="muted small">Looking for agent CLIs…</p>
      ) : (
        <ul className="small" data-testid="onboarding-agents">
          {installed.map((a) => (
            <li key={a.id}>
              <strong>{a.name}</strong> <span className="muted">installed{a.version ? ` (${a.version})` : ""}</span>
            </li>
          ))}
          {installed.length === 0 && <li>No agent CLI is installed on the machine running band yet: install one of these.</li>}
          {installed.length === 0 && missing.map((a) => <Missing key={a.id} a={a} />)}
        </ul>
      )}
      {agents !== null && installed.length > 0 && missing.length > 0 && (
        <details className="small">
          <summary>How to install another agent ({missing.length})</summary>
          <ul data-testid="onboarding-more-agents">
            {missing.map((a) => (
              <Missing key={a.id} a={a} />
            ))}
          </ul>
        </details>
      )}
      <h3>2. A project</h3>
      {control ? (
        <AddFirstProject complete={admin} />
      ) : (
        <p className="small muted">This device has read access: adding a project needs control access.</p>
      )}
      <h3>3. A workspace</h3>
      <p className="small">Then press + beside the project: a new branch in its own worktree, and a first prompt for its agent.</p>
    </section>
  );
}

function Missing({ a }: { a: AgentInfo }) {
  return (
    <li>
      {a.name}: <code>{installText(a.install)}</code>
    </li>
  );
}

function AddFirstProject({ complete }: { complete: boolean }) {
  const band = useBand();
  const [path, setPath] = useState("~/");
  const [found, setFound] = useState<FsEntryInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [hint, setHint] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!complete || !path.trim()) return;
    let live = true;
    const t = setTimeout(() => {
      completePath(band, path).then(
        (got) => live && setFound(got.entries.slice(0, 12)),
        () => live && setFound([]),
      );
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [band, complete, path]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const chosen = path.trim().replace(/\/+$/, "");
    if (!chosen) return;
    setBusy(true);
    setError(null);
    setHint(null);
    try {
      const facts = complete ? await pathFacts(band, chosen) : undefined;
      if (facts?.noCommits) {
        setError(`${facts.path} is a git repository without any commit yet: band branches each workspace from a commit.`);
        setHint(firstCommitHint(facts.path));
        return;
      }
      if (facts && !facts.git) {
        setError(`${facts.path} is not a git repository.`);
        setHint(`git -C ${JSON.stringify(facts.path)} init && git -C ${JSON.stringify(facts.path)} commit --allow-empty -m "Initial commit"`);
        return;
      }
      await band.addProject(facts?.path ?? chosen);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="onboarding-add" onSubmit={submit}>
      <label htmlFor="onboarding-path">Its folder on this machine (a git repository)</label>
      <div className="row">
        <input
          id="onboarding-path"
          value={path}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => setPath(e.target.value)}
          placeholder="~/code/my-app"
        />
        <button type="submit" className="primary" disabled={busy}>
          Add project
        </button>
      </div>
      {complete && found.length > 0 && (
        <ul className="onboarding-paths small" aria-label="Folders" data-testid="path-completions">
          {found.map((f) => (
            <li key={f.path}>
              <button type="button" className="link" onClick={() => setPath(f.git ? f.path : `${f.path}/`)}>
                {f.path}
              </button>{" "}
              <span className="muted">{f.noCommits ? "repository, no commits yet" : f.git ? "git repository" : ""}</span>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
      {hint && (
        <p className="small" data-testid="onboarding-hint">
          Run this, then add it again: <code>{hint}</code>
        </p>
      )}
    </form>
  );
}
