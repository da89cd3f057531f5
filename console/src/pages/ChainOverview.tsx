import { useEffect, useState } from "react";
import { api, type Schemas } from "../api/client";
import { Badge, Empty, ErrorBox } from "../components";
import { Chart } from "../Chart";
import { problemMessage } from "../lib/format";
import { blockRate, byNode } from "../lib/series";

type Action = "start" | "stop" | "restart";

export function ChainOverview({ id }: { id: string }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [log, setLog] = useState<{ node: string; lines: string[] } | null>(null);
  const [chain, setChain] = useState<Schemas["Chain"] | null>(null);
  const [nodes, setNodes] = useState<Schemas["NodeView"][] | null>(null);
  const [blocks, setBlocks] = useState<Schemas["BlockPage"] | null>(null);
  const [samples, setSamples] = useState<Schemas["Sample"][]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const path = { params: { path: { chain: id } } };
    let stop = false;
    async function load() {
      const c = await api.GET("/api/chains/{chain}", path);
      if (!c.data) return setError(problemMessage(c.error, c.response.status));
      setChain(c.data);
      if (c.data.status !== "running") return;
      const n = await api.GET("/api/chains/{chain}/nodes", path);
      if (n.data) setNodes(n.data);
      else setError(problemMessage(n.error, n.response.status));
      const b = await api.GET("/api/chains/{chain}/blocks", { params: { path: { chain: id }, query: { limit: 10 } } });
      if (b.data) setBlocks(b.data);
      const m = await api.GET("/api/chains/{chain}/metrics", path);
      if (m.data) setSamples(m.data);
    }
    load();
    const timer = setInterval(() => !stop && load(), 3000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [id]);

  async function act(node: string, action: Action) {
    setBusy(`${node} ${action}`);
    setError(null);
    const params = { params: { path: { chain: id, node } } };
    const r =
      action === "start"
        ? await api.POST("/api/chains/{chain}/nodes/{node}/start", params)
        : action === "stop"
          ? await api.POST("/api/chains/{chain}/nodes/{node}/stop", params)
          : await api.POST("/api/chains/{chain}/nodes/{node}/restart", params);
    setBusy(null);
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    setNodes((all) => (all ?? []).map((n) => (n.id === node ? r.data! : n)));
  }

  async function showLog(node: string) {
    const r = await api.GET("/api/chains/{chain}/nodes/{node}/log", {
      params: { path: { chain: id, node }, query: { lines: 50 } },
    });
    if (r.data) setLog({ node, lines: r.data.lines });
    else setError(problemMessage(r.error, r.response.status));
  }

  return (
    <main>
      <h1>{chain ? chain.name : "Chain"}</h1>
      <ErrorBox message={error} />
      {chain && (
        <p>
          <Badge status={chain.status} /> {chain.template}, {chain.consensus} consensus
          {chain.detail && <> — {chain.detail}</>}
        </p>
      )}
      <h2>Nodes</h2>
      {nodes && nodes.length === 0 && <Empty>This chain has no nodes.</Empty>}
      {nodes && nodes.length > 0 && (
        <table aria-label="Nodes">
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Org</th>
              <th scope="col">Roles</th>
              <th scope="col">Status</th>
              <th scope="col">Height</th>
              <th scope="col">Consensus</th>
              <th scope="col">Build</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((n) => (
              <tr key={n.id}>
                <td>{n.id}</td>
                <td>{n.org}</td>
                <td>{n.roles.join(", ")}</td>
                <td>
                  <Badge status={n.up ? "up" : "down"} /> {n.problem}
                </td>
                <td>{n.height ?? "—"}</td>
                <td>
                  {n.consensus ?? "—"}
                  {n.leader && <small> (leader {n.leader})</small>}
                </td>
                <td>{n.build}</td>
                <td className="buttons">
                  {(["start", "stop", "restart"] as Action[]).map((a) => (
                    <button
                      key={a}
                      type="button"
                      className="small"
                      disabled={busy !== null || (a === "start" ? n.pid != null : n.pid == null && a === "stop")}
                      onClick={() => act(n.id, a)}
                      aria-label={`${a} ${n.id}`}
                    >
                      {busy === `${n.id} ${a}` ? `${a}…` : a}
                    </button>
                  ))}
                  <button type="button" className="small" onClick={() => showLog(n.id)} aria-label={`log of ${n.id}`}>
                    log
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {log && (
        <section aria-label={`Log of ${log.node}`}>
          <h2>
            Log of {log.node}{" "}
            <button type="button" className="link" onClick={() => setLog(null)}>
              close
            </button>
          </h2>
          <pre className="log">{log.lines.join("\n") || "(empty)"}</pre>
        </section>
      )}
      <h2>The last 15 minutes</h2>
      <div className="charts">
        <Chart title="Blocks per second" unit="/s" series={new Map([["chain", blockRate(samples)]])} />
        <Chart title="CPU" unit="%" series={byNode(samples, (s) => s.cpu_pct)} />
        <Chart title="Memory" unit="MiB" series={byNode(samples, (s) => (s.rss_bytes == null ? null : s.rss_bytes / 1048576))} />
      </div>
      <h2>Latest blocks</h2>
      {blocks && blocks.blocks.length === 0 && <Empty>No blocks yet.</Empty>}
      {blocks && blocks.blocks.length > 0 && (
        <table aria-label="Blocks">
          <thead>
            <tr>
              <th scope="col">Block</th>
              <th scope="col">Transactions</th>
              <th scope="col">Cut at</th>
              <th scope="col">Hash</th>
            </tr>
          </thead>
          <tbody>
            {blocks.blocks.map((b) => (
              <tr key={b.number}>
                <td>{b.number}</td>
                <td>{b.transactions.map((t) => `${t.function || t.kind} (${t.validation_code})`).join(", ")}</td>
                <td>{b.timestamp_ms ? new Date(b.timestamp_ms).toLocaleString() : "genesis"}</td>
                <td>
                  <code>{b.hash.slice(0, 16)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
