// The platform: tenants (and a new one), the host the chains run on, and
// recent security events. For platform admins; others see the API's refusal.
import { useEffect, useState, type FormEvent } from "react";
import { api, type Schemas } from "../api/client";
import { DataTable, ErrorBox } from "../components";
import { bytes, problemMessage } from "../lib/format";

export function Admin() {
  const [tenants, setTenants] = useState<Schemas["Tenant"][] | null>(null);
  const [hosts, setHosts] = useState<Schemas["HostView"][] | null>(null);
  const [events, setEvents] = useState<Schemas["SecurityEvent"][] | null>(null);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);

  async function load() {
    const t = await api.GET("/api/tenants");
    if (!t.data) return setError(problemMessage(t.error, t.response.status));
    setTenants(t.data);
    const h = await api.GET("/api/hosts");
    if (h.data) setHosts(h.data);
    const e = await api.GET("/api/security/events");
    if (e.data) setEvents(e.data.slice(0, 20));
  }
  useEffect(() => {
    load();
  }, []);

  async function create(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const r = await api.POST("/api/tenants", { body: { name } });
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    setName("");
    load();
  }

  return (
    <main>
      <h1>Platform</h1>
      <ErrorBox message={error} />
      <h2>Hosts</h2>
      {hosts?.map((h) => (
        <table key={h.host} aria-label={`Host ${h.host}`}>
          <tbody>
            <tr>
              <th scope="row">Host</th>
              <td>{h.host}</td>
            </tr>
            <tr>
              <th scope="row">Running chains / nodes</th>
              <td>
                {h.running_chains} / {h.nodes}
              </td>
            </tr>
            <tr>
              <th scope="row">CPU</th>
              <td>{h.latest?.cpu_pct != null ? `${h.latest.cpu_pct.toFixed(1)} %` : "—"}</td>
            </tr>
            <tr>
              <th scope="row">Memory</th>
              <td>
                {bytes(h.latest?.memory_used_bytes)} of {bytes(h.latest?.memory_total_bytes)}
              </td>
            </tr>
            <tr>
              <th scope="row">Disk</th>
              <td>
                {bytes(h.latest?.disk_used_bytes)} of {bytes(h.latest?.disk_total_bytes)}
              </td>
            </tr>
          </tbody>
        </table>
      ))}
      <h2>Tenants</h2>
      {tenants && (
        <DataTable
          label="Tenants"
          rows={tenants}
          rowKey={(t) => t.id}
          columns={[
            { header: "Name", cell: (t) => t.name },
            { header: "Id", cell: (t) => <code>{t.id}</code> },
            { header: "Created", cell: (t) => new Date(t.created_at * 1000).toLocaleString() },
          ]}
        />
      )}
      <form onSubmit={create} aria-label="Create a tenant" className="inline">
        <label>
          New tenant
          <input value={name} onChange={(e) => setName(e.target.value)} pattern="[a-z0-9-]{1,64}" required />
        </label>
        <button type="submit">Create tenant</button>
      </form>
      <h2>Security events</h2>
      {events && events.length === 0 && <p>No failed logins, lockouts or rate limits in the last 24 hours.</p>}
      {events && events.length > 0 && (
        <DataTable
          label="Security events"
          rows={events}
          rowKey={(e) => `${e.at_ms}-${e.kind}-${e.subject}`}
          columns={[
            { header: "When", cell: (e) => new Date(e.at_ms).toLocaleString() },
            { header: "Kind", cell: (e) => e.kind },
            { header: "Subject", cell: (e) => e.subject },
            { header: "Detail", cell: (e) => e.detail },
          ]}
        />
      )}
    </main>
  );
}
