import { useEffect, useState } from "react";
import { api, type Schemas } from "../api/client";
import { Badge, DataTable, Empty, ErrorBox } from "../components";
import { problemMessage, when } from "../lib/format";
import { Link } from "../router";

export function Chains() {
  const [chains, setChains] = useState<Schemas["Chain"][] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.GET("/api/chains").then(({ data, error, response }) => {
      if (data) setChains(data);
      else setError(problemMessage(error, response.status));
    });
  }, []);

  return (
    <main>
      <div className="title-row">
        <h1>Chains</h1>
        <Link to="/chains/new" className="button">
          Create a chain
        </Link>
      </div>
      <ErrorBox message={error} />
      {chains && chains.length === 0 && (
        <Empty>
          No chains yet. <Link to="/chains/new">Create one from a template</Link> — solo-1 is ready in seconds.
        </Empty>
      )}
      {chains && chains.length > 0 && (
        <DataTable
          label="Chains"
          rows={chains}
          rowKey={(c) => c.id}
          columns={[
            { header: "Name", cell: (c) => <Link to={`/chains/${c.id}`}>{c.name}</Link> },
            { header: "Template", cell: (c) => c.template },
            { header: "Consensus", cell: (c) => c.consensus },
            { header: "Status", cell: (c) => <Badge status={c.status} /> },
            { header: "Nodes", cell: (c) => c.demand.nodes },
            { header: "Created", cell: (c) => when(c.created_at) },
          ]}
        />
      )}
    </main>
  );
}
