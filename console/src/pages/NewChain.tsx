import { useEffect, useState, type FormEvent } from "react";
import { api, type Schemas } from "../api/client";
import { ErrorBox } from "../components";
import { JobProgress, useJob, type Job } from "../JobProgress";
import { problemMessage } from "../lib/format";
import { Link } from "../router";

export function NewChain() {
  const [templates, setTemplates] = useState<Schemas["TemplateSummary"][]>([]);
  const [template, setTemplate] = useState("solo-1");
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
    const { data, error, response } = await api.POST("/api/chains", { body: { name, template } });
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
        </fieldset>
        <ErrorBox message={error} />
        <button type="submit">Create</button>
      </form>
    </main>
  );
}
