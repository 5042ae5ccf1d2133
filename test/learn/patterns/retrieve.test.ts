import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "better-sqlite3";
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
import type { RetrieveOptions } from "../../../src/learn/patterns/index.js";
import { candidate, DAY, memoryDb, T0 } from "./helpers.js";
import { FILE_SENSOR, REDIS_HOOK, S3_OPERATOR, WEATHER_OPERATOR } from "./sources.js";
import { TEST_ORIGIN, TEST_SCOPE } from "../../support/learning-scope.js";

let db: Database;
beforeEach(() => {
  db = memoryDb();
});
afterEach(() => {
  db.close();
});

function observe(id: number, successes: number, failures: number, now = T0): void {
  for (let i = 0; i < successes; i++) recordPatternOutcome(db, TEST_SCOPE, [id], true, now);
  for (let i = 0; i < failures; i++) recordPatternOutcome(db, TEST_SCOPE, [id], false, now);
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
    recordMergedPatterns(db, TEST_ORIGIN, await extractPatterns(WEATHER_OPERATOR, { role: "component", componentType: "operator", category: "http" }), T0);
    recordMergedPatterns(db, TEST_ORIGIN, await extractPatterns(S3_OPERATOR, { role: "component", componentType: "operator", category: "storage" }), T0);
    recordMergedPatterns(db, TEST_ORIGIN, await extractPatterns(FILE_SENSOR, { role: "component", componentType: "sensor", category: "filesystem" }), T0);
    recordMergedPatterns(db, TEST_ORIGIN, await extractPatterns(REDIS_HOOK, { role: "component", componentType: "hook", category: "cache" }), T0);
  });

  it("an HTTP-ish spec ranks the HTTP operator's patterns over the S3 ones", () => {
    const ranked = retrievePatterns(
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

  it("an S3 spec ranks the S3 operator first", () => {
    const ranked = retrievePatterns(db, TEST_SCOPE, base({ queryText: "Copy an object between S3 buckets with boto3" }));
    expect(ranked.find((p) => p.kind === "execute_shape")?.code).toContain("boto3.client");
  });

  it("returns at most one pattern per kind unless asked, and only of the component type", () => {
    const ranked = retrievePatterns(db, TEST_SCOPE, base({ queryText: "operator execute log connection requests boto3" }));
    const kinds = ranked.map((p) => p.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kinds).not.toContain("poke_shape");
    expect(kinds).not.toContain("hook_shape");
    const two = retrievePatterns(db, TEST_SCOPE, base({ queryText: "operator execute log connection requests boto3", perKind: 2, kinds: ["execute_shape"] }));
    expect(two.map((p) => p.kind)).toEqual(["execute_shape", "execute_shape"]);
    const sensor = retrievePatterns(db, TEST_SCOPE, base({ componentType: "sensor", queryText: "Wait until a marker file exists at a path" }));
    expect(sensor.map((p) => p.kind)).toContain("poke_shape");
    expect(sensor.every((p) => p.category === "filesystem")).toBe(true);
  });

  it("limits the number of results", () => {
    expect(retrievePatterns(db, TEST_SCOPE, base({ queryText: "requests http operator", limit: 2 }))).toHaveLength(2);
  });

  it("filters by category and widens to all categories when it has too few", () => {
    const onlyHttp = retrievePatterns(db, TEST_SCOPE, base({ queryText: "requests boto3 operator", category: "http", minCategoryMatches: 1 }));
    expect(onlyHttp.length).toBeGreaterThan(0);
    expect(onlyHttp.every((p) => p.category === "http")).toBe(true);

    const widened = retrievePatterns(db, TEST_SCOPE, base({ queryText: "boto3 s3 bucket", category: "http", perKind: 3 }));
    const other = widened.find((p) => p.category === "storage");
    expect(other?.reason).toContain("from category 'storage'");
  });

  it("never returns archived patterns", () => {
    const before = retrievePatterns(db, TEST_SCOPE, base({ queryText: "boto3 s3", kinds: ["execute_shape"] }));
    const s3 = before.find((p) => p.code.includes("boto3"));
    expect(s3).toBeDefined();
    observe(s3?.id as number, 0, 12);
    expect(archiveWeakPatterns(db, { minTrials: 5, floor: 0.2, now: T0 })).toEqual([s3?.id]);
    const after = retrievePatterns(db, TEST_SCOPE, base({ queryText: "boto3 s3", kinds: ["execute_shape"], perKind: 5 }));
    expect(after.map((p) => p.id)).not.toContain(s3?.id);
  });

  it("ranks by confidence when the query has no searchable words", () => {
    const ranked = retrievePatterns(db, TEST_SCOPE, base({ queryText: "  ¿? " }));
    expect(ranked.length).toBeGreaterThan(0);
    expect(ranked.every((p) => p.bm25 === 0)).toBe(true);
  });
});

describe("query safety", () => {
  beforeEach(() => {
    upsertPatterns(db, TEST_ORIGIN, [candidate("a", "http requests get json")], T0);
  });

  it("quotes every word and drops FTS5 syntax", () => {
    expect(ftsQuery('http NEAR(x y) description:"foo" AND bar* OR ^baz -qux')).toEqual({
      query: '"http" OR "near" OR "description" OR "foo" OR "bar" OR "baz" OR "qux"',
      terms: ["http", "near", "description", "foo", "bar", "baz", "qux"],
    });
    expect(ftsQuery("!!! ???")).toBeUndefined();
  });

  it("caps the number of terms", () => {
    const many = Array.from({ length: 100 }, (_, i) => `word${i}x`).join(" ");
    expect(ftsQuery(many)?.terms).toHaveLength(24);
  });

  it("hostile text is searched as words, never as syntax", () => {
    for (const text of ['"unbalanced', "NEAR(", "text: *", "a) OR (b", "'; DROP TABLE patterns; --", "http*"]) {
      expect(() => retrievePatterns(db, TEST_SCOPE, base({ queryText: text }))).not.toThrow();
    }
    expect(retrievePatterns(db, TEST_SCOPE, base({ queryText: 'http" OR "x' }))).toHaveLength(1);
  });

  it("names bad options", () => {
    expect(() => retrievePatterns(db, TEST_SCOPE, base({ componentType: "dag" as never }))).toThrow(/componentType must be/);
    expect(() => retrievePatterns(db, TEST_SCOPE, base({ limit: 0 }))).toThrow(/limit must be a positive integer/);
    expect(() => retrievePatterns(db, TEST_SCOPE, base({ now: Number.NaN }))).toThrow(/now must be epoch milliseconds/);
  });
});

describe("Thompson sampling among near-equal patterns", () => {
  const code = (name: string) => `def execute(self, context):\n    return ${name}`;
  const text = "http requests get json response api";

  function setup(established: [number, number], challenger: [number, number]): { est: number; chal: number } {
    const [est, chal] = upsertPatterns(db, TEST_ORIGIN, [candidate(code("a"), text), candidate(code("b"), text)], T0);
    observe(est as number, ...established);
    observe(chal as number, ...challenger);
    return { est: est as number, chal: chal as number };
  }

  function winsOf(id: number, runs: number, seed0 = 1): number {
    let wins = 0;
    for (let seed = seed0; seed < seed0 + runs; seed++) {
      const [top] = retrievePatterns(db, TEST_SCOPE, base({ queryText: "http api requests", random: seededRandom(seed) }));
      if (top?.id === id) wins++;
    }
    return wins;
  }

  it("is deterministic for a seeded random source", () => {
    setup([8, 1], [1, 0]);
    const picks = (seed: number) =>
      Array.from({ length: 20 }, (_, i) => retrievePatterns(db, TEST_SCOPE, base({ queryText: "http", random: seededRandom(seed * 100 + i) }))[0]?.id);
    expect(picks(5)).toEqual(picks(5));
  });

  it("a new pattern with few observations sometimes wins over an established near-equal one", () => {
    const { est, chal } = setup([8, 1], [1, 0]);
    const ranked = retrievePatterns(db, TEST_SCOPE, base({ queryText: "http api requests", perKind: 2 }));
    // By lower bound the established pattern ranks first…
    expect(ranked.map((p) => p.id)).toContain(est);
    const lb = new Map(ranked.map((p) => [p.id, p.lowerBound]));
    expect(lb.get(est)).toBeGreaterThan(lb.get(chal) as number);
    // …but sampling gives the newcomer real chances.
    const wins = winsOf(chal, 400);
    expect(wins).toBeGreaterThan(20);
    expect(wins).toBeLessThan(380);
    const explored = Array.from({ length: 50 }, (_, s) => retrievePatterns(db, TEST_SCOPE, base({ queryText: "http", random: seededRandom(s) }))[0]).find(
      (p) => p?.id === chal,
    );
    expect(explored?.reason).toContain("picked over a better-established pattern to try it");
  });

  it("a clearly weak pattern practically never wins", () => {
    const { chal } = setup([8, 1], [1, 15]);
    expect(winsOf(chal, 400)).toBeLessThanOrEqual(2);
  });

  it("old successes fade: a recent record outranks a larger one from two years ago", () => {
    const [old, recent] = upsertPatterns(db, TEST_ORIGIN, [candidate(code("a"), text), candidate(code("b"), text)], T0);
    observe(old as number, 10, 0, T0);
    observe(recent as number, 3, 0, T0 + 729 * DAY);
    const now = T0 + 730 * DAY;
    const ranked = retrievePatterns(db, TEST_SCOPE, base({ queryText: "http", now, perKind: 2 }));
    expect(ranked.map((p) => p.id)).toEqual([recent, old]);
    const atT0 = retrievePatterns(db, TEST_SCOPE, base({ queryText: "http", now: T0 + 729 * DAY, perKind: 2, halfLifeDays: 10_000 }));
    expect(atT0.map((p) => p.id)).toEqual([old, recent]);
  });

  it("a pattern with a recent failure streak loses its lead", () => {
    const { est, chal } = setup([3, 0], [3, 0]);
    observe(est, 0, 6, T0 + DAY);
    expect(winsOf(chal, 200)).toBeGreaterThan(190);
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

  it("searches every word while the store is small", () => {
    expect(selectTerms(terms, docs, 1_000, { pruneFrom: 2_000, maxDocShare: 0.1, maxTerms: 6 })).toEqual(terms);
  });

  it("leaves out words too common to rank by and keeps the rarest first", () => {
    expect(selectTerms(terms, docs, 1_000, { pruneFrom: 500, maxDocShare: 0.1, maxTerms: 6 })).toEqual(["pagination", "requests", "http"]);
    expect(selectTerms(terms, docs, 1_000, { pruneFrom: 500, maxDocShare: 0.2, maxTerms: 2 })).toEqual(["pagination", "requests"]);
  });

  it("keeps the three rarest when every word is common", () => {
    expect(selectTerms(["airflow", "operator", "json", "http"], docs, 1_000, { pruneFrom: 500, maxDocShare: 0.01, maxTerms: 6 })).toEqual([
      "http",
      "json",
      "operator",
    ]);
  });

  it("ranks the HTTP operator first with pruning on", async () => {
    recordMergedPatterns(db, TEST_ORIGIN, await extractPatterns(WEATHER_OPERATOR, { role: "component", componentType: "operator", category: "http" }), T0);
    recordMergedPatterns(db, TEST_ORIGIN, await extractPatterns(S3_OPERATOR, { role: "component", componentType: "operator", category: "storage" }), T0);
    const ranked = retrievePatterns(
      db,
      TEST_SCOPE,
      base({ queryText: "Call a REST API over HTTP with requests and return the JSON response", pruneFrom: 1, maxDocShare: 0.5 }),
    );
    expect(ranked.find((p) => p.kind === "execute_shape")?.code).toContain("requests.get");
  });
});
