// Contract calls through the REST gateway, shared by the contracts and
// notary pages: evaluate (a query, nothing committed) or submit (ordered,
// committed, VALID or not).
import { api, type Schemas } from "../api/client";
import { problemMessage } from "./format";

export type Outcome = Schemas["Outcome"];

export async function invoke(
  chain: string,
  contract: string,
  mode: "evaluate" | "submit",
  fn: string,
  args: string[],
  channel?: string,
): Promise<{ outcome?: Outcome; error?: string }> {
  const params = { path: { chain, name: contract } };
  // No channel: the chain's main one.
  const body = { function: fn, args, channel: channel || null };
  const r =
    mode === "submit"
      ? await api.POST("/api/chains/{chain}/contracts/{name}/submit", { params, body })
      : await api.POST("/api/chains/{chain}/contracts/{name}/evaluate", { params, body });
  return r.data ? { outcome: r.data } : { error: problemMessage(r.error, r.response.status) };
}

/** Hex SHA-256 of a file, computed in the browser: the file never leaves it. */
export async function sha256Hex(data: ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Arguments typed one per line. */
export function argLines(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
}
