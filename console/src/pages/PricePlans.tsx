// Price plans, for platform admins: what each plan charges (the API keeps
// micro-units; people type and read amounts), and a form that changes one
// or adds a new one. Tenants' invoices follow their plan from then on.
import { useState, type FormEvent } from "react";
import { api, type Schemas } from "../api/client";
import { DataTable, ErrorBox } from "../components";
import { fromMicros, problemMessage, toMicros } from "../lib/format";

type Plan = Schemas["Plan"];
const PRICES: [keyof Plan & `${string}_micros`, string][] = [
  ["cpu_hour_micros", "per CPU-hour"],
  ["memory_gb_hour_micros", "per GB-hour of memory"],
  ["storage_gb_hour_micros", "per GB-hour of storage"],
  ["per_1000_tx_micros", "per 1000 transactions"],
  ["monthly_base_micros", "monthly base fee"],
];

export function PricePlans({ plans, onSaved }: { plans: Plan[]; onSaved: () => void }) {
  const [name, setName] = useState("");
  const [currency, setCurrency] = useState("USD");
  const [amounts, setAmounts] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  function edit(p: Plan) {
    setName(p.name ?? "");
    setCurrency(p.currency);
    setAmounts(Object.fromEntries(PRICES.map(([k]) => [k, fromMicros(p[k])])));
    setSaved(null);
  }

  async function save(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setSaved(null);
    const body: Plan = {
      currency,
      cpu_hour_micros: 0,
      memory_gb_hour_micros: 0,
      storage_gb_hour_micros: 0,
      per_1000_tx_micros: 0,
      monthly_base_micros: 0,
    };
    for (const [k, label] of PRICES) {
      const micros = toMicros(amounts[k] ?? "0");
      if (micros == null) return setError(`${label}: "${amounts[k]}" is not an amount (digits, up to six decimals).`);
      body[k] = micros;
    }
    const r = await api.PUT("/api/plans/{name}", { params: { path: { name } }, body });
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    setSaved(`Plan ${name} saved: invoices of its tenants use it from now on.`);
    onSaved();
  }

  return (
    <section aria-label="Price plans">
      <h2>Price plans</h2>
      <DataTable
        label="Plans"
        rows={plans}
        rowKey={(p) => p.name ?? ""}
        columns={[
          { header: "Plan", cell: (p) => p.name },
          { header: "Currency", cell: (p) => p.currency },
          ...PRICES.map(([k, label]) => ({ header: label, cell: (p: Plan) => fromMicros(p[k]) })),
          {
            header: "",
            cell: (p: Plan) => (
              <button type="button" className="small" onClick={() => edit(p)} aria-label={`edit plan ${p.name}`}>
                edit
              </button>
            ),
          },
        ]}
      />
      <form onSubmit={save} aria-label="Save a price plan" className="inline">
        <label>
          Plan name
          <input value={name} onChange={(e) => setName(e.target.value)} pattern="[A-Za-z0-9_-]{1,64}" required />
        </label>
        <label>
          Currency
          <input value={currency} onChange={(e) => setCurrency(e.target.value)} pattern="[A-Z]{3}" required />
        </label>
        {PRICES.map(([k, label]) => (
          <label key={k}>
            {label}
            <input
              inputMode="decimal"
              value={amounts[k] ?? "0"}
              onChange={(e) => setAmounts((a) => ({ ...a, [k]: e.target.value }))}
              required
            />
          </label>
        ))}
        <button type="submit">Save plan</button>
      </form>
      <ErrorBox message={error} />
      {saved && (
        <p className="notice" role="status">
          {saved}
        </p>
      )}
    </section>
  );
}
