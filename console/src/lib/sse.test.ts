import { describe, expect, it } from "vitest";
import { splitEvents } from "./sse";

describe("splitEvents", () => {
  it("yields complete events and keeps a partial one", () => {
    const { events, rest } = splitEvents('event: contract\ndata: {"block":3}\n\n:\n\nevent: contract\ndata: {"blo');
    expect(events).toEqual([{ event: "contract", data: '{"block":3}' }]);
    expect(rest).toBe('event: contract\ndata: {"blo');
    const next = splitEvents(rest + 'ck":4}\n\n');
    expect(next.events).toEqual([{ event: "contract", data: '{"block":4}' }]);
    expect(next.rest).toBe("");
  });
  it("joins data lines, reads CRLF, defaults the event name", () => {
    expect(splitEvents("data: a\r\ndata: b\r\n\r\n").events).toEqual([{ event: "message", data: "a\nb" }]);
  });
});
