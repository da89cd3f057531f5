import { describe, expect, it } from "vitest";
import { argLines, sha256Hex } from "./invoke";

describe("argLines", () => {
  it("takes one argument per non-empty line", () => {
    expect(argLines("asset1\n blue \n\n5\n")).toEqual(["asset1", "blue", "5"]);
  });
});

describe("sha256Hex", () => {
  it("hashes like sha256sum", async () => {
    const data = new TextEncoder().encode("abc");
    expect(await sha256Hex(data.buffer)).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
