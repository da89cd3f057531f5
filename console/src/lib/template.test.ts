import { describe, expect, it } from "vitest";
import { counts, DEFAULT_SHAPE, plural, shapeProblem, templateToml, tolerance } from "./template";

describe("custom templates", () => {
  it("writes raft-3 as the built-in template has it", () => {
    const toml = templateToml("mine", DEFAULT_SHAPE);
    expect(toml).toContain('name = "mine"\n');
    expect(toml).toContain('consensus = "raft"\n');
    expect(toml).toContain("[resources]\ncpu = 1.0\nmemory_mb = 1024\ndisk_gb = 20\n");
    expect(toml.match(/\[\[orgs\]\]/g)).toHaveLength(3);
    expect(toml).toContain('id = "Org3"\nnodes = 1\nroles = ["peer", "orderer"]');
    expect(tolerance(DEFAULT_SHAPE)).toBe("tolerates 1 crashed orderer");
  });
  it("gives solo one orderer and peers elsewhere", () => {
    const solo = { ...DEFAULT_SHAPE, consensus: "solo" as const, orgs: 2, nodesPerOrg: 2 };
    expect(counts(solo)).toEqual({ nodes: 3, peers: 3, orderers: 1 });
    const toml = templateToml("s", solo);
    expect(toml).toContain('id = "Org1"\nnodes = 1\nroles = ["peer", "orderer"]');
    expect(toml).toContain('id = "Org2"\nnodes = 2\nroles = ["peer"]');
  });
  it("says what is wrong", () => {
    expect(shapeProblem(DEFAULT_SHAPE)).toBeNull();
    expect(shapeProblem({ ...DEFAULT_SHAPE, consensus: "pbft" })).toMatch(/at least 4 orderers .* has 3/);
    expect(shapeProblem({ ...DEFAULT_SHAPE, consensus: "pbft", orgs: 4 })).toBeNull();
    expect(shapeProblem({ ...DEFAULT_SHAPE, orgs: 0 })).toMatch(/Orgs/);
    expect(shapeProblem({ ...DEFAULT_SHAPE, cpu: 0 })).toMatch(/CPU/);
    expect(tolerance({ ...DEFAULT_SHAPE, consensus: "pbft", orgs: 7 })).toBe("tolerates 2 Byzantine orderers");
    expect([plural(1, "node"), plural(3, "node")]).toEqual(["1 node", "3 nodes"]);
  });
});
