// The platform: tenants (and a new one), the host the chains run on, and
// recent security events. For platform admins; others see the API's refusal.
import { useEffect, useState, type FormEvent } from "react";
import { api, type Schemas } from "../api/client";
import { DataTable, ErrorBox } from "../components";
import { bytes, problemMessage } from "../lib/format";
import { PricePlans } from "./PricePlans";
import { TenantSettings } from "./TenantSettings";

export function Admin() {
  const [tenants, setTenants] = useState<Schemas["Tenant"][] | null>(null);
  const [hosts, setHosts] = useState<Schemas["HostView"][] | null>(null);
  const [events, setEvents] = useState<Schemas["SecurityEvent"][] | null>(null);
  const [name, setName] = useState("");
  const [plans, setPlans] = useState<Schemas["Plan"][]>([]);
  const [builds, setBuilds] = useState<Schemas["NodeBuild"][]>([]);
  const [selected, setSelected] = useState<Schemas["Tenant"] | null>(null);
  const [version, setVersion] = useState("");
  const [buildPath, setBuildPath] = useState("");
  const [error, setError] = useState<string | null>(null);

  async function load() {
    const t = await api.GET("/api/tenants");
    if (!t.data) return setError(problemMessage(t.error, t.response.status));
    setTenants(t.data);
    const h = await api.GET("/api/hosts");
    if (h.data) setHosts(h.data);
    const e = await api.GET("/api/security/events");
    if (e.data) setEvents(e.data.slice(0, 20));
    const p = await api.GET("/api/plans");
    setPlans(p.data ?? []);
    const b = await api.GET("/api/node-builds");
    setBuilds(b.data ?? []);
  }

  async function register(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const r = await api.POST("/api/node-builds", { body: { version, path: buildPath } });
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    setVersion("");
    setBuildPath("");
    load();
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
            {
              header: "Settings",
              cell: (t) => (
                <button type="button" className="small" onClick={() => setSelected(t)} aria-label={`settings of ${t.name}`}>
                  quota and plan
                </button>
              ),
            },
          ]}
        />
      )}
      {selected && <TenantSettings tenant={selected} plans={plans} />}
      <form onSubmit={create} aria-label="Create a tenant" className="inline">
        <label>
          New tenant
          <input value={name} onChange={(e) => setName(e.target.value)} pattern="[a-z0-9-]{1,64}" required />
        </label>
        <button type="submit">Create tenant</button>
      </form>
      <PricePlans plans={plans} onSaved={load} />
      <h2>weft-node builds</h2>
      <p>Registered builds can be rolled out to chains (Operations → Upgrade). "bundled" is the server's own.</p>
      {builds.length > 0 && (
        <DataTable
          label="Builds"
          rows={builds}
          rowKey={(b) => b.version}
          columns={[
            { header: "Version", cell: (b) => b.version },
            { header: "Reports", cell: (b) => b.reports },
            { header: "Path", cell: (b) => <code>{b.path}</code> },
          ]}
        />
      )}
      <form onSubmit={register} aria-label="Register a build" className="inline">
        <label>
          Version
          <input value={version} onChange={(e) => setVersion(e.target.value)} required />
        </label>
        <label>
          Executable path
          <input value={buildPath} onChange={(e) => setBuildPath(e.target.value)} required />
        </label>
        <button type="submit">Register build</button>
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
