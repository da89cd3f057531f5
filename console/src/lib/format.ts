// Pure helpers the pages share: what an API error says to a person, how far
// a job is, how to show sizes and times.

export interface ProblemLike {
  title?: string;
  detail?: string;
  status?: number;
}

/** One sentence for an API error (RFC 9457 problem), or a network failure. */
export function problemMessage(error: unknown, status?: number): string {
  if (error && typeof error === "object") {
    const p = error as ProblemLike;
    if (p.detail) return p.title ? `${p.title}: ${p.detail}` : p.detail;
    if (p.title) return p.title;
  }
  if (status === 401) return "Your session has ended: sign in again.";
  if (typeof error === "string" && error) return error;
  return status ? `The server answered ${status} without saying why.` : "The server could not be reached.";
}

export interface StepLike {
  name: string;
  status: string;
  detail: string;
}

export interface JobLike {
  status: string;
  progress: number;
  error: string;
  steps: StepLike[];
}

/** "2 of 4 steps: start nodes — 1 of 3 nodes serving" and the like. */
export function jobSummary(job: JobLike): string {
  if (job.status === "succeeded") return "Done.";
  if (job.status === "failed") return `Failed: ${job.error}`;
  const done = job.steps.filter((s) => s.status === "done").length;
  const current = job.steps.find((s) => s.status === "running");
  const now = current ? `${current.name}${current.detail ? ` — ${current.detail}` : ""}` : "waiting";
  return `${done} of ${job.steps.length} steps: ${now}`;
}

/** Unix seconds as a local date and time. */
export function when(unixSecs: number): string {
  return new Date(unixSecs * 1000).toLocaleString();
}

export function bytes(n: number | null | undefined): string {
  if (n == null) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** Micro-units (how the API keeps prices) as a decimal amount: 80000 → "0.08". */
export function fromMicros(micros: number): string {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(micros));
  const units = Math.floor(abs / 1_000_000);
  const frac = String(abs % 1_000_000).padStart(6, "0").replace(/0+$/, "");
  return `${sign}${units}${frac ? `.${frac}` : ""}`;
}

/**
 * A decimal amount typed by a person as micro-units, without floating
 * point ("0.08" → 80000); null when it is not a non-negative amount with at
 * most six decimals.
 */
export function toMicros(text: string): number | null {
  const m = /^\s*(\d+)(?:\.(\d{0,6}))?\s*$/.exec(text);
  if (!m) return null;
  const micros = Number(m[1]) * 1_000_000 + Number((m[2] ?? "").padEnd(6, "0"));
  return Number.isSafeInteger(micros) ? micros : null;
}
