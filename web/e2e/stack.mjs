// A real band: the band-server binary built by cargo, a fresh BAND_HOME, a real git repository,
// and the real Claude Code CLI (installed by ./scripts/agents.sh) talking to the scripted mock
// model (the band-mockmodel binary) on 127.0.0.1. Shared by the browser tests and the benchmark.
//
// Binaries: $BAND_SERVER_BIN and $BAND_MOCKMODEL_BIN, else $CARGO_TARGET_DIR (or ../target)
// /debug/. Agents: $BAND_AGENTS_BIN, else ~/.cache/band/agents/node_modules/.bin.

import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const web = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = resolve(web, "..");

function binary(env, name) {
  if (process.env[env]) return process.env[env];
  const target = process.env.CARGO_TARGET_DIR ? resolve(repoRoot, process.env.CARGO_TARGET_DIR) : join(repoRoot, "target");
  for (const profile of ["debug", "release"]) {
    const p = join(target, profile, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`${name} not found under ${target}: build it (cargo build -p band-server -p band-mockmodel) or set ${env}`);
}

export function agentsBin() {
  const dir = process.env.BAND_AGENTS_BIN || join(homedir(), ".cache/band/agents/node_modules/.bin");
  if (!existsSync(join(dir, "claude"))) throw new Error(`claude is not in ${dir}: run ./scripts/agents.sh`);
  return dir;
}

/** Starts `cmd` and resolves with the process and the first stdout line matching `pattern`. */
function startProcess(cmd, args, options, pattern, label) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    const lines = createInterface({ input: child.stdout });
    const stderr = [];
    child.stderr.on("data", (d) => {
      stderr.push(d.toString());
      if (process.env.BAND_E2E_VERBOSE) process.stderr.write(`[${label}] ${d}`);
    });
    const timer = setTimeout(() => reject(new Error(`${label} did not start: ${stderr.join("")}`)), 20_000);
    const found = {};
    lines.on("line", (line) => {
      if (process.env.BAND_E2E_VERBOSE) process.stderr.write(`[${label}] ${line}\n`);
      for (const [key, re] of Object.entries(pattern)) {
        const m = re.exec(line);
        if (m) found[key] = m[1];
      }
      if (Object.keys(found).length === Object.keys(pattern).length) {
        clearTimeout(timer);
        resolvePromise({ child, ...found });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code}: ${stderr.join("")}`));
    });
  });
}

function stopProcess(child) {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r();
    const kill = setTimeout(() => child.kill("SIGKILL"), 8000);
    child.once("exit", () => {
      clearTimeout(kill);
      r();
    });
    child.kill("SIGTERM");
  });
}

export function git(cwd, ...args) {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "band", GIT_AUTHOR_EMAIL: "band@example.invalid", GIT_COMMITTER_NAME: "band", GIT_COMMITTER_EMAIL: "band@example.invalid" },
  }).trim();
}

/**
 * A running band. `scenario(worktreesDir)` returns the mock model's turns (it may name files
 * inside the worktree a workspace will get: `<worktreesDir>/<project>/<branch>`).
 */
export async function startStack({ name = "band-e2e", project = "app", scenario, agentEnv = {}, settings: extra = {} }) {
  const root = realpathSync(mkdtempSync(join(tmpdir(), `${name}-`)));
  const home = join(root, "home");
  const repo = join(root, project);
  mkdirSync(home, { recursive: true });
  mkdirSync(repo, { recursive: true });
  git(repo, "init", "-q", "-b", "main");
  writeFileSync(join(repo, "README.md"), `# ${project}\n\nA repository for band's browser tests.\n`);
  writeFileSync(join(repo, "app.js"), 'export function greet(name) {\n  return "hi " + name;\n}\n');
  git(repo, "add", ".");
  git(repo, "commit", "-q", "-m", "Initial commit");

  const worktrees = join(home, "worktrees");
  const scenarioPath = join(root, "scenario.json");
  writeFileSync(scenarioPath, JSON.stringify({ turns: scenario(worktrees) }));
  const mock = await startProcess(
    binary("BAND_MOCKMODEL_BIN", "band-mockmodel"),
    ["--scenario", scenarioPath, "--port", "0", "--brief"],
    {},
    { url: /^(http:\/\/127\.0\.0\.1:\d+)$/ },
    "mock",
  );

  // As band_mockmodel::offline::configure_band_home: the real CLI, offline, against the mock.
  const bin = agentsBin();
  const scratch = join(home, "agent-home");
  mkdirSync(join(scratch, ".claude"), { recursive: true });
  const settings = {
    agents: {
      "claude-code": {
        binary: join(bin, "claude"),
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          HOME: scratch,
          CLAUDE_CONFIG_DIR: join(scratch, ".claude"),
          ANTHROPIC_BASE_URL: mock.url,
          ANTHROPIC_API_KEY: "test",
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
          DISABLE_TELEMETRY: "1",
          DISABLE_AUTOUPDATER: "1",
          DISABLE_ERROR_REPORTING: "1",
          ...agentEnv,
        },
      },
    },
  };
  // Terminals get a HOME of their own: the machine's rc files (a pyenv hook waiting on a stale
  // lock, say) are not what these tests are about, as in the Rust tests' isolate_terminals.
  const shellHome = join(home, "shell-home");
  mkdirSync(shellHome, { recursive: true });
  const terminals = { env: { HOME: shellHome } };
  // `settings` may be a function of the mock's URL (to configure other agents against it).
  const more = typeof extra === "function" ? extra({ mockUrl: mock.url, home, bin }) : extra;
  writeFileSync(join(home, "settings.json"), JSON.stringify({ ...settings, terminals, ...more, agents: { ...settings.agents, ...(more.agents ?? {}) } }));

  // A restart keeps the port: the page's origin, and so its session cookie, stay valid.
  const startServer = async (port = 0) => {
    const server = await startProcess(
      binary("BAND_SERVER_BIN", "band-server"),
      ["--home", home, "--port", String(port)],
      { env: { ...process.env, BAND_WEB_DIR: process.env.BAND_WEB_DIR || join(web, "dist"), BAND_LOG: process.env.BAND_LOG || "warn" } },
      { url: /listening on (http:\/\/127\.0\.0\.1:\d+)/, link: /^dashboard: (\S+)$/ },
      "band-server",
    );
    return { ...server, token: new URL(server.link).searchParams.get("token") };
  };
  let server = await startServer();

  return {
    root,
    home,
    repo,
    worktrees,
    get url() {
      return server.url;
    },
    /** The sign-in link band-server printed (`/?token=...`). */
    get link() {
      return server.link;
    },
    get token() {
      return server.token;
    },
    mockUrl: mock.url,
    /** Stops band-server, runs `between` (its database is free then), and starts it again on the same port. */
    async restart(between) {
      await stopProcess(server.child);
      await between?.();
      server = await startServer(new URL(server.url).port);
    },
    worktree: (branch) => join(worktrees, project, branch),
    /** JSON-RPC over HTTP with the token, as the CLI does. */
    async call(method, params = {}) {
      const res = await fetch(`${server.url}/rpc`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${server.token}` },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      });
      const body = await res.json();
      if (body.error) throw new Error(`${method}: ${body.error.message}`);
      return body.result;
    },
    /** Polls `chats.get` until the chat's status is `status`; returns the chat. */
    async waitChat(chat, status = "completed", within = 60_000) {
      const deadline = Date.now() + within;
      for (;;) {
        const c = await this.call("chats.get", { chat });
        if (c.status === status) return c;
        if (Date.now() > deadline) throw new Error(`chat ${chat} is ${c.status}, not ${status}, after ${within} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      await stopProcess(server.child);
      await stopProcess(mock.child);
      if (!process.env.BAND_E2E_KEEP) rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Debian's Chromium through playwright-core, with the flags this machine needs. Playwright gives
 * every launch a fresh, empty --user-data-dir of its own (and removes it on close).
 */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** The pinned bore (scripts/tools.sh installs it; scripts/test.sh exports BAND_TEST_BORE). */
export function boreBinary() {
  const bore = process.env.BAND_TEST_BORE || join(homedir(), ".cache/band/tools/bin/bore");
  if (!existsSync(bore)) {
    throw new Error(`bore is needed for the tunnel browser test and was not found at ${bore}: run ./scripts/tools.sh`);
  }
  return bore;
}

/** A `bore server` on 127.0.0.1 (its control port is bore's fixed 7835), stopped by `stop()`. */
export async function startBoreServer(bore) {
  const child = spawn(bore, ["server", "--bind-addr", "127.0.0.1", "--bind-tunnels", "127.0.0.1", "--min-port", "47100", "--max-port", "47900"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr.on("data", (d) => (log += d));
  const { connect } = await import("node:net");
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => {
      const sock = connect(7835, "127.0.0.1", () => {
        sock.destroy();
        resolve(true);
      });
      sock.on("error", () => resolve(false));
    });
    if (up) return { stop: () => stopProcess(child) };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`bore server did not listen on 127.0.0.1:7835 (is another one running?): ${log}`);
}
