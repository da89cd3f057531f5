import { describe, expect, it } from "vitest";
import { parseCertificate, pickChain, verdict } from "./certificate";

const cert = {
  number: "NOT-000001",
  document_hash: "ab".repeat(32),
  metadata: "contract.txt",
  tx_id: "t1",
  timestamp_ms: Date.UTC(2026, 10, 27, 12, 0, 0),
  notarized_by: "client.org1@Org1",
};

describe("parseCertificate", () => {
  it("reads the contract's certificate", () => {
    expect(parseCertificate(JSON.stringify(cert))).toEqual(cert);
  });
  it("says why there is none", () => {
    expect(parseCertificate(undefined)).toMatch(/no certificate/);
    expect(parseCertificate("not json")).toMatch(/not JSON/);
    expect(parseCertificate('{"number": 1}')).toMatch(/not a certificate/);
  });
});

describe("verdict", () => {
  it("names the certificate and its time when notarized", () => {
    const v = verdict("contract.txt", JSON.stringify({ notarized: true, certificate: cert }), "en-GB");
    expect(v).toMatch(/^contract.txt was notarized on 27\/11\/2026.* as certificate NOT-000001 \(by client.org1@Org1\)\.$/);
  });
  it("says so when not", () => {
    expect(verdict("forged.txt", '{"notarized": false, "certificate": null}')).toBe("forged.txt is not notarized on this chain.");
  });
  it("does not pretend on an unreadable answer", () => {
    expect(verdict("x", "garbage")).toMatch(/could not be read/);
  });
});

describe("pickChain", () => {
  const chains = [
    { id: "a", status: "running" },
    { id: "b", status: "stopped" },
  ];
  it("takes the chain the address names when it runs", () => {
    expect(pickChain("a", chains)).toEqual({ id: "a", reason: null });
  });
  it("explains a stopped or unknown chain", () => {
    expect(pickChain("b", chains).reason).toMatch(/stopped/);
    expect(pickChain("zz", chains).reason).toMatch(/no chain zz/);
  });
  it("takes the only running chain, or asks", () => {
    expect(pickChain(null, chains)).toEqual({ id: "a", reason: null });
    expect(pickChain(null, [...chains, { id: "c", status: "running" }])).toEqual({ id: null, reason: null });
    expect(pickChain(null, []).reason).toMatch(/no running chain/);
  });
});
