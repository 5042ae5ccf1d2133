import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isoWeek, isoWeekOfIndex, isoWeekStart, weekIndexSql, weeksWindowStart } from "../../../src/learn/metrics/index.js";
import { describeBackends, openBackend, type TestBackend } from "../../support/backends.js";

// Expected labels from Python's date.isocalendar().
const CASES: [number, string][] = [
  [Date.UTC(2026, 10, 2), "2026-W45"],
  [Date.UTC(2026, 10, 25, 23, 59), "2026-W48"],
  [Date.UTC(2026, 11, 31), "2026-W53"],
  [Date.UTC(2027, 0, 1), "2026-W53"],
  [Date.UTC(2027, 0, 3, 23, 59, 59), "2026-W53"],
  [Date.UTC(2027, 0, 4), "2027-W01"],
  [Date.UTC(2021, 0, 3), "2020-W53"],
  [Date.UTC(2024, 11, 30), "2025-W01"],
  [Date.UTC(2025, 11, 28), "2025-W52"],
];

describe("ISO weeks", () => {
  it.each(CASES)("%d is %s", (ms, label) => {
    expect(isoWeek(ms)).toBe(label);
  });

  it("starts weeks on Monday 00:00 UTC and windows back whole weeks", () => {
    const wednesday = Date.UTC(2026, 10, 25, 15, 30);
    expect(isoWeekStart(wednesday)).toBe(Date.UTC(2026, 10, 23));
    expect(weeksWindowStart(wednesday, 1)).toBe(Date.UTC(2026, 10, 23));
    expect(weeksWindowStart(wednesday, 8)).toBe(Date.UTC(2026, 9, 5));
    expect(() => weeksWindowStart(wednesday, 0)).toThrow(/weeks should be a whole number of at least 1, got 0/);
  });
});

describeBackends("ISO weeks in SQL", (kind) => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await openBackend(kind);
  });
  afterAll(async () => backend.close());

  /** The week label SQL gives an instant, as a BIGINT like the timestamp columns. */
  async function sqlWeek(ms: number): Promise<string> {
    const { rows } = await sql<{ week: number }>`SELECT ${weekIndexSql(sql<number>`CAST(${ms} AS BIGINT)`)} AS week`.execute(backend.kysely);
    return isoWeekOfIndex(rows[0]?.week ?? Number.NaN);
  }

  it.each(CASES)("%d is %s", async (ms, label) => {
    expect(await sqlWeek(ms)).toBe(label);
    // The last millisecond of a week still belongs to it.
    expect(await sqlWeek(isoWeekStart(ms) - 1)).toBe(isoWeek(isoWeekStart(ms) - 1));
  });

  it("agrees with TypeScript on every day of four years", async () => {
    for (let ms = Date.UTC(2024, 0, 1, 13); ms < Date.UTC(2028, 0, 1); ms += 86_400_000) {
      expect(await sqlWeek(ms)).toBe(isoWeek(ms));
    }
  });
});
