// The "contract certificate on blockchain" demo: a document's SHA-256 is
// computed here in the browser (the document never leaves it) and
// notarized through the chain's `notary` contract; the certificate can be
// printed, and any file checked against the chain later.
import { useState } from "react";
import { ErrorBox } from "../components";
import { invoke, sha256Hex } from "../lib/invoke";

interface Certificate {
  number: string;
  document_hash: string;
  metadata: string;
  tx_id: string;
  timestamp_ms: number;
  notarized_by: string;
}

async function hashOf(file: File): Promise<string> {
  return sha256Hex(await file.arrayBuffer());
}

export function Notary({ chain }: { chain: string }) {
  const [file, setFile] = useState<File | null>(null);
  const [hash, setHash] = useState<string | null>(null);
  const [certificate, setCertificate] = useState<(Certificate & { block?: number | null }) | null>(null);
  const [verdict, setVerdict] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function choose(f: File | null) {
    setFile(f);
    setCertificate(null);
    setHash(f ? await hashOf(f) : null);
  }

  async function notarize() {
    if (!file || !hash) return;
    setBusy(true);
    setError(null);
    const r = await invoke(chain, "notary", "submit", "Notarize", [hash, file.name]);
    setBusy(false);
    if (!r.outcome?.result) return setError(r.error ?? "the contract returned no certificate");
    setCertificate({ ...(JSON.parse(r.outcome.result) as Certificate), block: r.outcome.block });
  }

  async function verify(f: File | null) {
    setVerdict(null);
    setError(null);
    if (!f) return;
    const r = await invoke(chain, "notary", "evaluate", "Verify", [await hashOf(f)]);
    if (!r.outcome?.result) return setError(r.error ?? "the contract returned nothing");
    const v = JSON.parse(r.outcome.result) as { notarized: boolean; certificate: Certificate | null };
    setVerdict(
      v.notarized && v.certificate
        ? `${f.name} was notarized on ${new Date(v.certificate.timestamp_ms).toLocaleString()} as certificate ${v.certificate.number} (by ${v.certificate.notarized_by}).`
        : `${f.name} is not notarized on this chain.`,
    );
  }

  return (
    <main>
      <h1>Notary</h1>
      <p>
        Notarize a document: its SHA-256 fingerprint goes on the chain through the <code>notary</code> contract; the
        document itself stays on your computer. Deploy the contract under the name <code>notary</code> first.
      </p>
      <ErrorBox message={error} />
      <section aria-label="Notarize">
        <h2>Notarize a document</h2>
        <label>
          Document
          <input type="file" onChange={(e) => choose(e.target.files?.[0] ?? null)} />
        </label>
        {hash && (
          <p>
            SHA-256: <code>{hash}</code>
          </p>
        )}
        <button type="button" onClick={notarize} disabled={!hash || busy}>
          {busy ? "Notarizing…" : "Notarize"}
        </button>
      </section>
      {certificate && (
        <section className="certificate" aria-label="Certificate">
          <h2>Certificate {certificate.number}</h2>
          <dl>
            <dt>Document</dt>
            <dd>{certificate.metadata}</dd>
            <dt>SHA-256</dt>
            <dd>
              <code>{certificate.document_hash}</code>
            </dd>
            <dt>Notarized</dt>
            <dd>{new Date(certificate.timestamp_ms).toLocaleString()}</dd>
            <dt>By</dt>
            <dd>{certificate.notarized_by}</dd>
            <dt>Transaction</dt>
            <dd>
              <code>{certificate.tx_id}</code>
              {certificate.block != null && <> in block {certificate.block}</>}
            </dd>
          </dl>
          <button type="button" className="no-print" onClick={() => window.print()}>
            Print the certificate
          </button>
        </section>
      )}
      <section aria-label="Verify">
        <h2>Verify a document</h2>
        <label>
          Document to check
          <input type="file" onChange={(e) => verify(e.target.files?.[0] ?? null)} />
        </label>
        {verdict && <p role="status">{verdict}</p>}
      </section>
    </main>
  );
}
