/** A workspace's status as a badge (the sidebar's rows, the workspace header); idle shows none. */
export function StatusBadge({ status }: { status: string }) {
  if (status === "idle") return null;
  return (
    <span className={`badge badge-${status}`} data-testid="badge">
      {status}
    </span>
  );
}
