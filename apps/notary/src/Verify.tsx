// Verify a document: its SHA-256, computed in the browser, is looked up
// through the notary contract (a query: nothing is written).
import { useState } from "react";
import { ErrorBox } from "../../../console/src/components";
import { invoke, sha256Hex } from "../../../console/src/lib/invoke";
import { verdict } from "./certificate";

export function Verify({ chain }: { chain: string }) {
  const [answer, setAnswer] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function check(f: File | null) {
    setAnswer(null);
    setError(null);
    if (!f) return;
    const r = await invoke(chain, "notary", "evaluate", "Verify", [await sha256Hex(await f.arrayBuffer())]);
    if (r.error) return setError(r.error);
    setAnswer(verdict(f.name, r.outcome?.result));
  }

  return (
    <section aria-label="Verify">
      <h1>Verify a document</h1>
      <p>Choose a file: the page says whether, when and as which certificate it was notarized on this chain.</p>
      <label>
        Document to check
        <input type="file" onChange={(e) => check(e.target.files?.[0] ?? null)} />
      </label>
      <ErrorBox message={error} />
      {answer && <p role="status">{answer}</p>}
    </section>
  );
}
