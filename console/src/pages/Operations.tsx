// A chain's operations: its alarms (what fired, what resolved) and the
// tenant's webhooks, its backups (take one and follow its job; each is
// verified by a restore before it counts; restore the whole chain from
// one), its backup schedule, rolling upgrades to a registered weft-node
// build, and batch settings.
import { useEffect, useState, type FormEvent } from "react";
import { api, type Schemas } from "../api/client";
import { Badge, DataTable, Empty, ErrorBox } from "../components";
import { JobProgress, startJob, useJob, type Job } from "../JobProgress";
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
  const [hooks, setHooks] = useState<Schemas["Webhook"][]>([]);
  const [deliveries, setDeliveries] = useState<{ hook: string; rows: Schemas["Delivery"][] } | null>(null);
  const [hookUrl, setHookUrl] = useState("");
  const [secret, setSecret] = useState<string | null>(null);
  const [builds, setBuilds] = useState<Schemas["NodeBuild"][]>([]);
  const [build, setBuild] = useState("bundled");
  const [maxCount, setMaxCount] = useState("");
  const [timeoutMs, setTimeoutMs] = useState("");

  async function load() {
    const a = await api.GET("/api/chains/{chain}/alarms", path);
    if (a.data) setAlarms(a.data);
    else setError(problemMessage(a.error, a.response.status));
    const b = await api.GET("/api/chains/{chain}/backups", path);
    if (b.data) setBackups(b.data);
    const s = await api.GET("/api/chains/{chain}/backup-schedule", path);
    setSchedule(s.data ?? null);
    const w = await api.GET("/api/webhooks");
    setHooks(w.data ?? []);
    const nb = await api.GET("/api/node-builds");
    setBuilds(nb.data ?? []);
  }

  async function showDeliveries(hook: string) {
    setError(null);
    const r = await api.GET("/api/webhooks/{webhook}/deliveries", { params: { path: { webhook: hook } } });
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    setDeliveries({ hook, rows: r.data });
  }

  async function testHook(hook: string) {
    setError(null);
    const r = await api.POST("/api/webhooks/{webhook}/test", { params: { path: { webhook: hook } } });
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    // Shown as it goes, until its first attempt is recorded (a receiver
    // that does not answer takes up to the 10 s timeout).
    const sent = r.data.delivery;
    for (let i = 0; i < 15; i++) {
      await new Promise((done) => setTimeout(done, 1000));
      const d = await api.GET("/api/webhooks/{webhook}/deliveries", { params: { path: { webhook: hook } } });
      if (!d.data) return setError(problemMessage(d.error, d.response.status));
      setDeliveries({ hook, rows: d.data });
      if (d.data.some((x) => x.id === sent && x.attempts > 0)) break;
    }
  }

  async function addHook(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const r = await api.POST("/api/webhooks", { body: { url: hookUrl } });
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    setSecret(r.data.secret ?? null);
    setHookUrl("");
    load();
  }

  async function restore(backup: string) {
    if (!window.confirm("Restore the whole chain to this backup? What was committed after it is lost.")) return;
    await startJob(api.POST("/api/chains/{chain}/restore", { ...path, body: { backup } }), setStarted, setError);
  }

  async function upgrade(e: FormEvent) {
    e.preventDefault();
    await startJob(api.POST("/api/chains/{chain}/upgrade", { ...path, body: { build } }), setStarted, setError);
  }

  async function reconfigure(e: FormEvent) {
    e.preventDefault();
    const body = {
      max_message_count: maxCount ? Number(maxCount) : undefined,
      batch_timeout_ms: timeoutMs ? Number(timeoutMs) : undefined,
    };
    await startJob(api.POST("/api/chains/{chain}/config", { ...path, body }), setStarted, setError);
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
      {job && (
        <section aria-label="Job">
          <h2>Job: {job.kind}</h2>
          <JobProgress job={job} error={jobError} />
        </section>
      )}
      <h2>Alarms</h2>
      {alarms && alarms.length === 0 && (
        <Empty>No alarms: every node has answered, kept up and had a valid certificate. Webhooks hear of new ones.</Empty>
      )}
      {alarms && alarms.length > 0 && (
        <DataTable
          label="Alarms"
          rows={alarms}
          rowKey={(a) => a.id}
          columns={[
            { header: "Rule", cell: (a) => a.rule },
            { header: "Node or user", cell: (a) => a.node_id || "the chain" },
            { header: "Status", cell: (a) => <Badge status={a.status} /> },
            { header: "Detail", cell: (a) => a.detail },
            { header: "Fired", cell: (a) => new Date(a.fired_at_ms).toLocaleString() },
          ]}
        />
      )}

      <h2>Backups</h2>
      <p>
        A backup is a peer's state snapshot and the chain's keys, sealed; it counts once a restore of it gives the same
        state hash.
      </p>
      <button type="button" onClick={backUp} disabled={job?.status === "running"}>
        Back up now
      </button>
      {backups && backups.length === 0 && <Empty>No backups yet: back up now, or set a schedule below.</Empty>}
      {backups && backups.length > 0 && (
        <DataTable
          label="Backups"
          rows={backups}
          rowKey={(b) => b.id}
          columns={[
            { header: "Taken", cell: (b) => new Date(b.created_at * 1000).toLocaleString() },
            { header: "Node", cell: (b) => b.node_id },
            { header: "Status", cell: (b) => <Badge status={b.status} /> },
            { header: "Height", cell: (b) => b.height ?? "—" },
            { header: "Size", cell: (b) => bytes(b.bytes) },
            { header: "By", cell: (b) => b.created_by },
            {
              header: "Restore",
              cell: (b) =>
                b.status === "verified" ? (
                  <button type="button" className="small" onClick={() => restore(b.id)} aria-label={`restore ${b.id}`}>
                    restore the chain
                  </button>
                ) : (
                  "—"
                ),
            },
          ]}
        />
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

      <h2>Webhooks</h2>
      <p>Every alarm on the tenant's chains is POSTed to these, signed with HMAC-SHA256 (see docs/baas.md).</p>
      {secret && (
        <div className="notice" role="status">
          The new webhook's secret, shown this once: <code>{secret}</code>
        </div>
      )}
      {hooks.length > 0 && (
        <DataTable
          label="Webhooks"
          rows={hooks}
          rowKey={(h) => h.id}
          columns={[
            { header: "URL", cell: (h) => h.url },
            { header: "Added by", cell: (h) => h.created_by },
            {
              header: "Deliveries",
              cell: (h) => (
                <span className="buttons">
                  <button type="button" className="small" onClick={() => testHook(h.id)} aria-label={`send a test event to ${h.url}`}>
                    send a test
                  </button>
                  <button type="button" className="small" onClick={() => showDeliveries(h.id)} aria-label={`deliveries to ${h.url}`}>
                    deliveries
                  </button>
                </span>
              ),
            },
          ]}
        />
      )}
      {deliveries && (
        <section aria-label="Webhook deliveries">
          <h3>Deliveries to {hooks.find((h) => h.id === deliveries.hook)?.url ?? deliveries.hook}</h3>
          {deliveries.rows.length === 0 && (
            <Empty>No deliveries yet: each alarm is POSTed here when it fires and when it resolves.</Empty>
          )}
          {deliveries.rows.length > 0 && (
            <DataTable
              label="Deliveries"
              rows={deliveries.rows}
              rowKey={(d) => d.id}
              columns={[
                { header: "Alarm", cell: (d) => (d.alarm_id === "test" ? "test event" : <code>{d.alarm_id}</code>) },
                { header: "Status", cell: (d) => <Badge status={d.status} /> },
                { header: "Attempts", cell: (d) => d.attempts },
                { header: "Last error", cell: (d) => d.last_error || "—" },
                { header: "Updated", cell: (d) => new Date(d.updated_at_ms).toLocaleString() },
              ]}
            />
          )}
        </section>
      )}
      <form onSubmit={addHook} aria-label="Add a webhook" className="inline">
        <label>
          Webhook URL (http:// or https://)
          <input value={hookUrl} onChange={(e) => setHookUrl(e.target.value)} required />
        </label>
        <button type="submit">Add webhook</button>
      </form>

      <h2>Upgrade</h2>
      <form onSubmit={upgrade} aria-label="Upgrade the chain" className="inline">
        <label>
          weft-node build
          <select value={build} onChange={(e) => setBuild(e.target.value)}>
            <option value="bundled">bundled (the server's own)</option>
            {builds.map((b) => (
              <option key={b.version} value={b.version}>
                {b.version} — {b.reports}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={job?.status === "running"}>
          Upgrade node by node
        </button>
      </form>

      <h2>Batch settings</h2>
      <form onSubmit={reconfigure} aria-label="Batch settings" className="inline">
        <label>
          Transactions per block
          <input type="number" min={1} max={10000} value={maxCount} onChange={(e) => setMaxCount(e.target.value)} />
        </label>
        <label>
          Batch timeout (ms)
          <input type="number" min={10} max={60000} value={timeoutMs} onChange={(e) => setTimeoutMs(e.target.value)} />
        </label>
        <button type="submit" disabled={job?.status === "running"}>
          Apply
        </button>
      </form>
    </main>
  );
}
