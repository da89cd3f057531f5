import { describe, expect, it } from "vitest";
import { blockRate, byNode, meanLatency, polyline, txRate } from "./series";

const samples = [
  { node_id: "a", at_ms: 0, cpu_pct: 10, height: 5 },
  { node_id: "b", at_ms: 0, cpu_pct: null, height: 4 },
  { node_id: "a", at_ms: 2000, cpu_pct: 30, height: 9 },
  { node_id: "b", at_ms: 2000, cpu_pct: 20, height: 9 },
];

describe("series", () => {
  it("splits by node and skips missing values", () => {
    const cpu = byNode(samples, (s) => s.cpu_pct);
    expect(cpu.get("a")).toEqual([
      { x: 0, y: 10 },
      { x: 2000, y: 30 },
    ]);
    expect(cpu.get("b")).toEqual([{ x: 2000, y: 20 }]);
  });
  it("takes the block rate from the highest node", () => {
    expect(blockRate(samples)).toEqual([{ x: 2000, y: 2 }]);
  });
  it("turns counters into rates and means, with no figure across a restart", () => {
    const counters = [
      { node_id: "p", at_ms: 0, tx_committed: 10, latency_sum_us: 50_000, latency_count: 10 },
      { node_id: "p", at_ms: 5000, tx_committed: 60, latency_sum_us: 1_050_000, latency_count: 60 },
      { node_id: "p", at_ms: 10_000, tx_committed: 60, latency_sum_us: 1_050_000, latency_count: 60 },
      { node_id: "p", at_ms: 15_000, tx_committed: 3, latency_sum_us: 9_000, latency_count: 3 },
      { node_id: "o", at_ms: 5000, tx_committed: null },
    ];
    expect(txRate(counters).get("p")).toEqual([
      { x: 5000, y: 10 },
      { x: 10_000, y: 0 },
    ]);
    expect(txRate(counters).has("o")).toBe(false);
    // 1 000 000 µs over 50 transactions: 20 ms; an idle interval has no mean.
    expect(meanLatency(counters).get("p")).toEqual([{ x: 5000, y: 20 }]);
  });
  it("scales into the box, y up", () => {
    expect(polyline([{ x: 0, y: 0 }, { x: 10, y: 5 }], 100, 50, [0, 10], 5)).toBe("0.0,50.0 100.0,0.0");
  });
});
