// What the tenant used this month and what it costs: the meter's lines per
// chain and node class, and the month's invoice (a draft until the month
// ends) under the tenant's price plan.
import { useEffect, useState } from "react";
import { api, type Schemas } from "../api/client";
import { DataTable, Empty, ErrorBox } from "../components";
import { problemMessage } from "../lib/format";

function thisMonth(): string {
  const d = new Date();
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}

export function Usage({ tenant }: { tenant: string | null }) {
  const [month, setMonth] = useState(thisMonth());
  const [invoice, setInvoice] = useState<Schemas["Invoice"] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!tenant) return;
    setError(null);
    api
      .GET("/api/tenants/{tenant}/invoices/{month}", { params: { path: { tenant, month } } })
      .then((r) => (r.data ? setInvoice(r.data) : setError(problemMessage(r.error, r.response.status))));
  }, [tenant, month]);

  if (!tenant) return <main><Empty>Usage is per tenant: platform admins read a tenant's through the API.</Empty></main>;
  return (
    <main>
      <h1>Usage and billing</h1>
      <label className="narrow">
        Month
        <input type="month" value={month} onChange={(e) => e.target.value && setMonth(e.target.value)} />
      </label>
      <ErrorBox message={error} />
      {invoice && (
        <section aria-label="Invoice">
          <h2>
            Invoice {invoice.month} ({invoice.status}) — {invoice.plan} plan
          </h2>
          {invoice.lines.length === 0 ? (
            <Empty>Nothing was used this month.</Empty>
          ) : (
            <DataTable
              label="Invoice lines"
              rows={invoice.lines}
              rowKey={(l) => l.item}
              columns={[
                { header: "Item", cell: (l) => l.item },
                { header: "Quantity", cell: (l) => `${l.quantity.toFixed(3)} ${l.unit}` },
                { header: "Unit price", cell: (l) => (l.unit_price_micros / 1e6).toFixed(6) },
                { header: "Amount", cell: (l) => (l.amount_micros / 1e6).toFixed(4) },
              ]}
            />
          )}
          <p>
            <strong>
              Total: {invoice.total} {invoice.currency}
            </strong>
          </p>
        </section>
      )}
    </main>
  );
}
