// One block as the explorer shows it: its header and every transaction
// with creator, call, validation code, read set and write set.
import { useEffect, useState } from "react";
import { api, type Schemas } from "../api/client";
import { Badge, DataTable, ErrorBox } from "../components";
import { problemMessage } from "../lib/format";
import { Link } from "../router";

export function Block({ chain, number }: { chain: string; number: number }) {
  const [block, setBlock] = useState<Schemas["BlockView"] | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The chain's main channel unless the link names another.
  const channel = new URLSearchParams(window.location.search).get("channel") ?? undefined;
  const suffix = channel ? `?channel=${encodeURIComponent(channel)}` : "";

  useEffect(() => {
    setBlock(null);
    const query = channel ? { channel } : {};
    api.GET("/api/chains/{chain}/blocks/{number}", { params: { path: { chain, number }, query } }).then((r) => {
      if (r.data) setBlock(r.data);
      else setError(problemMessage(r.error, r.response.status));
    });
  }, [chain, number, channel]);

  return (
    <main>
      <h1>
        Block {number}
        {channel && <small> of {channel}</small>}
      </h1>
      <p className="buttons">
        {number > 0 && <Link to={`/chains/${chain}/blocks/${number - 1}${suffix}`}>← block {number - 1}</Link>}
        <Link to={`/chains/${chain}/blocks/${number + 1}${suffix}`}>block {number + 1} →</Link>
      </p>
      <ErrorBox message={error} />
      {block && (
        <>
          <dl className="outcome">
            <dt>Hash</dt>
            <dd>
              <code>{block.hash}</code>
            </dd>
            <dt>Previous hash</dt>
            <dd>
              <code>{block.previous_hash || "(none: the genesis block)"}</code>
            </dd>
            <dt>Cut at</dt>
            <dd>{block.timestamp_ms ? new Date(block.timestamp_ms).toLocaleString() : "genesis"}</dd>
          </dl>
          {block.transactions.map((t) => (
            <section key={t.index} className="tx" aria-label={`Transaction ${t.index}`}>
              <h2>
                Transaction {t.index}: {t.kind === "endorser" ? `${t.contract}.${t.function}` : t.kind}{" "}
                <Badge status={t.validation_code === "VALID" ? "valid" : "failed"} /> {t.validation_code}
              </h2>
              <p>
                <code>{t.tx_id}</code> by {t.creator}@{t.creator_org}
                {t.timestamp_ms > 0 && <> at {new Date(t.timestamp_ms).toLocaleString()}</>}
              </p>
              {t.problem && <p className="error">{t.problem}</p>}
              {t.args.length > 0 && (
                <p>
                  Arguments: <code>{t.args.join(", ")}</code>
                </p>
              )}
              {t.reads.length > 0 && (
                <DataTable
                  label={`Reads of transaction ${t.index}`}
                  rows={t.reads}
                  rowKey={(r) => `${r.namespace}/${r.key}`}
                  columns={[
                    { header: "Read", cell: (r) => `${r.namespace}/${r.key}` },
                    { header: "Version (block:tx)", cell: (r) => r.version ?? "(absent)" },
                  ]}
                />
              )}
              {t.writes.length > 0 && (
                <DataTable
                  label={`Writes of transaction ${t.index}`}
                  rows={t.writes}
                  rowKey={(w) => `${w.namespace}/${w.key}`}
                  columns={[
                    { header: "Write", cell: (w) => `${w.namespace}/${w.key}` },
                    { header: "Value", cell: (w) => (w.is_delete ? "(deleted)" : <code className="value">{w.value}</code>) },
                  ]}
                />
              )}
            </section>
          ))}
        </>
      )}
    </main>
  );
}
