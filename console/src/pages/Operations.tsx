// A chain's operations: its alarms (what fired, what resolved), its
// backups (take one and follow its job; each is verified by a restore
// before it counts) and its backup schedule.
import { useEffect, useState, type FormEvent } from "react";
import { api, type Schemas } from "../api/client";
import { Badge, Empty, ErrorBox } from "../components";
import { JobProgress, useJob, type Job } from "../JobProgress";
import { bytes, problemMessage } from "../lib/format";

export function Operations({ chain }: { chain: string }) {
  const path = { params: { path: { chain } } };
  const [alarms, setAlarms] = useState<Schemas["AlarmView"][] | null>(null);
  const [backups, setBackups] = useState<Schemas["Backup"][] | null>(null);
  const [schedule, setSchedule] = useState<Schemas["Schedule"] | null>(null);
  const [every, setEvery] = useState("1440");
  const [keep, setKeep] = useState("7");
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState<Job | null>(null);
  const [job, jobError] = useJob(started);

  async function load() {
    const a = await api.GET("/api/chains/{chain}/alarms", path);
    if (a.data) setAlarms(a.data);
    else setError(problemMessage(a.error, a.response.status));
    const b = await api.GET("/api/chains/{chain}/backups", path);
    if (b.data) setBackups(b.data);
    const s = await api.GET("/api/chains/{chain}/backup-schedule", path);
    setSchedule(s.data ?? null);
  }
  useEffect(() => {
    load();
  }, [chain]);
  useEffect(() => {
    if (job && job.status !== "running") load();
  }, [job?.status]);

  async function backUp() {
    setError(null);
    const r = await api.POST("/api/chains/{chain}/backups", { ...path, body: {} });
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    setStarted(r.data.job);
  }

  async function saveSchedule(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const r = await api.PUT("/api/chains/{chain}/backup-schedule", {
      ...path,
      body: { every_minutes: Number(every), keep: Number(keep) },
    });
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    setSchedule(r.data);
  }

  return (
    <main>
      <h1>Operations</h1>
      <ErrorBox message={error} />
      <h2>Alarms</h2>
      {alarms && alarms.length === 0 && (
        <Empty>No alarms: every node has answered, kept up and had a valid certificate. Webhooks hear of new ones.</Empty>
      )}
      {alarms && alarms.length > 0 && (
        <table aria-label="Alarms">
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Node or user</th>
              <th scope="col">Status</th>
              <th scope="col">Detail</th>
              <th scope="col">Fired</th>
            </tr>
          </thead>
          <tbody>
            {alarms.map((a) => (
              <tr key={a.id}>
                <td>{a.rule}</td>
                <td>{a.node_id || "the chain"}</td>
                <td>
                  <Badge status={a.status} />
                </td>
                <td>{a.detail}</td>
                <td>{new Date(a.fired_at_ms).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Backups</h2>
      <p>
        A backup is a peer's state snapshot and the chain's keys, sealed; it counts once a restore of it gives the same
        state hash.
      </p>
      <button type="button" onClick={backUp} disabled={job?.status === "running"}>
        Back up now
      </button>
      {job && <JobProgress job={job} error={jobError} />}
      {backups && backups.length === 0 && <Empty>No backups yet: back up now, or set a schedule below.</Empty>}
      {backups && backups.length > 0 && (
        <table aria-label="Backups">
          <thead>
            <tr>
              <th scope="col">Taken</th>
              <th scope="col">Node</th>
              <th scope="col">Status</th>
              <th scope="col">Height</th>
              <th scope="col">Size</th>
              <th scope="col">By</th>
            </tr>
          </thead>
          <tbody>
            {backups.map((b) => (
              <tr key={b.id}>
                <td>{new Date(b.created_at * 1000).toLocaleString()}</td>
                <td>{b.node_id}</td>
                <td>
                  <Badge status={b.status} />
                </td>
                <td>{b.height ?? "—"}</td>
                <td>{bytes(b.bytes)}</td>
                <td>{b.created_by}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Schedule</h3>
      <p>
        {schedule
          ? `Every ${schedule.every_minutes} minutes, keeping ${schedule.keep}; next at ${new Date(schedule.next_at_ms).toLocaleString()}.`
          : "No schedule: backups are taken only when asked for."}
      </p>
      <form onSubmit={saveSchedule} aria-label="Backup schedule" className="inline">
        <label>
          Every (minutes)
          <input type="number" min={1} max={10080} value={every} onChange={(e) => setEvery(e.target.value)} />
        </label>
        <label>
          Keep
          <input type="number" min={1} max={100} value={keep} onChange={(e) => setKeep(e.target.value)} />
        </label>
        <button type="submit">Save schedule</button>
      </form>
    </main>
  );
}
