import { useEffect, useState } from "react";
import { api, type Schemas } from "../api/client";
import { Badge, Empty, ErrorBox } from "../components";
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
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Template</th>
              <th scope="col">Consensus</th>
              <th scope="col">Status</th>
              <th scope="col">Nodes</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {chains.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link to={`/chains/${c.id}`}>{c.name}</Link>
                </td>
                <td>{c.template}</td>
                <td>{c.consensus}</td>
                <td>
                  <Badge status={c.status} />
                </td>
                <td>{c.demand.nodes}</td>
                <td>{when(c.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
