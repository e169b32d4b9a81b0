// A chat's log as a virtualized list (rows near the viewport only), keyed by the sequence number
// of each row's first event; scrolling near the top loads the page before.

import { useCallback } from "react";
import type { TurnInfo } from "../../api/types";
import type { ChatLog, Item } from "../../state/chatlog";
import { VirtualList } from "../widgets/VirtualList";
import { ItemView } from "./Item";

/** Rows are keyed by the sequence number of their first event (`e<seq>`). */
const seqOfKey = (key: string) => Number(key.slice(1));
const keyOf = (i: Item) => i.key;

export function Log(props: {
  log: ChatLog;
  /** The log's version: bumped whenever it changed. */
  version: number;
  /** Finished turns' figures, by the sequence number of their `turn_ended`. */
  turns: Map<number, TurnInfo>;
  /** Absent: this device may not answer permission requests (read access). */
  onRespond?(request: string, decision: "allow" | "deny"): void;
  loadOlder(): void;
  olderBusy: boolean;
  label: string;
}) {
  const { log, version, turns, onRespond, loadOlder, olderBusy, label } = props;
  const render = useCallback(
    (item: Item) => <ItemView item={item} onRespond={onRespond} turn={item.kind === "turn" ? turns.get(item.seq) : undefined} />,
    [onRespond, turns],
  );
  return (
    <VirtualList
      items={log.items}
      version={version}
      keyOf={keyOf}
      render={render}
      onNearTop={loadOlder}
      orderOf={seqOfKey}
      label={label}
      className="stream"
      header={
        log.hasOlder ? (
          <div className="muted center small">{olderBusy ? "Loading older events…" : "Scroll up for older events"}</div>
        ) : (
          <div className="muted center small">Start of the chat</div>
        )
      }
    />
  );
}
