import type { Kysely } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Tables } from "../../../src/db/schema.js";
import {
  archiveWeakPatterns,
  extractPatterns,
  ftsQuery,
  recordMergedPatterns,
  recordPatternOutcome,
  retrievePatterns,
  seededRandom,
  upsertPatterns,
} from "../../../src/learn/patterns/index.js";
import { selectTerms } from "../../../src/learn/patterns/retrieve.js";
import type { RankedPattern, RetrieveOptions } from "../../../src/learn/patterns/index.js";
import { candidate, DAY, T0 } from "./helpers.js";
import { FILE_SENSOR, REDIS_HOOK, S3_OPERATOR, WEATHER_OPERATOR } from "./sources.js";
import { TEST_ORIGIN, TEST_SCOPE } from "../../support/learning-scope.js";
import { describeBackends, openBackend } from "../../support/backends.js";
import type { TestBackend } from "../../support/backends.js";

describeBackends("pattern retrieval", (kind) => {
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

  async function observe(id: number, successes: number, failures: number, now = T0): Promise<void> {
    for (let i = 0; i < successes; i++) await recordPatternOutcome(db, TEST_SCOPE, [id], true, now);
    for (let i = 0; i < failures; i++) await recordPatternOutcome(db, TEST_SCOPE, [id], false, now);
  }

  const base = (overrides: Partial<RetrieveOptions> = {}): RetrieveOptions => ({
    componentType: "operator",
    queryText: "",
    random: seededRandom(1),
    now: T0,
    ...overrides,
  });

  describe("retrievePatterns on extracted components", () => {
    beforeEach(async () => {
      await recordMergedPatterns(db, TEST_ORIGIN, await extractPatterns(WEATHER_OPERATOR, { role: "component", componentType: "operator", category: "http" }), T0);
      await recordMergedPatterns(db, TEST_ORIGIN, await extractPatterns(S3_OPERATOR, { role: "component", componentType: "operator", category: "storage" }), T0);
      await recordMergedPatterns(db, TEST_ORIGIN, await extractPatterns(FILE_SENSOR, { role: "component", componentType: "sensor", category: "filesystem" }), T0);
      await recordMergedPatterns(db, TEST_ORIGIN, await extractPatterns(REDIS_HOOK, { role: "component", componentType: "hook", category: "cache" }), T0);
    });

    it("an HTTP-ish spec ranks the HTTP operator's patterns over the S3 ones", async () => {
      const ranked = await retrievePatterns(
        db,
        TEST_SCOPE,
        base({ queryText: "Call a REST API over HTTP with requests and return the JSON response", random: seededRandom(3) }),
      );
      const execute = ranked.find((p) => p.kind === "execute_shape");
      expect(execute?.code).toContain("requests.get");
      expect(execute?.reason).toMatch(/^used in 1 successful component, 100% success; matches .*'requests'/);
      expect(ranked.find((p) => p.kind === "import_block")?.libraries).toContain("requests");
      expect(ranked.find((p) => p.kind === "error_handling")?.code).toContain("RequestException");
      expect(ranked[0]?.bm25).toBeLessThan(0);
      for (let i = 1; i < ranked.length; i++) expect(ranked[i - 1]?.score).toBeGreaterThanOrEqual(ranked[i]?.score as number);
    });

    it("an S3 spec ranks the S3 operator first", async () => {
      const ranked = await retrievePatterns(db, TEST_SCOPE, base({ queryText: "Copy an object between S3 buckets with boto3" }));
      expect(ranked.find((p) => p.kind === "execute_shape")?.code).toContain("boto3.client");
    });

    it("returns at most one pattern per kind unless asked, and only of the component type", async () => {
      const ranked = await retrievePatterns(db, TEST_SCOPE, base({ queryText: "operator execute log connection requests boto3" }));
      const kinds = ranked.map((p) => p.kind);
      expect(new Set(kinds).size).toBe(kinds.length);
      expect(kinds).not.toContain("poke_shape");
      expect(kinds).not.toContain("hook_shape");
      const two = await retrievePatterns(db, TEST_SCOPE, base({ queryText: "operator execute log connection requests boto3", perKind: 2, kinds: ["execute_shape"] }));
      expect(two.map((p) => p.kind)).toEqual(["execute_shape", "execute_shape"]);
      const sensor = await retrievePatterns(db, TEST_SCOPE, base({ componentType: "sensor", queryText: "Wait until a marker file exists at a path" }));
      expect(sensor.map((p) => p.kind)).toContain("poke_shape");
      expect(sensor.every((p) => p.category === "filesystem")).toBe(true);
    });

    it("limits the number of results", async () => {
      expect(await retrievePatterns(db, TEST_SCOPE, base({ queryText: "requests http operator", limit: 2 }))).toHaveLength(2);
    });

    it("filters by category and widens to all categories when it has too few", async () => {
      const onlyHttp = await retrievePatterns(db, TEST_SCOPE, base({ queryText: "requests boto3 operator", category: "http", minCategoryMatches: 1 }));
      expect(onlyHttp.length).toBeGreaterThan(0);
      expect(onlyHttp.every((p) => p.category === "http")).toBe(true);

      const widened = await retrievePatterns(db, TEST_SCOPE, base({ queryText: "boto3 s3 bucket", category: "http", perKind: 3 }));
      const other = widened.find((p) => p.category === "storage");
      expect(other?.reason).toContain("from category 'storage'");
    });

    it("never returns archived patterns", async () => {
      const before = await retrievePatterns(db, TEST_SCOPE, base({ queryText: "boto3 s3", kinds: ["execute_shape"] }));
      const s3 = before.find((p) => p.code.includes("boto3"));
      expect(s3).toBeDefined();
      await observe(s3?.id as number, 0, 12);
      expect(await archiveWeakPatterns(db, { minTrials: 5, floor: 0.2, now: T0 })).toEqual([s3?.id]);
      const after = await retrievePatterns(db, TEST_SCOPE, base({ queryText: "boto3 s3", kinds: ["execute_shape"], perKind: 5 }));
      expect(after.map((p) => p.id)).not.toContain(s3?.id);
    });

    it("ranks by confidence when the query has no searchable words", async () => {
      const ranked = await retrievePatterns(db, TEST_SCOPE, base({ queryText: "  ¿? " }));
      expect(ranked.length).toBeGreaterThan(0);
      expect(ranked.every((p) => p.bm25 === 0)).toBe(true);
    });
  });

  describe("query safety", () => {
    beforeEach(async () => {
      await upsertPatterns(db, TEST_ORIGIN, [candidate("a", "http requests get json")], T0);
    });

    it("quotes every word and drops FTS5 syntax", async () => {
      expect(ftsQuery('http NEAR(x y) description:"foo" AND bar* OR ^baz -qux')).toEqual({
        query: '"http" OR "near" OR "description" OR "foo" OR "bar" OR "baz" OR "qux"',
        terms: ["http", "near", "description", "foo", "bar", "baz", "qux"],
      });
      expect(ftsQuery("!!! ???")).toBeUndefined();
    });

    it("caps the number of terms", async () => {
      const many = Array.from({ length: 100 }, (_, i) => `word${i}x`).join(" ");
      expect(ftsQuery(many)?.terms).toHaveLength(24);
    });

    it("hostile text is searched as words, never as syntax", async () => {
      for (const text of ['"unbalanced', "NEAR(", "text: *", "a) OR (b", "'; DROP TABLE patterns; --", "http*"]) {
        await expect(retrievePatterns(db, TEST_SCOPE, base({ queryText: text }))).resolves.toBeInstanceOf(Array);
      }
      expect(await retrievePatterns(db, TEST_SCOPE, base({ queryText: 'http" OR "x' }))).toHaveLength(1);
    });

    it("names bad options", async () => {
      await expect(retrievePatterns(db, TEST_SCOPE, base({ componentType: "dag" as never }))).rejects.toThrow(/componentType must be/);
      await expect(retrievePatterns(db, TEST_SCOPE, base({ limit: 0 }))).rejects.toThrow(/limit must be a positive integer/);
      await expect(retrievePatterns(db, TEST_SCOPE, base({ now: Number.NaN }))).rejects.toThrow(/now must be epoch milliseconds/);
    });
  });

  describe("Thompson sampling among near-equal patterns", () => {
    const code = (name: string) => `def execute(self, context):\n    return ${name}`;
    const text = "http requests get json response api";

    async function setup(established: [number, number], challenger: [number, number]): Promise<{ est: number; chal: number }> {
      const [est, chal] = await upsertPatterns(db, TEST_ORIGIN, [candidate(code("a"), text), candidate(code("b"), text)], T0);
      await observe(est as number, ...established);
      await observe(chal as number, ...challenger);
      return { est: est as number, chal: chal as number };
    }

    async function winsOf(id: number, runs: number, seed0 = 1): Promise<number> {
      let wins = 0;
      for (let seed = seed0; seed < seed0 + runs; seed++) {
        const [top] = await retrievePatterns(db, TEST_SCOPE, base({ queryText: "http api requests", random: seededRandom(seed) }));
        if (top?.id === id) wins++;
      }
      return wins;
    }

    it("is deterministic for a seeded random source", async () => {
      await setup([8, 1], [1, 0]);
      const picks = async (seed: number) => {
        const ids: (number | undefined)[] = [];
        for (let i = 0; i < 20; i++) ids.push((await retrievePatterns(db, TEST_SCOPE, base({ queryText: "http", random: seededRandom(seed * 100 + i) })))[0]?.id);
        return ids;
      };
      expect(await picks(5)).toEqual(await picks(5));
    });

    it("a new pattern with few observations sometimes wins over an established near-equal one", async () => {
      const { est, chal } = await setup([8, 1], [1, 0]);
      const ranked = await retrievePatterns(db, TEST_SCOPE, base({ queryText: "http api requests", perKind: 2 }));
      // By lower bound the established pattern ranks first…
      expect(ranked.map((p) => p.id)).toContain(est);
      const lb = new Map(ranked.map((p) => [p.id, p.lowerBound]));
      expect(lb.get(est)).toBeGreaterThan(lb.get(chal) as number);
      // …but sampling gives the newcomer real chances.
      const wins = await winsOf(chal, 400);
      expect(wins).toBeGreaterThan(20);
      expect(wins).toBeLessThan(380);
      let explored: RankedPattern | undefined;
      for (let seed = 0; seed < 50 && explored === undefined; seed++) {
        const [top] = await retrievePatterns(db, TEST_SCOPE, base({ queryText: "http", random: seededRandom(seed) }));
        if (top?.id === chal) explored = top;
      }
      expect(explored?.reason).toContain("picked over a better-established pattern to try it");
    });

    it("a clearly weak pattern practically never wins", async () => {
      const { chal } = await setup([8, 1], [1, 15]);
      expect(await winsOf(chal, 400)).toBeLessThanOrEqual(2);
    });

    it("old successes fade: a recent record outranks a larger one from two years ago", async () => {
      const [old, recent] = await upsertPatterns(db, TEST_ORIGIN, [candidate(code("a"), text), candidate(code("b"), text)], T0);
      await observe(old as number, 10, 0, T0);
      await observe(recent as number, 3, 0, T0 + 729 * DAY);
      const now = T0 + 730 * DAY;
      const ranked = await retrievePatterns(db, TEST_SCOPE, base({ queryText: "http", now, perKind: 2 }));
      expect(ranked.map((p) => p.id)).toEqual([recent, old]);
      const atT0 = await retrievePatterns(db, TEST_SCOPE, base({ queryText: "http", now: T0 + 729 * DAY, perKind: 2, halfLifeDays: 10_000 }));
      expect(atT0.map((p) => p.id)).toEqual([old, recent]);
    });

    it("a pattern with a recent failure streak loses its lead", async () => {
      const { est, chal } = await setup([3, 0], [3, 0]);
      await observe(est, 0, 6, T0 + DAY);
      expect(await winsOf(chal, 200)).toBeGreaterThan(190);
    });
  });

  describe("word selection in large stores", () => {
    const docs = new Map([
      ["airflow", 900],
      ["operator", 800],
      ["http", 60],
      ["requests", 40],
      ["json", 120],
      ["pagination", 5],
    ]);
    const terms = ["airflow", "http", "operator", "requests", "json", "pagination", "unseen"];

    it("searches every word while the store is small", async () => {
      expect(selectTerms(terms, docs, 1_000, { pruneFrom: 2_000, maxDocShare: 0.1, maxTerms: 6 })).toEqual(terms);
    });

    it("leaves out words too common to rank by and keeps the rarest first", async () => {
      expect(selectTerms(terms, docs, 1_000, { pruneFrom: 500, maxDocShare: 0.1, maxTerms: 6 })).toEqual(["pagination", "requests", "http"]);
      expect(selectTerms(terms, docs, 1_000, { pruneFrom: 500, maxDocShare: 0.2, maxTerms: 2 })).toEqual(["pagination", "requests"]);
    });

    it("keeps the three rarest when every word is common", async () => {
      expect(selectTerms(["airflow", "operator", "json", "http"], docs, 1_000, { pruneFrom: 500, maxDocShare: 0.01, maxTerms: 6 })).toEqual([
        "http",
        "json",
        "operator",
      ]);
    });

    it("ranks the HTTP operator first with pruning on", async () => {
      await recordMergedPatterns(db, TEST_ORIGIN, await extractPatterns(WEATHER_OPERATOR, { role: "component", componentType: "operator", category: "http" }), T0);
      await recordMergedPatterns(db, TEST_ORIGIN, await extractPatterns(S3_OPERATOR, { role: "component", componentType: "operator", category: "storage" }), T0);
      const ranked = await retrievePatterns(
        db,
        TEST_SCOPE,
        base({ queryText: "Call a REST API over HTTP with requests and return the JSON response", pruneFrom: 1, maxDocShare: 0.5 }),
      );
      expect(ranked.find((p) => p.kind === "execute_shape")?.code).toContain("requests.get");
    });
  });
});
