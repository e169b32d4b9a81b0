// The remembered layout. band-server keeps it (layout.get/set) and never interprets it, so this
// module owns its shape: whatever comes back is validated field by field, and anything unknown,
// missing or out of range falls back to a default. Another browser or device opens where this one
// left off: the workspace, its side pane, the split, the chat and the file.

/** Which pane sits beside the chat on a wide screen (and which tab a phone shows). */
export type SidePane = "changes" | "files" | "terminal";

export interface WorkspaceLayout {
  /** The pane beside the chat. */
  pane: SidePane;
  /** Whether that pane is open at all (a wide screen can give the chat the whole width). */
  sideOpen: boolean;
  /** The chat's share of the width, 0.25 to 0.75. */
  split: number;
  /** The chat last looked at. */
  chat: number | null;
  /** The file open in the Files pane. */
  file: string | null;
}

export interface GlobalLayout {
  /** The workspace last opened. */
  workspace: number | null;
}

export const defaultWorkspaceLayout: WorkspaceLayout = {
  pane: "changes",
  sideOpen: true,
  split: 0.55,
  chat: null,
  file: null,
};

export const defaultGlobalLayout: GlobalLayout = { workspace: null };

const panes: readonly SidePane[] = ["changes", "files", "terminal"];

function id(v: unknown): number | null {
  return typeof v === "number" && Number.isInteger(v) && v > 0 ? v : null;
}

export function clampSplit(v: number): number {
  return Math.min(0.75, Math.max(0.25, v));
}

/** A stored workspace layout, made safe: any field that is not as expected takes its default. */
export function parseWorkspaceLayout(v: unknown): WorkspaceLayout {
  const o = v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  const d = defaultWorkspaceLayout;
  return {
    pane: panes.includes(o.pane as SidePane) ? (o.pane as SidePane) : d.pane,
    sideOpen: typeof o.sideOpen === "boolean" ? o.sideOpen : d.sideOpen,
    split: typeof o.split === "number" && Number.isFinite(o.split) ? clampSplit(o.split) : d.split,
    chat: id(o.chat),
    file: typeof o.file === "string" && o.file.length > 0 && o.file.length < 4096 ? o.file : null,
  };
}

export function parseGlobalLayout(v: unknown): GlobalLayout {
  const o = v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  return { workspace: id(o.workspace) };
}

export function sameLayout<T extends object>(a: T, b: T): boolean {
  const ka = Object.keys(a) as (keyof T)[];
  return ka.length === Object.keys(b).length && ka.every((k) => Object.is(a[k], b[k]));
}

/**
 * Writes a layout at most once per `delayMs`, the last value winning; a write that fails is
 * dropped (the layout is a convenience, never worth an error in the user's face).
 */
export class LayoutWriter<T> {
  private pending: T | undefined;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly write: (value: T) => Promise<unknown>,
    private readonly delayMs = 400,
  ) {}

  set(value: T): void {
    this.pending = value;
    if (this.timer === null) this.timer = setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const value = this.pending;
    this.pending = undefined;
    if (value !== undefined) this.write(value).catch(() => {});
  }
}
