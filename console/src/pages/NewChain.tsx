import { useEffect, useState, type FormEvent } from "react";
import { api, type Schemas } from "../api/client";
import { Badge, ErrorBox } from "../components";
import { jobSummary, problemMessage } from "../lib/format";
import { Link } from "../router";

type Job = Schemas["JobView"];

export function NewChain() {
  const [templates, setTemplates] = useState<Schemas["TemplateSummary"][]>([]);
  const [template, setTemplate] = useState("solo-1");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [chainId, setChainId] = useState<string | null>(null);
  const [job, setJob] = useState<Job | null>(null);

  useEffect(() => {
    api.GET("/api/templates").then(({ data, error, response }) => {
      if (data) setTemplates(data);
      else setError(problemMessage(error, response.status));
    });
  }, []);

  // Live progress: the job's steps, polled until it ends.
  useEffect(() => {
    if (!job || job.status !== "running") return;
    const timer = setTimeout(async () => {
      const { data, error, response } = await api.GET("/api/jobs/{job}", { params: { path: { job: job.id } } });
      if (data) setJob(data);
      else setError(problemMessage(error, response.status));
    }, 500);
    return () => clearTimeout(timer);
  }, [job]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const { data, error, response } = await api.POST("/api/chains", { body: { name, template } });
    if (!data) {
      setError(problemMessage(error, response.status));
      return;
    }
    setChainId(data.chain.id);
    setJob(data.job);
  }

  if (job && chainId) {
    return (
      <main>
        <h1>Creating {name}</h1>
        <progress max={100} value={job.progress} aria-label="Progress" />
        <p aria-live="polite">{jobSummary(job)}</p>
        <ol className="steps">
          {job.steps.map((s) => (
            <li key={s.name}>
              <Badge status={s.status} /> <strong>{s.name}</strong> {s.detail && <span>— {s.detail}</span>}
            </li>
          ))}
        </ol>
        <ErrorBox message={error} />
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
        </fieldset>
        <ErrorBox message={error} />
        <button type="submit">Create</button>
      </form>
    </main>
  );
}
