import { useEffect, useState, type FormEvent } from "react";
import { api, type Schemas } from "../api/client";
import { Chart } from "../Chart";
import { Badge, DataTable, Empty, ErrorBox } from "../components";
import { JobProgress, startJob, useJob, type Job } from "../JobProgress";
import { problemMessage } from "../lib/format";
import { blockRate, byNode, meanLatency, txRate } from "../lib/series";
import { Link } from "../router";
import { Channels } from "./Channels";

type Action = "start" | "stop" | "restart";
type Node = Schemas["NodeView"];

export function ChainOverview({ id }: { id: string }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [log, setLog] = useState<{ node: string; lines: string[] } | null>(null);
  const [chain, setChain] = useState<Schemas["Chain"] | null>(null);
  const [nodes, setNodes] = useState<Node[] | null>(null);
  const [blocks, setBlocks] = useState<Schemas["BlockPage"] | null>(null);
  // The channel the latest blocks are read from ("" until the list is in:
  // the chain's main channel).
  const [channel, setChannel] = useState("");
  const [samples, setSamples] = useState<Schemas["Sample"][]>([]);
  const [error, setError] = useState<string | null>(null);
  const [org, setOrg] = useState("");
  const [role, setRole] = useState("peer");
  const [started, setStarted] = useState<Job | null>(null);
  const [job, jobError] = useJob(started);
  // An org added here has no nodes yet, so the nodes list does not name
  // it: it is offered for a new node once its job succeeds.
  const [newOrg, setNewOrg] = useState("");
  const [addingOrg, setAddingOrg] = useState<string | null>(null);
  const [addedOrgs, setAddedOrgs] = useState<string[]>([]);
  useEffect(() => {
    if (!addingOrg || !job || job.id !== started?.id || job.status === "running") return;
    if (job.status === "succeeded") {
      setAddedOrgs((all) => [...all, addingOrg]);
      setOrg(addingOrg);
    }
    setAddingOrg(null);
  }, [job, addingOrg]);
  const path = { params: { path: { chain: id } } };

  useEffect(() => {
    let stop = false;
    setBlocks(null); // another channel's blocks until this one's are in
    async function load() {
      const c = await api.GET("/api/chains/{chain}", path);
      if (!c.data) return setError(problemMessage(c.error, c.response.status));
      setChain(c.data);
      if (c.data.status !== "running") return;
      const n = await api.GET("/api/chains/{chain}/nodes", path);
      if (n.data) setNodes(n.data);
      else setError(problemMessage(n.error, n.response.status));
      const query = channel ? { limit: 10, channel } : { limit: 10 };
      const b = await api.GET("/api/chains/{chain}/blocks", { params: { path: { chain: id }, query } });
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
  }, [id, channel]);

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

  async function addNode(e: FormEvent) {
    e.preventDefault();
    const roles = role === "both" ? ["peer", "orderer"] : [role];
    await startJob(api.POST("/api/chains/{chain}/nodes", {
      ...path,
      body: { org: org || orgs[0], roles, from_snapshot: role === "peer" },
    }), setStarted, setError);
  }

  async function addOrg(e: FormEvent) {
    e.preventDefault();
    const name = newOrg;
    await startJob(api.POST("/api/chains/{chain}/orgs", { ...path, body: { org: name } }), (job) => {
      setAddingOrg(name);
      setNewOrg("");
      setStarted(job);
    }, setError);
  }

  async function removeNode(node: string) {
    if (!window.confirm(`Remove ${node} from the chain? Its data stays in the chain's directory.`)) return;
    await startJob(api.DELETE("/api/chains/{chain}/nodes/{node}", { params: { path: { chain: id, node } } }), setStarted, setError);
  }

  const actions = (n: Node) => (
    <span className="buttons">
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
      <button type="button" className="small" onClick={() => removeNode(n.id)} aria-label={`remove ${n.id}`}>
        remove
      </button>
    </span>
  );
  const orgs = [...new Set([...(nodes ?? []).map((n) => n.org), ...addedOrgs])];

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
        <DataTable
          label="Nodes"
          rows={nodes}
          rowKey={(n) => n.id}
          columns={[
            { header: "Node", cell: (n) => n.id },
            { header: "Org", cell: (n) => n.org },
            { header: "Roles", cell: (n) => n.roles.join(", ") },
            { header: "Status", cell: (n) => <><Badge status={n.up ? "up" : "down"} /> {n.problem}</> },
            { header: "Height", cell: (n) => n.height ?? "—" },
            { header: "Consensus", cell: (n) => <>{n.consensus ?? "—"}{n.leader && <small> (leader {n.leader})</small>}</> },
            { header: "Build", cell: (n) => n.build },
            { header: "Actions", cell: actions },
          ]}
        />
      )}
      {job && <JobProgress job={job} error={jobError} />}
      <form onSubmit={addNode} aria-label="Add a node" className="inline">
        <label>
          Org
          <select value={org} onChange={(e) => setOrg(e.target.value)}>
            {orgs.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        </label>
        <label>
          Roles
          <select value={role} onChange={(e) => setRole(e.target.value)}>
            <option value="peer">peer (joins from a snapshot)</option>
            <option value="orderer">orderer</option>
            <option value="both">peer and orderer</option>
          </select>
        </label>
        <button type="submit" disabled={job?.status === "running" || orgs.length === 0}>
          Add a node
        </button>
      </form>
      <form onSubmit={addOrg} aria-label="Add an org" className="inline">
        <label>
          New org (its MSP id)
          <input value={newOrg} onChange={(e) => setNewOrg(e.target.value)} pattern="[A-Za-z0-9_-]+" required />
        </label>
        <button type="submit" disabled={job?.status === "running"}>
          Add the org
        </button>
        <small>Its CA is made and the chain's configuration updated; then add its first peer above.</small>
      </form>
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
        <Chart title="Transactions per second" unit="/s" series={txRate(samples)} />
        <Chart
          title="Transaction latency (mean, creation to commit)"
          unit="ms"
          series={meanLatency(samples)}
          empty="no transactions committed between the last samples."
        />
        <Chart title="Blocks per second" unit="/s" series={new Map([["chain", blockRate(samples)]])} />
        <Chart title="CPU" unit="%" series={byNode(samples, (s) => s.cpu_pct)} />
        <Chart title="Memory" unit="MiB" series={byNode(samples, (s) => (s.rss_bytes == null ? null : s.rss_bytes / 1048576))} />
      </div>
      {chain?.status === "running" && <Channels chain={id} channel={channel} onChannel={setChannel} />}
      <h2>Latest blocks{channel && <> of {channel}</>}</h2>
      {blocks && blocks.blocks.length === 0 && <Empty>No blocks yet.</Empty>}
      {blocks && blocks.blocks.length > 0 && (
        <DataTable
          label="Blocks"
          rows={blocks.blocks}
          rowKey={(b) => b.number}
          columns={[
            {
              header: "Block",
              cell: (b) => (
                <Link to={`/chains/${id}/blocks/${b.number}${channel ? `?channel=${encodeURIComponent(channel)}` : ""}`}>
                  {b.number}
                </Link>
              ),
            },
            {
              header: "Transactions",
              cell: (b) => b.transactions.map((t) => `${t.function || t.kind} (${t.validation_code})`).join(", "),
            },
            { header: "Cut at", cell: (b) => (b.timestamp_ms ? new Date(b.timestamp_ms).toLocaleString() : "genesis") },
            { header: "Hash", cell: (b) => <code>{b.hash.slice(0, 16)}</code> },
          ]}
        />
      )}
    </main>
  );
}
