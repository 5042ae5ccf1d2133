import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "better-sqlite3";
import {
  archiveWeakPatterns,
  extractPatterns,
  getPattern,
  getPatternByFingerprint,
  markUsed,
  recordMergedPatterns,
  recordPatternOutcome,
  upsertPatterns,
} from "../../../src/learn/patterns/index.js";
import { candidate, DAY, memoryDb, T0 } from "./helpers.js";
import { STOCK_OPERATOR, WEATHER_OPERATOR } from "./sources.js";
import { TEST_ORIGIN, TEST_SCOPE } from "../../support/learning-scope.js";

let db: Database;
beforeEach(() => {
  db = memoryDb();
});
afterEach(() => {
  db.close();
});

function ftsIds(query: string): number[] {
  return (db.prepare("SELECT rowid FROM patterns_fts WHERE patterns_fts MATCH ? ORDER BY rowid").all(query) as { rowid: number }[]).map(
    (r) => r.rowid,
  );
}

describe("upserts", () => {
  it("stores a pattern once per fingerprint, however often it is upserted", () => {
    const c = candidate("def execute(self, context): ...", "http requests get", { libraries: ["requests"] });
    const first = upsertPatterns(db, TEST_ORIGIN, [c, c], T0);
    const again = upsertPatterns(db, TEST_ORIGIN, [c], T0 + DAY);
    expect(first).toHaveLength(2);
    expect(new Set([...first, ...again]).size).toBe(1);
    expect(db.prepare("SELECT COUNT(*) AS n FROM patterns").get()).toEqual({ n: 1 });
    const stored = getPatternByFingerprint(db, TEST_SCOPE, c.fingerprint);
    expect(stored).toMatchObject({
      kind: "execute_shape",
      code: c.code,
      category: "http",
      componentType: "operator",
      role: "component",
      libraries: ["requests"],
      successes: 0,
      failures: 0,
      uses: 0,
      archived: false,
      createdAt: T0,
    });
    expect(ftsIds('"requests"')).toEqual([first[0]]);
  });

  it("merges the search words and libraries of every file the pattern is seen in", () => {
    const code = "def execute(self, context): ...";
    const [id] = upsertPatterns(db, TEST_ORIGIN, [candidate(code, "weather forecast", { libraries: ["requests"] })], T0);
    upsertPatterns(db, TEST_ORIGIN, [candidate(code, "stock quote", { libraries: ["httpx"] })], T0 + 1);
    expect(getPattern(db, TEST_SCOPE, id as number)?.text).toBe("weather forecast stock quote");
    expect(getPattern(db, TEST_SCOPE, id as number)?.libraries).toEqual(["httpx", "requests"]);
    expect(ftsIds('"quote"')).toEqual([id]);
    expect(ftsIds('"weather"')).toEqual([id]);
    expect(ftsIds('"httpx"')).toEqual([id]);
  });

  it("stores extracted patterns of two operators with the same shapes as one set of rows", async () => {
    const weather = await extractPatterns(WEATHER_OPERATOR, { role: "component", componentType: "operator", category: "http" });
    const stock = await extractPatterns(STOCK_OPERATOR, { role: "component", componentType: "operator", category: "finance" });
    const a = recordMergedPatterns(db, TEST_ORIGIN, weather, T0);
    const b = recordMergedPatterns(db, TEST_ORIGIN, stock, T0 + DAY);
    expect(b).toEqual(a);
    for (const id of a) expect(getPattern(db, TEST_SCOPE, id)).toMatchObject({ successes: 2, failures: 0 });
  });

  it("rejects a malformed candidate naming the field", () => {
    const good = candidate("x", "y");
    expect(() => upsertPatterns(db, TEST_ORIGIN, [good, { ...good, kind: "shape" as never }], T0)).toThrow(/candidates\[1\]\.kind must be one of/);
    expect(() => upsertPatterns(db, TEST_ORIGIN, [{ ...good, fingerprint: "abc" }], T0)).toThrow(/candidates\[0\]\.fingerprint/);
    expect(() => upsertPatterns(db, TEST_ORIGIN, [good], Number.NaN)).toThrow(/now must be epoch milliseconds/);
    expect(db.prepare("SELECT COUNT(*) AS n FROM patterns").get()).toEqual({ n: 0 });
  });
});

describe("signals", () => {
  it("a merged pull request adds one success to each of its patterns, counted once per PR", () => {
    const a = candidate("a", "alpha");
    const b = candidate("b", "beta", { kind: "logging" });
    const ids = recordMergedPatterns(db, TEST_ORIGIN, [a, b, a], T0);
    expect(ids).toHaveLength(2);
    recordMergedPatterns(db, TEST_ORIGIN, [a], T0 + DAY);
    expect(getPatternByFingerprint(db, TEST_SCOPE, a.fingerprint)).toMatchObject({ successes: 2, failures: 0, weights: { at: T0 + DAY } });
    expect(getPatternByFingerprint(db, TEST_SCOPE, b.fingerprint)).toMatchObject({ successes: 1, failures: 0 });
  });

  it("outcomes of prompts count against or for the patterns used, and skip unknown ids", () => {
    const [id] = upsertPatterns(db, TEST_ORIGIN, [candidate("a", "alpha")], T0);
    expect(recordPatternOutcome(db, TEST_SCOPE, [id as number, 999], false, T0 + DAY)).toBe(1);
    recordPatternOutcome(db, TEST_SCOPE, [id as number], true, T0 + 2 * DAY);
    const stored = getPattern(db, TEST_SCOPE, id as number);
    expect(stored).toMatchObject({ successes: 1, failures: 1 });
    // The failure is a day older than the success when the weights were last folded.
    expect(stored?.weights.successWeight).toBe(1);
    expect(stored?.weights.failureWeight).toBeCloseTo(Math.pow(2, -1 / 90), 12);
  });

  it("decays earlier observations by the store's half-life", () => {
    const [id] = upsertPatterns(db, TEST_ORIGIN, [candidate("a", "alpha")], T0);
    recordPatternOutcome(db, TEST_SCOPE, [id as number], true, T0, { halfLifeDays: 10 });
    recordPatternOutcome(db, TEST_SCOPE, [id as number], true, T0 + 10 * DAY, { halfLifeDays: 10 });
    expect(getPattern(db, TEST_SCOPE, id as number)?.weights).toEqual({ successWeight: 1.5, failureWeight: 0, at: T0 + 10 * DAY });
  });

  it("markUsed counts uses and remembers when", () => {
    const ids = upsertPatterns(db, TEST_ORIGIN, [candidate("a", "alpha"), candidate("b", "beta")], T0);
    expect(markUsed(db, TEST_SCOPE, [ids[0] as number, ids[0] as number, 12345], T0 + 5)).toBe(1);
    markUsed(db, TEST_SCOPE, ids, T0 + 9);
    expect(getPattern(db, TEST_SCOPE, ids[0] as number)).toMatchObject({ uses: 2, lastUsedAt: T0 + 9 });
    expect(getPattern(db, TEST_SCOPE, ids[1] as number)).toMatchObject({ uses: 1, lastUsedAt: T0 + 9 });
  });

  it("count updates leave the search index alone", () => {
    const [id] = upsertPatterns(db, TEST_ORIGIN, [candidate("a", "alpha")], T0);
    const before = db.prepare("SELECT COUNT(*) AS n FROM patterns_fts_data").get();
    recordPatternOutcome(db, TEST_SCOPE, [id as number], true, T0 + 1);
    markUsed(db, TEST_SCOPE, [id as number], T0 + 2);
    expect(db.prepare("SELECT COUNT(*) AS n FROM patterns_fts_data").get()).toEqual(before);
    expect(ftsIds('"alpha"')).toEqual([id]);
  });
});

describe("archival", () => {
  it("archives patterns with enough trials and a low lower bound, and keeps their rows", () => {
    const [weak, strong, young] = upsertPatterns(db, TEST_ORIGIN, [candidate("w", "weak"), candidate("s", "strong"), candidate("y", "young")], T0);
    for (let i = 0; i < 8; i++) recordPatternOutcome(db, TEST_SCOPE, [weak as number], false, T0);
    recordPatternOutcome(db, TEST_SCOPE, [weak as number], true, T0);
    for (let i = 0; i < 8; i++) recordPatternOutcome(db, TEST_SCOPE, [strong as number], true, T0);
    recordPatternOutcome(db, TEST_SCOPE, [strong as number], false, T0);
    recordPatternOutcome(db, TEST_SCOPE, [young as number], false, T0);
    recordPatternOutcome(db, TEST_SCOPE, [young as number], false, T0);

    const archived = archiveWeakPatterns(db, { minTrials: 5, floor: 0.2, now: T0 });
    expect(archived).toEqual([weak]);
    expect(getPattern(db, TEST_SCOPE, weak as number)).toMatchObject({ archived: true, archivedAt: T0, failures: 8 });
    expect(getPattern(db, TEST_SCOPE, young as number)?.archived).toBe(false);
    expect(ftsIds('"weak"')).toEqual([]);
    expect(ftsIds('"strong"')).toEqual([strong]);
    expect(archiveWeakPatterns(db, { minTrials: 5, floor: 0.2, now: T0 + 1 })).toEqual([]);
  });

  it("does not archive a pattern whose record merely faded with age", () => {
    const [old] = upsertPatterns(db, TEST_ORIGIN, [candidate("o", "old")], T0);
    for (let i = 0; i < 6; i++) recordPatternOutcome(db, TEST_SCOPE, [old as number], false, T0);
    expect(archiveWeakPatterns(db, { minTrials: 5, floor: 0.2, now: T0 + 720 * DAY })).toEqual([]);
    expect(archiveWeakPatterns(db, { minTrials: 5, floor: 0.2, now: T0 + DAY })).toEqual([old]);
  });

  it("checks its options", () => {
    expect(() => archiveWeakPatterns(db, { minTrials: 0, floor: 0.2, now: T0 })).toThrow(/minTrials must be a positive integer/);
    expect(() => archiveWeakPatterns(db, { minTrials: 3, floor: 2, now: T0 })).toThrow(/floor must be between 0 and 1/);
  });
});

describe("word counts for search", () => {
  function docs(term: string, installationId = TEST_SCOPE.installationId): number | undefined {
    return (db.prepare("SELECT docs FROM pattern_terms WHERE installation_id = ? AND term = ?").get(installationId, term) as { docs: number } | undefined)?.docs;
  }

  it("counts live patterns per search word, and all live patterns under the empty word", () => {
    const [a, b] = upsertPatterns(db, TEST_ORIGIN, [candidate("a", "http requests"), candidate("b", "http boto3")], T0);
    upsertPatterns(db, TEST_ORIGIN, [candidate("a", "http retry")], T0 + 1);
    expect({ all: docs(""), http: docs("http"), requests: docs("requests"), boto3: docs("boto3"), retry: docs("retry") }).toEqual({
      all: 2,
      http: 2,
      requests: 1,
      boto3: 1,
      retry: 1,
    });
    for (let i = 0; i < 6; i++) recordPatternOutcome(db, TEST_SCOPE, [b as number], false, T0);
    expect(archiveWeakPatterns(db, { minTrials: 5, floor: 0.2, now: T0 })).toEqual([b]);
    expect({ all: docs(""), http: docs("http"), boto3: docs("boto3"), requests: docs("requests") }).toEqual({
      all: 1,
      http: 1,
      boto3: 0,
      requests: 1,
    });
    expect(a).toBeDefined();
  });

  it("counts each installation's words apart", () => {
    upsertPatterns(db, TEST_ORIGIN, [candidate("a", "http requests")], T0);
    upsertPatterns(db, { installationId: 8, repository: "globex/etl" }, [candidate("a", "http boto3"), candidate("b", "http")], T0);
    expect({ all: docs(""), http: docs("http"), boto3: docs("boto3") }).toEqual({ all: 1, http: 1, boto3: undefined });
    expect({ all: docs("", 8), http: docs("http", 8), boto3: docs("boto3", 8) }).toEqual({ all: 2, http: 2, boto3: 1 });
  });
});
