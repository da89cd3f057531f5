// Notarize a document: its SHA-256 is computed in the browser (the document
// never leaves it) and submitted to the chain's `notary` contract; the
// certificate that comes back can be printed.
import { useState } from "react";
import { ErrorBox } from "../../../console/src/components";
import { invoke, sha256Hex } from "../../../console/src/lib/invoke";
import { type Certificate, parseCertificate } from "./certificate";

export function Notarize({ chain }: { chain: string }) {
  const [file, setFile] = useState<File | null>(null);
  const [hash, setHash] = useState<string | null>(null);
  const [certificate, setCertificate] = useState<(Certificate & { block?: number | null }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function choose(f: File | null) {
    setFile(f);
    setCertificate(null);
    setError(null);
    setHash(f ? await sha256Hex(await f.arrayBuffer()) : null);
  }

  async function notarize() {
    if (!file || !hash) return;
    setBusy(true);
    setError(null);
    const r = await invoke(chain, "notary", "submit", "Notarize", [hash, file.name]);
    setBusy(false);
    if (r.error) return setError(r.error);
    if (r.outcome && r.outcome.code !== "VALID")
      return setError(`The chain did not commit the notarization: its validation code is ${r.outcome.code}.`);
    const c = parseCertificate(r.outcome?.result);
    if (typeof c === "string") return setError(c);
    setCertificate({ ...c, block: r.outcome?.block });
  }

  return (
    <>
      <section aria-label="Notarize" className="no-print">
        <h1>Notarize a document</h1>
        <p>
          The document's SHA-256 fingerprint goes on the chain through its <code>notary</code> contract; the document
          itself stays on your computer. Keep it unchanged: any edit changes its fingerprint.
        </p>
        <label>
          Document
          <input type="file" onChange={(e) => choose(e.target.files?.[0] ?? null)} />
        </label>
        {hash && (
          <p>
            SHA-256: <code>{hash}</code>
          </p>
        )}
        <ErrorBox message={error} />
        <button type="button" onClick={notarize} disabled={!hash || busy}>
          {busy ? "Notarizing…" : "Notarize"}
        </button>
      </section>
      {certificate && (
        <section className="certificate" aria-label="Certificate">
          <h2>Certificate {certificate.number}</h2>
          <p>This document's fingerprint was recorded on the Weft chain {chain}.</p>
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
    </>
  );
}
