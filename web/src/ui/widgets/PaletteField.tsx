// The command palette's field: drawn by the palette, and by the stand-in shown while the palette's
// code loads (so that what is typed right after Ctrl/Cmd+K is kept).

import type { KeyboardEvent } from "react";

export function PaletteField({
  value,
  onChange,
  onKeyDown,
}: {
  value: string;
  onChange(value: string): void;
  onKeyDown(e: KeyboardEvent<HTMLInputElement>): void;
}) {
  return (
    <input
      type="search"
      className="palette-input"
      aria-label="Command"
      placeholder="Go to a workspace or chat, or run a command…"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      onKeyDown={onKeyDown}
    />
  );
}

/** What was typed into the stand-in: the palette starts from it, and an Enter picks at once. */
export interface Typed {
  query: string;
  enter: boolean;
}
