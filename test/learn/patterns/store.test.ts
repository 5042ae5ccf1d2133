import type { Kysely } from "kysely";
import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Tables } from "../../../src/db/schema.js";
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
import { candidate, DAY, T0 } from "./helpers.js";
import { STOCK_OPERATOR, WEATHER_OPERATOR } from "./sources.js";
import { TEST_ORIGIN, TEST_SCOPE } from "../../support/learning-scope.js";
import { describeBackends, openBackend } from "../../support/backends.js";
import type { TestBackend } from "../../support/backends.js";

describeBackends("pattern store", (kind) => {
  let backend: TestBackend;
  let db: Kysely<Tables>;
  // One database per backend (PostgreSQL takes a while to migrate); every test starts with no patterns.
  beforeAll(async () => {
    backend = await openBackend(kind);
    db = backend.kysely;
  });
  afterAll(() => backend.close());
  beforeEach(async () => {
    await db.deleteFrom("pattern_terms").execute();
    await db.deleteFrom("patterns").execute();
  });

  /** Live patterns the full-text index finds by one word: FTS5 on SQLite, `search_vector` on PostgreSQL. */
  async function searchIds(word: string): Promise<number[]> {
    const query =
      kind === "sqlite"
        ? sql<{ id: number }>`SELECT rowid AS id FROM patterns_fts WHERE patterns_fts MATCH ${`"${word}"`} ORDER BY rowid`
        : sql<{ id: number }>`SELECT id FROM patterns WHERE archived = 0 AND search_vector @@ to_tsquery('simple', ${word}) ORDER BY id`;
    return (await query.execute(db)).rows.map((r) => r.id);
  }

  async function patternCount(): Promise<number> {
    const row = await db.selectFrom("patterns").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  describe("upserts", async () => {
    it("stores a pattern once per fingerprint, however often it is upserted", async () => {
      const c = candidate("def execute(self, context): ...", "http requests get", { libraries: ["requests"] });
      const first = await upsertPatterns(db, TEST_ORIGIN, [c, c], T0);
      const again = await upsertPatterns(db, TEST_ORIGIN, [c], T0 + DAY);
      expect(first).toHaveLength(2);
      expect(new Set([...first, ...again]).size).toBe(1);
      expect(await patternCount()).toBe(1);
      const stored = await getPatternByFingerprint(db, TEST_SCOPE, c.fingerprint);
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
      expect(await searchIds('requests')).toEqual([first[0]]);
    });

    it("merges the search words and libraries of every file the pattern is seen in", async () => {
      const code = "def execute(self, context): ...";
      const [id] = await upsertPatterns(db, TEST_ORIGIN, [candidate(code, "weather forecast", { libraries: ["requests"] })], T0);
      await upsertPatterns(db, TEST_ORIGIN, [candidate(code, "stock quote", { libraries: ["httpx"] })], T0 + 1);
      expect((await getPattern(db, TEST_SCOPE, id as number))?.text).toBe("weather forecast stock quote");
      expect((await getPattern(db, TEST_SCOPE, id as number))?.libraries).toEqual(["httpx", "requests"]);
      expect(await searchIds('quote')).toEqual([id]);
      expect(await searchIds('weather')).toEqual([id]);
      expect(await searchIds('httpx')).toEqual([id]);
    });

    it("stores extracted patterns of two operators with the same shapes as one set of rows", async () => {
      const weather = await extractPatterns(WEATHER_OPERATOR, { role: "component", componentType: "operator", category: "http" });
      const stock = await extractPatterns(STOCK_OPERATOR, { role: "component", componentType: "operator", category: "finance" });
      const a = await recordMergedPatterns(db, TEST_ORIGIN, weather, T0);
      const b = await recordMergedPatterns(db, TEST_ORIGIN, stock, T0 + DAY);
      expect(b).toEqual(a);
      for (const id of a) expect(await getPattern(db, TEST_SCOPE, id)).toMatchObject({ successes: 2, failures: 0 });
    });

    it("rejects a malformed candidate naming the field", async () => {
      const good = candidate("x", "y");
      await expect(upsertPatterns(db, TEST_ORIGIN, [good, { ...good, kind: "shape" as never }], T0)).rejects.toThrow(/candidates\[1\]\.kind must be one of/);
      await expect(upsertPatterns(db, TEST_ORIGIN, [{ ...good, fingerprint: "abc" }], T0)).rejects.toThrow(/candidates\[0\]\.fingerprint/);
      await expect(upsertPatterns(db, TEST_ORIGIN, [good], Number.NaN)).rejects.toThrow(/now must be epoch milliseconds/);
      expect(await patternCount()).toBe(0);
    });
  });

  describe("signals", async () => {
    it("a merged pull request adds one success to each of its patterns, counted once per PR", async () => {
      const a = candidate("a", "alpha");
      const b = candidate("b", "beta", { kind: "logging" });
      const ids = await recordMergedPatterns(db, TEST_ORIGIN, [a, b, a], T0);
      expect(ids).toHaveLength(2);
      await recordMergedPatterns(db, TEST_ORIGIN, [a], T0 + DAY);
      expect(await getPatternByFingerprint(db, TEST_SCOPE, a.fingerprint)).toMatchObject({ successes: 2, failures: 0, weights: { at: T0 + DAY } });
      expect(await getPatternByFingerprint(db, TEST_SCOPE, b.fingerprint)).toMatchObject({ successes: 1, failures: 0 });
    });

    it("outcomes of prompts count against or for the patterns used, and skip unknown ids", async () => {
      const [id] = await upsertPatterns(db, TEST_ORIGIN, [candidate("a", "alpha")], T0);
      expect(await recordPatternOutcome(db, TEST_SCOPE, [id as number, 999], false, T0 + DAY)).toBe(1);
      await recordPatternOutcome(db, TEST_SCOPE, [id as number], true, T0 + 2 * DAY);
      const stored = await getPattern(db, TEST_SCOPE, id as number);
      expect(stored).toMatchObject({ successes: 1, failures: 1 });
      // The failure is a day older than the success when the weights were last folded.
      expect(stored?.weights.successWeight).toBe(1);
      expect(stored?.weights.failureWeight).toBeCloseTo(Math.pow(2, -1 / 90), 12);
    });

    it("decays earlier observations by the store's half-life", async () => {
      const [id] = await upsertPatterns(db, TEST_ORIGIN, [candidate("a", "alpha")], T0);
      await recordPatternOutcome(db, TEST_SCOPE, [id as number], true, T0, { halfLifeDays: 10 });
      await recordPatternOutcome(db, TEST_SCOPE, [id as number], true, T0 + 10 * DAY, { halfLifeDays: 10 });
      expect((await getPattern(db, TEST_SCOPE, id as number))?.weights).toEqual({ successWeight: 1.5, failureWeight: 0, at: T0 + 10 * DAY });
    });

    it("markUsed counts uses and remembers when", async () => {
      const ids = await upsertPatterns(db, TEST_ORIGIN, [candidate("a", "alpha"), candidate("b", "beta")], T0);
      expect(await markUsed(db, TEST_SCOPE, [ids[0] as number, ids[0] as number, 12345], T0 + 5)).toBe(1);
      await markUsed(db, TEST_SCOPE, ids, T0 + 9);
      expect(await getPattern(db, TEST_SCOPE, ids[0] as number)).toMatchObject({ uses: 2, lastUsedAt: T0 + 9 });
      expect(await getPattern(db, TEST_SCOPE, ids[1] as number)).toMatchObject({ uses: 1, lastUsedAt: T0 + 9 });
    });

    it("count updates leave the search index alone", async () => {
      const [id] = await upsertPatterns(db, TEST_ORIGIN, [candidate("a", "alpha")], T0);
      // FTS5's own pages on SQLite; PostgreSQL's search_vector is generated from the text columns alone.
      const ftsPages = async () => (kind === "sqlite" ? (await sql<{ n: number }>`SELECT COUNT(*) AS n FROM patterns_fts_data`.execute(db)).rows : []);
      const before = await ftsPages();
      await recordPatternOutcome(db, TEST_SCOPE, [id as number], true, T0 + 1);
      await markUsed(db, TEST_SCOPE, [id as number], T0 + 2);
      expect(await ftsPages()).toEqual(before);
      expect(await searchIds('alpha')).toEqual([id]);
    });
  });

  describe("archival", async () => {
    it("archives patterns with enough trials and a low lower bound, and keeps their rows", async () => {
      const [weak, strong, young] = await upsertPatterns(db, TEST_ORIGIN, [candidate("w", "weak"), candidate("s", "strong"), candidate("y", "young")], T0);
      for (let i = 0; i < 8; i++) await recordPatternOutcome(db, TEST_SCOPE, [weak as number], false, T0);
      await recordPatternOutcome(db, TEST_SCOPE, [weak as number], true, T0);
      for (let i = 0; i < 8; i++) await recordPatternOutcome(db, TEST_SCOPE, [strong as number], true, T0);
      await recordPatternOutcome(db, TEST_SCOPE, [strong as number], false, T0);
      await recordPatternOutcome(db, TEST_SCOPE, [young as number], false, T0);
      await recordPatternOutcome(db, TEST_SCOPE, [young as number], false, T0);

      const archived = await archiveWeakPatterns(db, { minTrials: 5, floor: 0.2, now: T0 });
      expect(archived).toEqual([weak]);
      expect(await getPattern(db, TEST_SCOPE, weak as number)).toMatchObject({ archived: true, archivedAt: T0, failures: 8 });
      expect((await getPattern(db, TEST_SCOPE, young as number))?.archived).toBe(false);
      expect(await searchIds('weak')).toEqual([]);
      expect(await searchIds('strong')).toEqual([strong]);
      expect(await archiveWeakPatterns(db, { minTrials: 5, floor: 0.2, now: T0 + 1 })).toEqual([]);
    });

    it("does not archive a pattern whose record merely faded with age", async () => {
      const [old] = await upsertPatterns(db, TEST_ORIGIN, [candidate("o", "old")], T0);
      for (let i = 0; i < 6; i++) await recordPatternOutcome(db, TEST_SCOPE, [old as number], false, T0);
      expect(await archiveWeakPatterns(db, { minTrials: 5, floor: 0.2, now: T0 + 720 * DAY })).toEqual([]);
      expect(await archiveWeakPatterns(db, { minTrials: 5, floor: 0.2, now: T0 + DAY })).toEqual([old]);
    });

    it("checks its options", async () => {
      await expect(archiveWeakPatterns(db, { minTrials: 0, floor: 0.2, now: T0 })).rejects.toThrow(/minTrials must be a positive integer/);
      await expect(archiveWeakPatterns(db, { minTrials: 3, floor: 2, now: T0 })).rejects.toThrow(/floor must be between 0 and 1/);
    });
  });

  describe("word counts for search", async () => {
    async function docs(term: string, installationId = TEST_SCOPE.installationId): Promise<number | undefined> {
      const row = await db.selectFrom("pattern_terms").select("docs").where("installation_id", "=", installationId).where("term", "=", term).executeTakeFirst();
      return row?.docs;
    }

    it("counts live patterns per search word, and all live patterns under the empty word", async () => {
      const [a, b] = await upsertPatterns(db, TEST_ORIGIN, [candidate("a", "http requests"), candidate("b", "http boto3")], T0);
      await upsertPatterns(db, TEST_ORIGIN, [candidate("a", "http retry")], T0 + 1);
      expect({ all: await docs(""), http: await docs("http"), requests: await docs("requests"), boto3: await docs("boto3"), retry: await docs("retry") }).toEqual({
        all: 2,
        http: 2,
        requests: 1,
        boto3: 1,
        retry: 1,
      });
      for (let i = 0; i < 6; i++) await recordPatternOutcome(db, TEST_SCOPE, [b as number], false, T0);
      expect(await archiveWeakPatterns(db, { minTrials: 5, floor: 0.2, now: T0 })).toEqual([b]);
      expect({ all: await docs(""), http: await docs("http"), boto3: await docs("boto3"), requests: await docs("requests") }).toEqual({
        all: 1,
        http: 1,
        boto3: 0,
        requests: 1,
      });
      expect(a).toBeDefined();
    });

    it("counts each installation's words apart", async () => {
      await upsertPatterns(db, TEST_ORIGIN, [candidate("a", "http requests")], T0);
      await upsertPatterns(db, { installationId: 8, repository: "globex/etl" }, [candidate("a", "http boto3"), candidate("b", "http")], T0);
      expect({ all: await docs(""), http: await docs("http"), boto3: await docs("boto3") }).toEqual({ all: 1, http: 1, boto3: undefined });
      expect({ all: await docs("", 8), http: await docs("http", 8), boto3: await docs("boto3", 8) }).toEqual({ all: 2, http: 2, boto3: 1 });
    });
  });
});
