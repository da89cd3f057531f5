// The audit log (every change made through the API, hash-chained) for
// admins and auditors, and its verification.
import { useEffect, useState } from "react";
import { api, type Schemas } from "../api/client";
import { Empty, ErrorBox } from "../components";
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
        <table aria-label="Audit entries">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">On</th>
              <th scope="col">Answer</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.seq}>
                <td>{e.seq}</td>
                <td>{new Date(e.at_ms).toLocaleString()}</td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td>{e.target}</td>
                <td>{e.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
