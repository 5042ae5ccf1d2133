import { describe, expect, it } from "vitest";
import { LineRanges } from "../../src/ci/parsers/found.js";

describe("LineRanges", () => {
  it("answers membership for ranges added in order, out of order and overlapping", () => {
    const ranges = new LineRanges();
    ranges.add(20, 30);
    ranges.add(0, 100);
    ranges.add(5, 10);
    ranges.add(200, 210);
    for (const inside of [0, 50, 100, 200, 205, 210]) expect([inside, ranges.has(inside)]).toEqual([inside, true]);
    for (const outside of [-1, 101, 150, 199, 211]) expect([outside, ranges.has(outside)]).toEqual([outside, false]);
  });
});
