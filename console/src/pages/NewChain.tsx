import { useEffect, useState, type FormEvent } from "react";
import { api, type Schemas } from "../api/client";
import { ErrorBox } from "../components";
import { JobProgress, useJob, type Job } from "../JobProgress";
import { problemMessage } from "../lib/format";
import { counts, DEFAULT_SHAPE, plural, shapeProblem, templateToml, tolerance, type Shape } from "../lib/template";
import { Link } from "../router";

export function NewChain() {
  const [templates, setTemplates] = useState<Schemas["TemplateSummary"][]>([]);
  const [template, setTemplate] = useState("solo-1");
  // CUSTOM: a network shaped here, saved as the tenant's template first.
  const [shape, setShape] = useState<Shape>(DEFAULT_SHAPE);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [chainId, setChainId] = useState<string | null>(null);
  const [started, setStarted] = useState<Job | null>(null);
  const [job, jobError] = useJob(started);

  useEffect(() => {
    api.GET("/api/templates").then(({ data, error, response }) => {
      if (data) setTemplates(data);
      else setError(problemMessage(error, response.status));
    });
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    let chosen = template;
    if (template === CUSTOM) {
      const problem = shapeProblem(shape);
      if (problem) return setError(problem);
      // Its own template, named after the chain (and unique: a chain's
      // name may be used again after it is deleted).
      chosen = `${name}-${Date.now().toString(36)}`;
      const t = await api.POST("/api/templates", { body: { toml: templateToml(chosen, shape) } });
      if (!t.data) return setError(`The custom network: ${problemMessage(t.error, t.response.status)}`);
    }
    const { data, error, response } = await api.POST("/api/chains", { body: { name, template: chosen } });
    if (!data) {
      setError(problemMessage(error, response.status));
      return;
    }
    setChainId(data.chain.id);
    setStarted(data.job);
  }

  if (job && chainId) {
    return (
      <main>
        <h1>Creating {name}</h1>
        <JobProgress job={job} error={error ?? jobError} />
        {job.status === "succeeded" && <Link to={`/chains/${chainId}`}>Open the chain</Link>}
        {job.status === "failed" && <Link to="/chains/new">Try again</Link>}
      </main>
    );
  }

  return (
    <main>
      <h1>Create a chain</h1>
      <form onSubmit={submit} aria-label="Create a chain">
        <label>
          Name (lower-case letters, digits and -)
          <input value={name} onChange={(e) => setName(e.target.value)} pattern="[a-z0-9-]{1,64}" required />
        </label>
        <fieldset>
          <legend>Template</legend>
          {templates.map((t) => (
            <label key={t.name} className="choice">
              <input
                type="radio"
                name="template"
                value={t.name}
                checked={template === t.name}
                onChange={() => setTemplate(t.name)}
              />
              <span>
                <strong>{t.name}</strong> — {t.description}
                <br />
                <small>
                  {t.consensus}, {t.orgs.length} orgs, {t.peers} peers, {t.orderers} orderers; {t.demand.cpu} cores,{" "}
                  {t.demand.memory_mb} MB memory, {t.demand.disk_gb} GB disk
                </small>
              </span>
            </label>
          ))}
          <label className="choice">
            <input type="radio" name="template" value={CUSTOM} checked={template === CUSTOM} onChange={() => setTemplate(CUSTOM)} />
            <span>
              <strong>Custom</strong> — choose the consensus, orgs, nodes and each node's resources
            </span>
          </label>
        </fieldset>
        {template === CUSTOM && <CustomShape shape={shape} onChange={setShape} />}
        <ErrorBox message={error} />
        <button type="submit">Create</button>
      </form>
    </main>
  );
}

const CUSTOM = "(custom)";

function CustomShape({ shape, onChange }: { shape: Shape; onChange: (s: Shape) => void }) {
  const number = (key: keyof Shape, label: string, step = 1) => (
    <label>
      {label}
      <input
        type="number"
        min={step}
        step={step}
        value={shape[key] as number}
        onChange={(e) => onChange({ ...shape, [key]: Number(e.target.value) })}
        required
      />
    </label>
  );
  const { nodes, peers, orderers } = counts(shape);
  const problem = shapeProblem(shape);
  return (
    <fieldset aria-label="Custom network">
      <legend>Custom network</legend>
      <label>
        Consensus
        <select value={shape.consensus} onChange={(e) => onChange({ ...shape, consensus: e.target.value as Shape["consensus"] })}>
          <option value="solo">solo (one orderer; development)</option>
          <option value="raft">raft (crash fault tolerant)</option>
          <option value="pbft">pbft (Byzantine fault tolerant, 4 or more)</option>
        </select>
      </label>
      <div className="inline">
        {number("orgs", "Orgs")}
        {number("nodesPerOrg", "Nodes per org")}
      </div>
      <div className="inline">
        {number("cpu", "CPU cores per node", 0.5)}
        {number("memoryMb", "Memory per node (MB)", 256)}
        {number("diskGb", "Disk per node (GB)")}
      </div>
      <div className="inline">
        {number("maxMessageCount", "Transactions per block")}
        {number("batchTimeoutMs", "Batch timeout (ms)")}
      </div>
      <p role="status">
        {problem ??
          `${plural(nodes, "node")}: ${plural(peers, "peer")}, ${plural(orderers, "orderer")}, ${tolerance(shape)}; ${
            nodes * shape.cpu
          } cores, ${nodes * shape.memoryMb} MB memory and ${nodes * shape.diskGb} GB disk of your quota.`}
      </p>
    </fieldset>
  );
}
