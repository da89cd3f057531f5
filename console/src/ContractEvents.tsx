// A contract's events as they commit, from the REST gateway's event stream
// (GET …/contracts/{name}/events, text/event-stream), newest first.
import { useEffect, useRef, useState } from "react";
import { api, type Schemas } from "./api/client";
import { DataTable, Empty, ErrorBox } from "./components";
import { problemMessage } from "./lib/format";
import { splitEvents } from "./lib/sse";

type ContractEvent = Schemas["ContractEvent"];
const KEEP = 50;

export function ContractEvents({ chain, contract, channel }: { chain: string; contract: string; channel?: string }) {
  const [events, setEvents] = useState<ContractEvent[]>([]);
  const [watching, setWatching] = useState<string | null>(null);
  // Set once the stream is open: events from then on are seen.
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);

  const stop = () => {
    abort.current?.abort();
    abort.current = null;
    setWatching(null);
    setOpen(false);
  };
  // Leaving the page or switching chains or channels ends the stream.
  useEffect(() => stop, [chain, channel]);

  async function watch() {
    stop();
    setError(null);
    setEvents([]);
    const controller = new AbortController();
    abort.current = controller;
    setWatching(contract);
    try {
      const r = await api.GET("/api/chains/{chain}/contracts/{name}/events", {
        params: { path: { chain, name: contract }, query: channel ? { channel } : {} },
        parseAs: "stream",
        signal: controller.signal,
      });
      if (!r.response.ok || !r.data) {
        const body = await r.response.json().catch(() => null);
        setError(problemMessage(body, r.response.status));
        return setWatching(null);
      }
      setOpen(true);
      const reader = (r.data as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const { events: got, rest } = splitEvents(buffer + decoder.decode(value, { stream: true }));
        buffer = rest;
        for (const e of got) {
          if (e.event === "contract") {
            const parsed = JSON.parse(e.data) as ContractEvent;
            setEvents((all) => [parsed, ...all].slice(0, KEEP));
          } else if (e.event === "error") setError(`The event stream failed: ${e.data}`);
        }
      }
      setError("The event stream ended (the chain's node went away?): watch again to resume.");
    } catch (e) {
      if (!controller.signal.aborted) setError(`The event stream broke: ${String(e)}`);
    }
    if (abort.current === controller) {
      setWatching(null);
      setOpen(false);
    }
  }

  return (
    <section aria-label="Contract events">
      <h2>Events</h2>
      <div className="buttons">
        {watching ? (
          <button type="button" onClick={stop}>
            Stop watching {watching}
          </button>
        ) : (
          <button type="button" onClick={watch} disabled={!contract}>
            Watch {contract || "a contract"}'s events
          </button>
        )}
      </div>
      <ErrorBox message={error} />
      {watching && open && events.length === 0 && (
        <Empty>Watching {watching}: events appear here as their transactions commit (from the next block on).</Empty>
      )}
      {events.length > 0 && (
        <DataTable
          label="Events"
          rows={events}
          rowKey={(e) => `${e.block}-${e.tx_id}-${e.name}`}
          columns={[
            { header: "Block", cell: (e) => e.block },
            { header: "Event", cell: (e) => e.name },
            { header: "Transaction", cell: (e) => <code>{e.tx_id.slice(0, 16)}…</code> },
            { header: "Payload", cell: (e) => <code className="payload">{e.payload ?? `0x${e.payload_hex}`}</code> },
          ]}
        />
      )}
    </section>
  );
}
