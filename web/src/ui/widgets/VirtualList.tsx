// A virtualized list of rows of varying height, for chats of any length: only the rows near the
// viewport are in the DOM; heights are measured as rows render and estimated until then.
//
// It keeps what the user looks at still: while following the end (scrolled to the bottom), new
// rows keep it at the bottom; otherwise the first visible row stays where it was when rows are
// added above it (older pages) or change height above it.

import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";

interface Props<T> {
  items: readonly T[];
  /** Bumped whenever an item changed in place. */
  version: number;
  keyOf(item: T): string;
  render(item: T): ReactNode;
  estimate?: number;
  /** Called when the user nears the top (to load older rows). */
  onNearTop?(): void;
  /** Rendered above the first row (e.g. "loading older events"). */
  header?: ReactNode;
  /** Rows' order by key, to keep the reading position when a row is merged into the one before it. */
  orderOf?(key: string): number;
  className?: string;
  label?: string;
}

const OVERSCAN_PX = 800;
const HEADER_PX = 40;

export interface Anchor {
  key: string;
  /** How far the viewport's top was below the row's top. */
  delta: number;
}

/**
 * Where the viewport's top belongs so that the anchor row stays put: its new offset plus the
 * same delta. A row can vanish when rows are refolded (an older page joined a message to the
 * text before it): then the last row ordered at or before it holds its content, at its end, so
 * the anchor moves down by how much taller that row is than the vanished one was.
 */
export function anchorTop(
  anchor: Anchor,
  keys: readonly string[],
  offsets: ArrayLike<number>,
  heightOf: (key: string) => number,
  indexOfKey: ReadonlyMap<string, number>,
  orderOf?: (key: string) => number,
): number | undefined {
  const i = indexOfKey.get(anchor.key);
  if (i !== undefined) return offsets[i] + anchor.delta;
  if (!orderOf || keys.length === 0) return undefined;
  const order = orderOf(anchor.key);
  let lo = 0;
  let hi = keys.length - 1;
  if (orderOf(keys[0]) > order) return undefined;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (orderOf(keys[mid]) <= order) lo = mid;
    else hi = mid - 1;
  }
  const grown = Math.max(0, heightOf(keys[lo]) - heightOf(anchor.key));
  return offsets[lo] + grown + anchor.delta;
}

export function VirtualList<T>({ items, version, keyOf, render, estimate = 64, onNearTop, header, orderOf, className, label }: Props<T>) {
  const scroller = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const [measured, setMeasured] = useState(0);
  const [viewport, setViewport] = useState({ top: 0, height: 800 });
  const follow = useRef(true);
  const anchor = useRef<Anchor | null>(null);
  const pendingFrame = useRef(0);
  const lastTop = useRef(0);

  const keys = useMemo(() => items.map(keyOf), [items, version, keyOf]); // eslint-disable-line react-hooks/exhaustive-deps
  const offsets = useMemo(() => {
    const o = new Float64Array(keys.length + 1);
    o[0] = HEADER_PX;
    for (let i = 0; i < keys.length; i++) o[i + 1] = o[i] + (heights.current.get(keys[i]) ?? estimate);
    return o;
  }, [keys, measured, estimate]);
  const total = offsets[keys.length];
  const indexOfKey = useMemo(() => new Map(keys.map((k, i) => [k, i])), [keys]);

  /** The first row whose bottom is below `y`. */
  const rowAt = useCallback(
    (y: number) => {
      let lo = 0;
      let hi = keys.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (offsets[mid + 1] <= y) lo = mid + 1;
        else hi = mid;
      }
      return Math.max(0, lo);
    },
    [keys, offsets],
  );

  const first = keys.length ? rowAt(viewport.top - OVERSCAN_PX) : 0;
  const last = keys.length ? rowAt(viewport.top + viewport.height + OVERSCAN_PX) : -1;

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    // Following the end stops only when the user scrolls up: a scroll event that arrives after
    // rows grew (measured taller than estimated) must not leave the end behind.
    if (el.scrollHeight - el.scrollTop - el.clientHeight < 48) follow.current = true;
    else if (el.scrollTop < lastTop.current - 1) follow.current = false;
    lastTop.current = el.scrollTop;
    if (keys.length) {
      const i = rowAt(el.scrollTop);
      anchor.current = { key: keys[i], delta: el.scrollTop - offsets[i] };
    }
    if (!pendingFrame.current) {
      pendingFrame.current = requestAnimationFrame(() => {
        pendingFrame.current = 0;
        const e = scroller.current;
        if (e) setViewport({ top: e.scrollTop, height: e.clientHeight });
      });
    }
    if (el.scrollTop < OVERSCAN_PX && onNearTop) onNearTop();
  }, [keys, offsets, rowAt, onNearTop]);

  useEffect(() => () => cancelAnimationFrame(pendingFrame.current), []);

  // Keep the view where the user left it after rows were added or resized.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (follow.current) {
      toEnd(el);
    } else if (anchor.current) {
      const heightOf = (k: string) => heights.current.get(k) ?? estimate;
      const top = anchorTop(anchor.current, keys, offsets, heightOf, indexOfKey, orderOf);
      if (top !== undefined && Math.abs(el.scrollTop - top) > 1) el.scrollTop = top;
    }
    if (el.scrollTop !== viewport.top || el.clientHeight !== viewport.height) {
      setViewport({ top: el.scrollTop, height: el.clientHeight });
    }
  }, [total, offsets, indexOfKey]); // eslint-disable-line react-hooks/exhaustive-deps

  // One observer measures every rendered row.
  const observer = useMemo(() => {
    if (typeof ResizeObserver === "undefined") return null;
    return new ResizeObserver((entries) => {
      let changed = false;
      for (const entry of entries) {
        const key = (entry.target as HTMLElement).dataset.key;
        if (!key) continue;
        const h = Math.ceil(entry.borderBoxSize?.[0]?.blockSize ?? (entry.target as HTMLElement).offsetHeight);
        if (h > 0 && heights.current.get(key) !== h) {
          heights.current.set(key, h);
          changed = true;
        }
      }
      if (changed) setMeasured((m) => m + 1);
    });
  }, []);
  useEffect(() => () => observer?.disconnect(), [observer]);

  useEffect(() => {
    const el = scroller.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    // The list got shorter (a "waiting for you" line, a queue or an error appeared below it):
    // while following, the end stays in view.
    const ro = new ResizeObserver(() => {
      if (follow.current) toEnd(el);
      setViewport({ top: el.scrollTop, height: el.clientHeight });
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const rows: ReactNode[] = [];
  for (let i = first; i <= last && i < items.length; i++) {
    rows.push(
      <Row key={keys[i]} k={keys[i]} top={offsets[i]} observer={observer}>
        {render(items[i])}
      </Row>,
    );
  }

  return (
    <div ref={scroller} className={`vlist ${className ?? ""}`} onScroll={onScroll} role="log" aria-label={label}>
      <div className="vlist-inner" style={{ height: total }}>
        <div className="vlist-header" style={{ height: HEADER_PX }}>
          {header}
        </div>
        {rows}
      </div>
    </div>
  );
}

/** Scrolls to the very end (the last row's bottom edge at the viewport's bottom). */
function toEnd(el: HTMLElement) {
  const bottom = Math.max(0, el.scrollHeight - el.clientHeight);
  if (Math.abs(el.scrollTop - bottom) > 1) el.scrollTop = bottom;
}

const Row = memo(function Row({
  k,
  top,
  observer,
  children,
}: {
  k: string;
  top: number;
  observer: ResizeObserver | null;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || !observer) return;
    observer.observe(el);
    return () => observer.unobserve(el);
  }, [observer]);
  return (
    <div ref={ref} className="vlist-row" data-key={k} style={{ transform: `translateY(${top}px)` }}>
      {children}
    </div>
  );
});
