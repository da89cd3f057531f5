// The create wizard's custom network: a shape a person picks (consensus,
// orgs, nodes, resources, batch) as a template in the TOML format of
// config/templates/*.toml, which the API checks again when it is saved.
// Pure, so Vitest checks it.

export type Consensus = "solo" | "raft" | "pbft";

export interface Shape {
  consensus: Consensus;
  orgs: number;
  nodesPerOrg: number;
  cpu: number;
  memoryMb: number;
  diskGb: number;
  maxMessageCount: number;
  batchTimeoutMs: number;
}

export const DEFAULT_SHAPE: Shape = {
  consensus: "raft",
  orgs: 3,
  nodesPerOrg: 1,
  cpu: 1,
  memoryMb: 1024,
  diskGb: 20,
  maxMessageCount: 500,
  batchTimeoutMs: 200,
};

/** Peers and orderers the shape makes. Solo: Org1's one node also orders; other nodes are peers. */
export function counts(s: Shape): { nodes: number; peers: number; orderers: number } {
  if (s.consensus === "solo") {
    const nodes = 1 + (s.orgs - 1) * s.nodesPerOrg;
    return { nodes, peers: nodes, orderers: 1 };
  }
  const nodes = s.orgs * s.nodesPerOrg;
  return { nodes, peers: nodes, orderers: nodes };
}

/** What is wrong with the shape, in a sentence, or null. */
export function shapeProblem(s: Shape): string | null {
  const whole = (n: number) => Number.isInteger(n) && n >= 1;
  if (!whole(s.orgs) || s.orgs > 16) return "Orgs: 1 to 16.";
  if (!whole(s.nodesPerOrg) || s.nodesPerOrg > 8) return "Nodes per org: 1 to 8.";
  if (!(s.cpu > 0) || !whole(s.memoryMb) || !whole(s.diskGb)) return "Every node needs CPU > 0, memory and disk of 1 or more.";
  if (!whole(s.maxMessageCount) || !whole(s.batchTimeoutMs)) return "Batch size and timeout: whole numbers of 1 or more.";
  const { orderers } = counts(s);
  if (s.consensus === "pbft" && orderers < 4)
    return `PBFT needs at least 4 orderers (3f+1) and this network has ${orderers}: more orgs or nodes per org.`;
  return null;
}

/** A hint on fault tolerance, for the summary line. */
export function tolerance(s: Shape): string {
  const { orderers } = counts(s);
  if (s.consensus === "solo") return "no ordering fault tolerance (one orderer)";
  if (s.consensus === "raft") {
    const f = Math.floor((orderers - 1) / 2);
    return f === 0 ? "tolerates no crashed orderer" : `tolerates ${f} crashed orderer${f > 1 ? "s" : ""}`;
  }
  const f = Math.floor((orderers - 1) / 3);
  return `tolerates ${f} Byzantine orderer${f > 1 ? "s" : ""}`;
}

/** The shape as a template named `name`. */
export function templateToml(name: string, s: Shape): string {
  const { nodes, peers, orderers } = counts(s);
  const lines = [
    `name = ${JSON.stringify(name)}`,
    `description = ${JSON.stringify(`custom: ${s.orgs} org(s), ${nodes} node(s), ${peers} peer(s), ${orderers} ${s.consensus} orderer(s)`)}`,
    `channel = "weft"`,
    `consensus = "${s.consensus}"`,
    "",
    "[batch]",
    `max_message_count = ${s.maxMessageCount}`,
    `batch_timeout_ms = ${s.batchTimeoutMs}`,
    "",
    "[resources]",
    `cpu = ${Number.isInteger(s.cpu) ? s.cpu.toFixed(1) : s.cpu}`,
    `memory_mb = ${s.memoryMb}`,
    `disk_gb = ${s.diskGb}`,
    "bandwidth_mbps = 100",
  ];
  for (let i = 1; i <= s.orgs; i++) {
    const solo = s.consensus === "solo";
    const orders = !solo || i === 1;
    const count = solo && i === 1 ? 1 : s.nodesPerOrg;
    lines.push("", "[[orgs]]", `id = "Org${i}"`, `nodes = ${count}`, `roles = ${orders ? '["peer", "orderer"]' : '["peer"]'}`);
  }
  return lines.join("\n") + "\n";
}

/** "1 node", "3 nodes". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
