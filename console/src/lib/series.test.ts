import { describe, expect, it } from "vitest";
import { blockRate, byNode, polyline } from "./series";

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
  it("scales into the box, y up", () => {
    expect(polyline([{ x: 0, y: 0 }, { x: 10, y: 5 }], 100, 50, [0, 10], 5)).toBe("0.0,50.0 100.0,0.0");
  });
});
