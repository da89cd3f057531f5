// What the notary contract answers, and what the pages say about it. Pure:
// Vitest covers it.

/** The contract's certificate (contracts/examples/notary). */
export interface Certificate {
  number: string;
  document_hash: string;
  metadata: string;
  tx_id: string;
  timestamp_ms: number;
  notarized_by: string;
}

export interface Verification {
  notarized: boolean;
  certificate: Certificate | null;
}

/** The certificate in a Notarize result, or why there is none. */
export function parseCertificate(result: string | null | undefined): Certificate | string {
  if (!result) return "The contract returned no certificate: is the chain's notary contract deployed as `notary`?";
  try {
    const c = JSON.parse(result) as Partial<Certificate>;
    if (typeof c.number !== "string" || typeof c.document_hash !== "string" || typeof c.timestamp_ms !== "number")
      return `The contract answered something that is not a certificate: ${result.slice(0, 200)}`;
    return c as Certificate;
  } catch {
    return `The contract answered something that is not JSON: ${result.slice(0, 200)}`;
  }
}

/** One sentence on whether, when and as what `file` was notarized. */
export function verdict(file: string, result: string | null | undefined, locale?: string): string {
  let v: Verification;
  try {
    v = JSON.parse(result ?? "") as Verification;
  } catch {
    return `The contract's answer could not be read: ${String(result).slice(0, 200)}`;
  }
  if (!v.notarized || !v.certificate) return `${file} is not notarized on this chain.`;
  const c = v.certificate;
  const at = new Date(c.timestamp_ms).toLocaleString(locale);
  return `${file} was notarized on ${at} as certificate ${c.number} (by ${c.notarized_by}).`;
}

/** The chain to use: the one the address names if it is usable, else the only running one. */
export function pickChain(
  wanted: string | null,
  chains: { id: string; status: string }[],
): { id: string | null; reason: string | null } {
  const running = chains.filter((c) => c.status === "running");
  if (wanted) {
    const c = chains.find((x) => x.id === wanted);
    if (!c) return { id: null, reason: `There is no chain ${wanted} you can see: choose one below.` };
    if (c.status !== "running") return { id: null, reason: `That chain is ${c.status}: start it from the console, or choose another.` };
    return { id: c.id, reason: null };
  }
  if (running.length === 1) return { id: running[0].id, reason: null };
  if (running.length === 0)
    return { id: null, reason: "You have no running chain: create one in the console and deploy the notary contract on it." };
  return { id: null, reason: null };
}
