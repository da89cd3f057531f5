// The audit log (every change made through the API, hash-chained) for
// admins and auditors, and its verification.
import { useEffect, useState } from "react";
import { api, type Schemas } from "../api/client";
import { DataTable, Empty, ErrorBox } from "../components";
import { problemMessage } from "../lib/format";

export function Audit() {
  const [entries, setEntries] = useState<Schemas["AuditEntry"][] | null>(null);
  const [verdict, setVerdict] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const from_ms = Date.now() - 24 * 3600 * 1000;
    api.GET("/api/audit", { params: { query: { from_ms } } }).then((r) => {
      if (r.data) setEntries(r.data.slice().reverse());
      else setError(problemMessage(r.error, r.response.status));
    });
  }, []);

  async function verify() {
    const r = await api.GET("/api/audit/verify");
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    const t = r.data.first_tampered;
    setVerdict(
      t
        ? `Entry ${t.seq} does not hold: ${t.reason}.`
        : `All ${r.data.entries} entries hold; the last hash is ${r.data.last_hash.slice(0, 16)}… (note it down).`,
    );
  }

  return (
    <main>
      <div className="title-row">
        <h1>Audit log</h1>
        <button type="button" onClick={verify}>
          Verify the chain of entries
        </button>
      </div>
      {verdict && <p role="status">{verdict}</p>}
      <ErrorBox message={error} />
      {entries && entries.length === 0 && <Empty>No changes in the last 24 hours.</Empty>}
      {entries && entries.length > 0 && (
        <DataTable
          label="Audit entries"
          rows={entries}
          rowKey={(e) => e.seq}
          columns={[
            { header: "#", cell: (e) => e.seq },
            { header: "When", cell: (e) => new Date(e.at_ms).toLocaleString() },
            { header: "Who", cell: (e) => e.actor },
            { header: "What", cell: (e) => e.action },
            { header: "On", cell: (e) => e.target },
            { header: "Answer", cell: (e) => e.status },
          ]}
        />
      )}
    </main>
  );
}
