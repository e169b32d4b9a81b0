// The desktop shell's OS bridge (band-desktop), when this page runs inside it: a native folder
// picker, reveal in the file manager, open in the editor, the clipboard, links in the browser.
// band-desktop defines `window.bandDesktop` only in its own window and only on the embedded
// dashboard's origin (docs/ARCHITECTURE.md, band-desktop); in a browser tab it does not exist,
// and the views show none of the extra buttons. Views reach it only through this module (the
// data rule: test/dataRule.test.ts).

export interface DesktopBridge {
  version: number;
  call(method: string, params?: Record<string, unknown>): Promise<unknown>;
}

declare global {
  interface Window {
    bandDesktop?: DesktopBridge;
  }
}

/** What the shell offers this page. */
export interface Desktop {
  /** The editor the shell found ("VS Code", "$VISUAL (vim)"), or null. */
  editor(): Promise<string | null>;
  /** The folder the person chose in the native dialog, or null when they cancelled. */
  pickFolder(title?: string): Promise<string | null>;
  /** Shows a workspace (or a file in it) in the file manager. */
  reveal(workspace: number, file?: string): Promise<void>;
  /** Opens a workspace, or a file in it at a line, in the person's editor; the editor's name. */
  openInEditor(workspace: number, file?: string, line?: number): Promise<string>;
  copy(text: string): Promise<void>;
  /** Opens an https link in the default browser. */
  openLink(url: string): Promise<void>;
}

/** The shell's bridge in `w`, or null outside band-desktop. */
export function bridgeIn(w: { bandDesktop?: unknown }): DesktopBridge | null {
  const b = w.bandDesktop as DesktopBridge | undefined;
  return b && typeof b.call === "function" && b.version === 1 ? b : null;
}

export function desktopFrom(b: DesktopBridge | null): Desktop | null {
  if (!b) return null;
  return {
    async editor() {
      const info = (await b.call("info")) as { editor?: string | null } | null;
      return info?.editor ?? null;
    },
    async pickFolder(title) {
      const chosen = await b.call("pickFolder", title ? { title } : {});
      return typeof chosen === "string" ? chosen : null;
    },
    async reveal(workspace, file) {
      await b.call("reveal", file ? { workspace, file } : { workspace });
    },
    async openInEditor(workspace, file, line) {
      const r = (await b.call("openInEditor", { workspace, ...(file ? { file } : {}), ...(line ? { line } : {}) })) as {
        editor?: string;
      } | null;
      return r?.editor ?? "the editor";
    },
    async copy(text) {
      await b.call("copy", { text });
    },
    async openLink(url) {
      await b.call("openLink", { url });
    },
  };
}

const here: Desktop | null = typeof window === "undefined" ? null : desktopFrom(bridgeIn(window));

/** The shell's bridge, or null in a browser (then the views show no desktop buttons). */
export function useDesktop(): Desktop | null {
  return here;
}

/** Tells the shell the dashboard has drawn its lists (once), naming the projects it shows: the
 * shell records its start-up time. After a frame, so that what is said is on screen. */
export function announceReady(projects: string[], b: DesktopBridge | null = typeof window === "undefined" ? null : bridgeIn(window)): void {
  if (!b || announced) return;
  announced = true;
  const send = () => void b.call("ready", { projects }).catch(() => {});
  if (typeof requestAnimationFrame === "function") requestAnimationFrame(() => setTimeout(send, 0));
  else setTimeout(send, 0);
}
let announced = false;
