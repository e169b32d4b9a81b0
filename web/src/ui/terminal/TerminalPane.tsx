// The Terminal pane: the workspace's shells (PTYs on the server, pty-process), one tab each,
// drawn by xterm.js over each terminal's own WebSocket. The server picks the shell, its
// directory and its environment; the pane only creates, types, resizes and kills. Terminals
// outlive the page: reopening the pane reattaches to them and replays their scrollback. On a
// phone a row of keys (Ctrl-C, Tab, Esc, arrows) and a command line help the on-screen keyboard.
// A device with read access watches: the output comes through `terminals.subscribe` (as text) and
// nothing can be typed, created or killed.
// The keyboard goes to a shell only when asked (its pane or tab chosen, the shell clicked): never
// on load. F6 leaves the shell (Tab, Shift+Tab and Esc are the shell's).
// Loaded on demand: xterm.js is not in the dashboard's first download.

import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import type { TerminalInfo, WorkspaceInfo } from "../../api/types";
import { useBand, useCan } from "../../state/band";
import { errorText } from "../../state/errors";
import {
  connectTerminal,
  createTerminal,
  killTerminal,
  openTerminals,
  watchTerminal,
  type TerminalConnection,
  type TerminalState,
} from "../../state/terminals";

export default function TerminalPane({
  workspace,
  narrow,
  visible,
  focusRequest = 0,
}: {
  workspace: WorkspaceInfo;
  narrow: boolean;
  visible: boolean;
  /** Bumped each time the person opens the Terminal pane: the shell on screen takes the keyboard. */
  focusRequest?: number;
}) {
  const band = useBand();
  const [terminals, setTerminals] = useState<TerminalInfo[] | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const control = useCan("control");
  const connections = useRef(new Map<number, TerminalConnection>());
  const [, setAttached] = useState(0);
  const [asked, setAsked] = useState(0);
  const header = useRef<HTMLElement>(null);
  const ws = workspace.id;

  const create = useCallback(async () => {
    setError(null);
    try {
      const t = await createTerminal(band, ws);
      setTerminals((list) => [...(list ?? []).filter((x) => x.id !== t.id), t]);
      setSelected(t.id);
      setAsked((n) => n + 1);
      return t;
    } catch (e) {
      setError(errorText(e));
    }
  }, [band, ws]);

  // The workspace's terminals; a first one when it has none.
  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const list = await openTerminals(band, ws, control);
        if (cancelled) return;
        setTerminals(list);
        if (list.length === 0) return; // read access, and no terminal to watch
        setSelected((s) => (s !== null && list.some((t) => t.id === s) ? s : list[list.length - 1].id));
      } catch (e) {
        if (!cancelled) {
          setTerminals([]);
          setError(errorText(e));
        }
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [band, ws, control]);

  const kill = async (id: number) => {
    try {
      await killTerminal(band, id);
    } catch (e) {
      return setError(errorText(e));
    }
    forget(id);
  };
  // A terminal the server no longer has (band-server restarted, or it was closed elsewhere): said,
  // with a way to start a new one, never a pane that just empties.
  const [lost, setLost] = useState<string | null>(null);
  const gone = (t: { id: number; title: string }) => {
    setLost(t.title);
    forget(t.id);
  };
  const forget = (id: number) => {
    setTerminals((list) => {
      const next = (list ?? []).filter((t) => t.id !== id);
      setSelected((s) => (s === id ? (next[next.length - 1]?.id ?? null) : s));
      return next;
    });
  };
  const current = selected === null ? undefined : connections.current.get(selected);

  return (
    <section className="pane terminal-pane" aria-label="Terminal" data-testid="terminals">
      <header className="pane-head terminal-tabs" ref={header}>
        <h2>Terminal</h2>
        <div className="term-tabs" role="tablist" aria-label="Terminals">
          {(terminals ?? []).map((t) => (
            <span key={t.id} className={`term-tab ${t.id === selected ? "active" : ""}`}>
              <button
                type="button"
                role="tab"
                aria-selected={t.id === selected}
                onClick={() => {
                  setSelected(t.id);
                  setAsked((n) => n + 1);
                }}
                data-testid="terminal-tab"
              >
                {t.title}
              </button>
              {control && (
                <button type="button" className="icon-button" aria-label={`Close ${t.title}`} title="End this shell" onClick={() => void kill(t.id)}>
                  ×
                </button>
              )}
            </span>
          ))}
        </div>
        {control && !narrow && (
          <span className="term-hint small muted" title="Tab, Shift+Tab and Esc go to the shell">
            F6 leaves the terminal
          </span>
        )}
        {control ? (
          <button type="button" className="secondary" onClick={() => void create()} aria-label="New terminal">
            +
          </button>
        ) : (
          <span className="chip" title="This device has read access">read-only</span>
        )}
      </header>
      {error && (
        <p className="error pad small" role="alert">
          {error}
        </p>
      )}
      {lost && (
        <div className="term-lost pad small" role="status" data-testid="terminal-lost">
          The shell in “{lost}” has ended: it exited, or band-server stopped or restarted (which ends every shell), or it was
          closed elsewhere.{" "}
          {control && (
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setLost(null);
                void create();
              }}
            >
              Start a new terminal
            </button>
          )}
          <button type="button" className="link" onClick={() => setLost(null)}>
            Dismiss
          </button>
        </div>
      )}
      <div className="term-body">
        {terminals === null && <p className="muted pad">Opening a terminal…</p>}
        {terminals?.length === 0 && !error && (
          <p className="muted pad">{control ? "No terminal. Open one with +." : "No terminal in this workspace."}</p>
        )}
        {(terminals ?? []).map((t) => (
          <XtermView
            key={`${t.id}@${t.createdAt}`}
            terminal={t}
            visible={visible && t.id === selected}
            focus={!narrow}
            focusRequest={focusRequest + asked}
            onLeave={() => leaveTerminal(header.current)}
            readOnly={!control}
            onConnection={(c) => {
              if (c) connections.current.set(t.id, c);
              else connections.current.delete(t.id);
              setAttached((n) => n + 1);
            }}
            onGone={() => gone(t)}
            onExited={() => setLost(t.title)}
          />
        ))}
      </div>
      {narrow && control && current && <PhoneKeys connection={current} />}
    </section>
  );
}

const theme = {
  background: "#16171c",
  foreground: "#e6e7ea",
  cursor: "#e6e7ea",
  selectionBackground: "#3b5bdb80",
};

export function XtermView(props: {
  terminal: TerminalInfo;
  visible: boolean;
  focus: boolean;
  /** Changes each time the person asks for this shell: it takes the keyboard then (0: not asked). */
  focusRequest: number;
  /** F6 was pressed in the shell. */
  onLeave(): void;
  /** Watch only: the output through terminals.subscribe, no input. */
  readOnly: boolean;
  onConnection(c: TerminalConnection | null): void;
  onGone(): void;
  /** Its shell ended (it exited, or band-server stopped, which ends every shell). */
  onExited?(): void;
}) {
  const { terminal, visible, focus, focusRequest, readOnly } = props;
  const focused = useRef(0);
  const band = useBand();
  const host = useRef<HTMLDivElement>(null);
  const fit = useRef<FitAddon | null>(null);
  const term = useRef<Terminal | null>(null);
  const [state, setState] = useState<TerminalState>("connecting");
  const [note, setNote] = useState<string | undefined>();
  // Kept current for the callbacks made once below.
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    const el = host.current!;
    const xterm = new Terminal({
      cursorBlink: !readOnly,
      disableStdin: readOnly,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
      fontSize: 13,
      scrollback: 5000,
      theme,
    });
    const fitter = new FitAddon();
    xterm.loadAddon(fitter);
    xterm.open(el);
    term.current = xterm;
    fit.current = fitter;
    const id = terminal.id;
    const exitNote = (code: number | null, signal: number | null) =>
      xterm.write(`\r\n\x1b[2m[the shell exited${signal ? ` on signal ${signal}` : code !== null ? ` with code ${code}` : ""}]\x1b[0m\r\n`);
    const refit = () => {
      if (el.offsetParent === null) return; // hidden: no size to fit
      try {
        fitter.fit();
      } catch {
        // Not laid out yet.
      }
    };
    if (readOnly) {
      // Watching: the output as text through the one RPC socket; the PTY's size is not ours.
      setState("open");
      const stop = watchTerminal(band, id, (item) => {
        if (item.type === "output") xterm.write(item.data);
        else {
          exitNote(item.terminal.exitCode ?? null, item.terminal.exitSignal ?? null);
          setState("exited");
        }
      });
      xterm.resize(terminal.cols, terminal.rows);
      return () => {
        stop();
        xterm.dispose();
        term.current = null;
      };
    }
    const conn = connectTerminal(band, id, {
      data: (bytes) => xterm.write(bytes),
      state: (s, detail) => {
        setState(s);
        setNote(detail);
        if (s === "gone") latest.current.onGone();
        if (s === "exited") latest.current.onExited?.();
      },
      exit: exitNote,
    });
    // F6 hands the keyboard back to the page; everything else is the shell's.
    xterm.attachCustomKeyEventHandler((e) => {
      if (e.key !== "F6") return true;
      if (e.type === "keydown") {
        e.preventDefault();
        latest.current.onLeave();
      }
      return false;
    });
    const subs = [
      xterm.onData((d) => conn.input(d)),
      xterm.onBinary((d) => conn.inputBytes(Uint8Array.from(d, (c) => c.charCodeAt(0) & 0xff))),
      xterm.onResize(({ cols, rows }) => conn.resize(cols, rows)),
    ];
    refit();
    conn.resize(xterm.cols, xterm.rows);
    conn.connect();
    latest.current.onConnection(conn);
    const ro = new ResizeObserver(refit);
    ro.observe(el);
    return () => {
      ro.disconnect();
      subs.forEach((s) => s.dispose());
      latest.current.onConnection(null);
      conn.close();
      xterm.dispose();
      term.current = null;
    };
  }, [band, terminal.id, readOnly]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (!visible || readOnly) return;
    try {
      fit.current?.fit();
    } catch {
      // Not laid out yet: the ResizeObserver fits it when it is.
    }
    // Only when asked: a pane that is on screen because it was left there takes nothing.
    if (focus && focusRequest !== 0 && focusRequest !== focused.current) {
      focused.current = focusRequest;
      term.current?.focus();
    }
  }, [visible, focus, focusRequest, readOnly]);

  const label =
    state === "waiting" ? "Reconnecting…" : state === "exited" ? "Exited" : state === "gone" ? "Closed" : state === "connecting" ? "Connecting…" : "";
  return (
    <div className="term-view" hidden={!visible} data-testid="terminal" data-terminal={terminal.id} data-state={state}>
      {(label || note) && (
        <div className="term-state small muted" role="status">
          {label} {note}
        </div>
      )}
      <div className="term-host" ref={host} />
    </div>
  );
}

/** Leaves the shell: to the chat's message box when it is on screen, else the pane's header. */
function leaveTerminal(header: HTMLElement | null) {
  (document.activeElement as HTMLElement | null)?.blur();
  const message = document.querySelector<HTMLElement>('textarea[aria-label="Message"]');
  const target = message && message.offsetParent !== null ? message : header?.querySelector<HTMLElement>("button");
  target?.focus();
}

/** Keys an on-screen keyboard lacks, and a line to type a command in. */
function PhoneKeys({ connection }: { connection: TerminalConnection }) {
  const [line, setLine] = useState("");
  const keys: [string, string][] = [
    ["Ctrl-C", "\x03"],
    ["Tab", "\t"],
    ["Esc", "\x1b"],
    ["↑", "\x1b[A"],
    ["↓", "\x1b[B"],
  ];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (connection.input(`${line}\r`)) setLine("");
  };
  return (
    <div className="phone-keys">
      <div className="key-row">
        {keys.map(([label, bytes]) => (
          <button key={label} type="button" className="secondary" onClick={() => connection.input(bytes)}>
            {label}
          </button>
        ))}
      </div>
      <form className="row" onSubmit={submit}>
        <input
          aria-label="Command"
          placeholder="Type a command"
          value={line}
          onChange={(e) => setLine(e.target.value)}
          autoCapitalize="off"
          autoCorrect="off"
          spellCheck={false}
        />
        <button type="submit" className="primary">
          Run
        </button>
      </form>
    </div>
  );
}
