import { describe, expect, it } from "vitest";
import { bytes, fromMicros, jobSummary, problemMessage, toMicros } from "./format";

describe("problemMessage", () => {
  it("uses the problem's title and detail", () => {
    expect(problemMessage({ title: "Conflict", detail: "chain x is failed" }, 409)).toBe("Conflict: chain x is failed");
  });
  it("says what to do when the session ended or the server is away", () => {
    expect(problemMessage(undefined, 401)).toBe("Your session has ended: sign in again.");
    expect(problemMessage(undefined)).toBe("The server could not be reached.");
  });
});

describe("jobSummary", () => {
  const steps = [
    { name: "crypto", status: "done", detail: "" },
    { name: "start nodes", status: "running", detail: "1 of 3" },
    { name: "health", status: "pending", detail: "" },
  ];
  it("names the running step and how far it is", () => {
    expect(jobSummary({ status: "running", progress: 33, error: "", steps })).toBe("1 of 3 steps: start nodes — 1 of 3");
  });
  it("says why a job failed", () => {
    expect(jobSummary({ status: "failed", progress: 33, error: "no quota", steps })).toBe("Failed: no quota");
  });
});

describe("bytes", () => {
  it("scales", () => {
    expect(bytes(512)).toBe("512 B");
    expect(bytes(1536)).toBe("1.5 KiB");
    expect(bytes(null)).toBe("—");
  });
});

describe("prices", () => {
  it("reads amounts into micro-units without rounding", () => {
    expect(toMicros("0.08")).toBe(80_000);
    expect(toMicros("5")).toBe(5_000_000);
    expect(toMicros(" 0.000001 ")).toBe(1);
    expect(toMicros("1.10")).toBe(1_100_000);
  });
  it("refuses what is not an amount", () => {
    expect(toMicros("")).toBeNull();
    expect(toMicros("-1")).toBeNull();
    expect(toMicros("0.0000001")).toBeNull();
    expect(toMicros("1e3")).toBeNull();
  });
  it("shows micro-units as a decimal", () => {
    expect(fromMicros(80_000)).toBe("0.08");
    expect(fromMicros(5_000_000)).toBe("5");
    expect(fromMicros(1)).toBe("0.000001");
    expect(fromMicros(0)).toBe("0");
  });
});
