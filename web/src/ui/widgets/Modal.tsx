// A dialog over the page: Escape or a click on the backdrop closes it, and its first control (or
// its first field, when asked) has the focus when it opens.

import { useEffect, useLayoutEffect, useRef, type ReactNode } from "react";

export function Modal({
  title,
  onClose,
  children,
  focusField,
}: {
  title: string;
  onClose(): void;
  children: ReactNode;
  /** Its first field takes the keyboard rather than the Close button (a palette: typed into at once). */
  focusField?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  // Focused as the dialog is drawn: keys typed right after the key that opened it land here.
  useLayoutEffect(() => {
    const el = ref.current;
    const field = focusField ? el?.querySelector<HTMLElement>("input, textarea, select") : null;
    (field ?? el?.querySelector<HTMLElement>("input, textarea, select, button"))?.focus();
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={title} ref={ref}>
        <header className="modal-head">
          <h2>{title}</h2>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        {children}
      </div>
    </div>
  );
}
