// A chain's channels: which one the page shows (the selector), a form that
// creates another with some of the chain's orgs, and one that adds an org
// to the chosen channel; each a job.
import { useEffect, useState, type FormEvent } from "react";
import { api, type Schemas } from "../api/client";
import { ErrorBox } from "../components";
import { JobProgress, startJob, useJob, type Job } from "../JobProgress";
import { problemMessage } from "../lib/format";

type Channel = Schemas["ChannelView"];

export function Channels({
  chain,
  channel,
  onChannel,
}: {
  chain: string;
  channel: string;
  onChannel: (name: string) => void;
}) {
  const [channels, setChannels] = useState<Channel[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [members, setMembers] = useState<string[]>([]);
  const [joining, setJoining] = useState("");
  const [started, setStarted] = useState<Job | null>(null);
  const [job, jobError] = useJob(started);
  const path = { params: { path: { chain } } };

  async function load() {
    const r = await api.GET("/api/chains/{chain}/channels", path);
    if (r.data) {
      setChannels(r.data);
      if (!channel) onChannel(r.data.find((c) => c.main)?.name ?? "");
    } else setError(problemMessage(r.error, r.response.status));
  }
  useEffect(() => {
    load();
  }, [chain]);
  useEffect(() => {
    if (job && job.status !== "running") load();
  }, [job?.status]);

  const orgs = channels?.find((c) => c.main)?.orgs ?? [];
  const shown = channels?.find((c) => c.name === channel);
  const outside = shown && !shown.main ? orgs.filter((o) => !shown.orgs.includes(o)) : [];

  async function addOrg(e: FormEvent) {
    e.preventDefault();
    setError(null);
    await startJob(
      api.POST("/api/chains/{chain}/channels/{channel}/orgs", {
        params: { path: { chain, channel } },
        body: { org: joining || outside[0] },
      }),
      (j) => {
        setStarted(j);
        setJoining("");
      },
      setError,
    );
  }

  async function create(e: FormEvent) {
    e.preventDefault();
    setError(null);
    await startJob(
      api.POST("/api/chains/{chain}/channels", { ...path, body: { name, orgs: members } }),
      (j) => {
        setStarted(j);
        setName("");
        setMembers([]);
      },
      setError,
    );
  }

  function toggle(org: string) {
    setMembers((all) => (all.includes(org) ? all.filter((o) => o !== org) : [...all, org]));
  }

  return (
    <section aria-label="Channels">
      <h2>Channels</h2>
      <ErrorBox message={error} />
      <label className="narrow">
        Channel{" "}
        <select value={channel} onChange={(e) => onChannel(e.target.value)} aria-label="Channel">
          {(channels ?? []).map((c) => (
            <option key={c.name} value={c.name}>
              {c.name} ({c.orgs.join(", ")})
            </option>
          ))}
        </select>
      </label>
      {job && <JobProgress job={job} error={jobError} />}
      {outside.length > 0 && (
        <form onSubmit={addOrg} aria-label="Add an org to the channel" className="inline">
          <label>
            Org to add to {channel}
            <select value={joining || outside[0]} onChange={(e) => setJoining(e.target.value)}>
              {outside.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={job?.status === "running"}>
            Add to the channel
          </button>
          <small>A configuration update admits it; its peers join from a member's snapshot.</small>
        </form>
      )}
      <form onSubmit={create} aria-label="Create a channel" className="inline">
        <label>
          New channel
          <input value={name} onChange={(e) => setName(e.target.value)} pattern="[a-z][a-z0-9.\-]*" required />
        </label>
        <fieldset>
          <legend>Member orgs</legend>
          {orgs.map((o) => (
            <label key={o} className="choice">
              <input type="checkbox" checked={members.includes(o)} onChange={() => toggle(o)} /> {o}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={job?.status === "running" || members.length === 0}>
          Create the channel
        </button>
        <small>Its genesis block is signed by the members' admins and their nodes join it.</small>
      </form>
    </section>
  );
}
