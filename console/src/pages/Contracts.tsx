import { useEffect, useState, type FormEvent } from "react";
import { api, type Schemas } from "../api/client";
import { DataTable, Empty, ErrorBox } from "../components";
import { ContractEvents } from "../ContractEvents";
import { problemMessage } from "../lib/format";
import { argLines, invoke, type Outcome } from "../lib/invoke";

// A chain's contracts on one of its channels (the selector; the main one
// first): the list, deploy or upgrade, invoke, and live events.
export function Contracts({ chain }: { chain: string }) {
  const [channels, setChannels] = useState<Schemas["ChannelView"][]>([]);
  const [channel, setChannel] = useState("");
  const [contracts, setContracts] = useState<Schemas["ContractInfo"][] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [deployed, setDeployed] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [version, setVersion] = useState("1.0");
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [contract, setContract] = useState("");
  const [fn, setFn] = useState("");
  const [args, setArgs] = useState("");
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [callError, setCallError] = useState<string | null>(null);

  const query = channel ? { channel } : {};

  async function load() {
    const r = await api.GET("/api/chains/{chain}/contracts", { params: { path: { chain }, query } });
    if (r.data) {
      setContracts(r.data);
      if (!r.data.some((c) => c.name === contract)) setContract(r.data[0]?.name ?? "");
    } else setError(problemMessage(r.error, r.response.status));
  }
  useEffect(() => {
    load();
  }, [chain, channel]);
  useEffect(() => {
    api.GET("/api/chains/{chain}/channels", { params: { path: { chain } } }).then((r) => setChannels(r.data ?? []));
  }, [chain]);

  async function deploy(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setDeployed(null);
    const r = await api.PUT("/api/chains/{chain}/contracts/{name}", {
      params: { path: { chain, name }, query: { version, ...query } },
      // The compiled contract as it is: the API takes application/wasm.
      body: file as unknown as number[],
      bodySerializer: (b) => b as unknown as BodyInit,
      headers: { "content-type": "application/wasm" },
    });
    setBusy(false);
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    setDeployed(`${r.data.name} ${r.data.version}: ${r.data.action} committed in block ${r.data.block}`);
    setContract(r.data.name);
    load();
  }

  async function call(mode: "evaluate" | "submit") {
    setCallError(null);
    setOutcome(null);
    const r = await invoke(chain, contract, mode, fn, argLines(args), channel);
    if (r.outcome) setOutcome(r.outcome);
    else setCallError(r.error ?? null);
  }

  return (
    <main>
      <h1>Contracts</h1>
      {channels.length > 1 && (
        <label className="narrow">
          Channel{" "}
          <select value={channel} onChange={(e) => setChannel(e.target.value)} aria-label="Channel">
            {channels.map((c) => (
              <option key={c.name} value={c.main ? "" : c.name}>
                {c.name} ({c.orgs.join(", ")})
              </option>
            ))}
          </select>
        </label>
      )}
      <ErrorBox message={error} />
      {contracts && contracts.length === 0 && <Empty>No contract deployed yet: upload one below.</Empty>}
      {contracts && contracts.length > 0 && (
        <DataTable
          label="Contracts"
          rows={contracts}
          rowKey={(c) => c.name}
          columns={[
            { header: "Name", cell: (c) => c.name },
            { header: "Version", cell: (c) => c.version },
            { header: "Sequence", cell: (c) => c.sequence },
            { header: "Endorsement policy", cell: (c) => c.endorsement_policy },
          ]}
        />
      )}

      <h2>Deploy or upgrade</h2>
      <form onSubmit={deploy} aria-label="Deploy a contract">
        <label>
          Contract name
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Version (an upgrade needs a new one)
          <input value={version} onChange={(e) => setVersion(e.target.value)} required />
        </label>
        <label>
          Compiled contract (.wasm)
          <input type="file" accept=".wasm,application/wasm" onChange={(e) => setFile(e.target.files?.[0] ?? null)} required />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? "Deploying…" : "Deploy"}
        </button>
        {deployed && <p role="status">{deployed}</p>}
      </form>

      <h2>Invoke</h2>
      <form onSubmit={(e) => e.preventDefault()} aria-label="Invoke a contract">
        <label>
          Contract
          <select value={contract} onChange={(e) => setContract(e.target.value)}>
            {(contracts ?? []).map((c) => (
              <option key={c.name}>{c.name}</option>
            ))}
          </select>
        </label>
        <label>
          Function
          <input value={fn} onChange={(e) => setFn(e.target.value)} placeholder="e.g. ReadAsset" />
        </label>
        <label>
          Arguments, one per line
          <textarea value={args} onChange={(e) => setArgs(e.target.value)} rows={4} />
        </label>
        <div className="buttons">
          <button type="button" onClick={() => call("evaluate")} disabled={!contract || !fn}>
            Query
          </button>
          <button type="button" onClick={() => call("submit")} disabled={!contract || !fn}>
            Submit transaction
          </button>
        </div>
        <ErrorBox message={callError} />
        {outcome && (
          <dl className="outcome" aria-label="Result">
            {outcome.code && (
              <>
                <dt>Validation</dt>
                <dd>{outcome.code}</dd>
                <dt>Transaction</dt>
                <dd>
                  <code>{outcome.tx_id}</code> in block {outcome.block}
                </dd>
              </>
            )}
            <dt>Result</dt>
            <dd>
              <pre>{outcome.result ?? `0x${outcome.result_hex}`}</pre>
            </dd>
          </dl>
        )}
      </form>
      <ContractEvents chain={chain} contract={contract} channel={channel} />
    </main>
  );
}
