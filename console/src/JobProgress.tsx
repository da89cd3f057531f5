// A job's live progress: polled every half second until it ends, shown as
// a progress bar, a sentence and every step with its status and detail.
import { useEffect, useState } from "react";
import { api, type Schemas } from "./api/client";
import { Badge, ErrorBox } from "./components";
import { jobSummary, problemMessage } from "./lib/format";

export type Job = Schemas["JobView"];

export function useJob(initial: Job | null): [Job | null, string | null] {
  const [job, setJob] = useState<Job | null>(initial);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setJob(initial), [initial]);
  useEffect(() => {
    if (!job || job.status !== "running") return;
    const timer = setTimeout(async () => {
      const r = await api.GET("/api/jobs/{job}", { params: { path: { job: job.id } } });
      if (r.data) setJob(r.data);
      else setError(problemMessage(r.error, r.response.status));
    }, 500);
    return () => clearTimeout(timer);
  }, [job]);
  return [job, error];
}

/**
 * Starts a job from its API request: the job to `onStarted` (a page's
 * useJob then follows it), or the API's problem as a sentence to
 * `onError`, which is cleared first.
 */
export async function startJob(
  request: Promise<{ data?: Job; error?: unknown; response: Response }>,
  onStarted: (job: Job) => void,
  onError: (message: string | null) => void,
): Promise<void> {
  onError(null);
  const r = await request;
  if (r.data) onStarted(r.data);
  else onError(problemMessage(r.error, r.response.status));
}

export function JobProgress({ job, error }: { job: Job; error?: string | null }) {
  return (
    <div className="job">
      <progress max={100} value={job.progress} aria-label="Progress" />
      <p aria-live="polite">{jobSummary(job)}</p>
      <ol className="steps">
        {job.steps.map((s) => (
          <li key={s.name}>
            <Badge status={s.status} /> <strong>{s.name}</strong> {s.detail && <span>— {s.detail}</span>}
          </li>
        ))}
      </ol>
      <ErrorBox message={error ?? null} />
    </div>
  );
}
