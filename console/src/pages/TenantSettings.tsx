// A platform admin's settings for one tenant: its quota (with what it uses
// now) and its price plan.
import { useEffect, useState, type FormEvent } from "react";
import { api, type Schemas } from "../api/client";
import { ErrorBox } from "../components";
import { problemMessage } from "../lib/format";

type Quota = Schemas["Quota"];
const FIELDS: [keyof Quota, string][] = [
  ["max_chains", "Chains"],
  ["max_nodes", "Nodes"],
  ["max_cpu", "Cores"],
  ["max_memory_mb", "Memory (MB)"],
  ["max_disk_gb", "Disk (GB)"],
  ["max_tx_per_month", "Transactions a month (empty: no limit)"],
];

export function TenantSettings({ tenant, plans }: { tenant: Schemas["Tenant"]; plans: Schemas["Plan"][] }) {
  const path = { params: { path: { tenant: tenant.id } } };
  const [report, setReport] = useState<Schemas["QuotaReport"] | null>(null);
  const [form, setForm] = useState<Record<string, string>>({});
  const [plan, setPlan] = useState("standard");
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.GET("/api/tenants/{tenant}/quota", path).then((r) => {
      if (!r.data) return setError(problemMessage(r.error, r.response.status));
      setReport(r.data);
      setForm(Object.fromEntries(FIELDS.map(([k]) => [k, r.data!.quota[k] == null ? "" : String(r.data!.quota[k])])));
    });
  }, [tenant.id]);

  async function saveQuota(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const n = (k: string) => Number(form[k]);
    const body: Quota = {
      max_chains: n("max_chains"),
      max_nodes: n("max_nodes"),
      max_cpu: n("max_cpu"),
      max_memory_mb: n("max_memory_mb"),
      max_disk_gb: n("max_disk_gb"),
      max_tx_per_month: form.max_tx_per_month ? n("max_tx_per_month") : null,
    };
    const r = await api.PUT("/api/tenants/{tenant}/quota", { ...path, body });
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    setReport(r.data);
    setSaved(`${tenant.name}'s quota saved.`);
  }

  async function savePlan(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const r = await api.PUT("/api/tenants/{tenant}/plan", { ...path, body: { plan } });
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    setSaved(`${tenant.name} is on the ${r.data.name} plan.`);
  }

  return (
    <section aria-label={`Settings of ${tenant.name}`}>
      <h3>{tenant.name}</h3>
      <ErrorBox message={error} />
      {saved && <p role="status">{saved}</p>}
      {report && (
        <p>
          Uses {report.usage.chains} chains, {report.usage.nodes} nodes, {report.usage.cpu} cores,{" "}
          {report.usage.memory_mb} MB memory, {report.usage.disk_gb} GB disk.
        </p>
      )}
      <form onSubmit={saveQuota} aria-label={`Quota of ${tenant.name}`} className="inline">
        {FIELDS.map(([k, label]) => (
          <label key={k}>
            {label}
            <input type="number" min={0} step="any" value={form[k] ?? ""} onChange={(e) => setForm({ ...form, [k]: e.target.value })} />
          </label>
        ))}
        <button type="submit">Save quota</button>
      </form>
      <form onSubmit={savePlan} aria-label={`Plan of ${tenant.name}`} className="inline">
        <label>
          Price plan
          <select value={plan} onChange={(e) => setPlan(e.target.value)}>
            {plans.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name} ({p.currency})
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Set plan</button>
      </form>
    </section>
  );
}
