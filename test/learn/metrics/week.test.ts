import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { isoWeek, isoWeekSql, isoWeekStart, weeksWindowStart } from "../../../src/learn/metrics/index.js";

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
  it.each(CASES)("%d is %s in TypeScript and in SQL", (ms, label) => {
    expect(isoWeek(ms)).toBe(label);
    const db = new BetterSqlite3(":memory:");
    try {
      expect((db.prepare(`SELECT ${isoWeekSql("@ms")} AS week`).get({ ms }) as { week: string }).week).toBe(label);
    } finally {
      db.close();
    }
  });

  it("agrees between TypeScript and SQL on every day of four years", () => {
    const db = new BetterSqlite3(":memory:");
    try {
      const stmt = db.prepare(`SELECT ${isoWeekSql("@ms")} AS week`);
      for (let ms = Date.UTC(2024, 0, 1, 13); ms < Date.UTC(2028, 0, 1); ms += 86_400_000) {
        expect((stmt.get({ ms }) as { week: string }).week).toBe(isoWeek(ms));
      }
    } finally {
      db.close();
    }
  });

  it("starts weeks on Monday 00:00 UTC and windows back whole weeks", () => {
    const wednesday = Date.UTC(2026, 10, 25, 15, 30);
    expect(isoWeekStart(wednesday)).toBe(Date.UTC(2026, 10, 23));
    expect(weeksWindowStart(wednesday, 1)).toBe(Date.UTC(2026, 10, 23));
    expect(weeksWindowStart(wednesday, 8)).toBe(Date.UTC(2026, 9, 5));
    expect(() => weeksWindowStart(wednesday, 0)).toThrow(/weeks should be a whole number of at least 1, got 0/);
  });
});
