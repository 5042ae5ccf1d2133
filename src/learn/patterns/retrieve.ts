/**
 * Retrieval: the patterns worth showing the model for a spec, ranked by text relevance × confidence.
 *
 * 1. Candidates: FTS5 match of the spec text among live patterns of the component type (and category,
 *    falling back to all categories when it has too few), best `bm25()` first, at most `candidateLimit`.
 *    Bounding the candidate set in SQL keeps retrieval fast at 100,000 patterns; the reranking below
 *    is TypeScript over those few hundred rows.
 * 2. Score: relevance (bm25 relative to the best match, in (0, 1]) × the posterior lower bound.
 * 3. Selection, per kind: the candidates that could plausibly be as good as the best one — their
 *    relevance × posterior upper bound reaches the best score, and their relevance is at least half the
 *    best's — form the band of near-equals. Among them one Thompson draw each (relevance × a sample of
 *    the Beta posterior) picks the winner. A new pattern has a wide posterior, so it sometimes wins and
 *    gets tried; a pattern with a clearly poor record has a low upper bound and rarely enters the band.
 */
import type { Database } from "better-sqlite3";
import type { ConfidenceOptions, Confidence } from "./confidence.js";
import { confidenceOf, resolveConfidence, sampleBeta } from "./confidence.js";
import type { PatternRow } from "./store.js";
import { parseLibraries } from "./store.js";
import { ftsQuery, MAX_QUERY_TERMS, words } from "./text.js";
import type { PatternComponentType, PatternKind, RankedPattern } from "./types.js";

export interface RetrieveOptions extends ConfidenceOptions {
  componentType: PatternComponentType;
  category?: string;
  /** Free text (the spec's name, description, dependencies): never passed to FTS5 as syntax. */
  queryText: string;
  limit?: number;
  /** Uniform [0, 1) source for Thompson sampling; seed it for reproducible choices. */
  random: () => number;
  now: number;
  /** Patterns allowed per kind (default 1). */
  perKind?: number;
  /** Only these kinds. */
  kinds?: readonly PatternKind[];
  /** FTS matches considered for reranking (default 200). */
  candidateLimit?: number;
  /** Fewer category matches than this (default `limit`) widens the search to every category. */
  minCategoryMatches?: number;
  /** Score factor for patterns from another category than the one asked for (default 0.8). */
  otherCategoryFactor?: number;
}

type CandidateRow = Pick<
  PatternRow,
  "id" | "kind" | "code" | "description" | "category" | "libraries" | "text" | "successes" | "failures" | "success_weight" | "failure_weight" | "weight_at"
> & { bm25: number };

interface Candidate {
  row: CandidateRow;
  relevance: number;
  confidence: Confidence;
  categoryFactor: number;
  score: number;
}

const COLUMNS = `p.id, p.kind, p.code, p.description, p.category, p.libraries, p.text, p.successes, p.failures,
  p.success_weight, p.failure_weight, p.weight_at`;

/** Column weights for bm25(): description and text carry the meaning, category and libraries confirm it. */
const BM25_WEIGHTS = "bm25(patterns_fts, 1.0, 1.0, 0.5, 2.0)";

function fetchCandidates(
  db: Database,
  query: string | undefined,
  componentType: string,
  category: string | undefined,
  limit: number,
): CandidateRow[] {
  const categoryClause = category === undefined ? "" : "AND p.category = @category";
  if (query === undefined) {
    return db
      .prepare<Record<string, unknown>, CandidateRow>(
        `SELECT ${COLUMNS}, 0.0 AS bm25 FROM patterns p
          WHERE p.component_type = @componentType AND p.archived = 0 ${categoryClause}
          ORDER BY p.successes - p.failures DESC, p.id LIMIT @limit`,
      )
      .all({ componentType, category, limit });
  }
  return db
    .prepare<Record<string, unknown>, CandidateRow>(
      `SELECT ${COLUMNS}, ${BM25_WEIGHTS} AS bm25
         FROM patterns_fts JOIN patterns p ON p.id = patterns_fts.rowid
        WHERE patterns_fts MATCH @query AND p.component_type = @componentType AND p.archived = 0 ${categoryClause}
        ORDER BY bm25 LIMIT @limit`,
    )
    .all({ query, componentType, category, limit });
}

function checkOptions(options: RetrieveOptions): void {
  if (!["operator", "sensor", "hook"].includes(options.componentType)) {
    throw new Error(`componentType must be operator, sensor or hook, got ${JSON.stringify(options.componentType)}`);
  }
  if (typeof options.queryText !== "string") throw new Error("queryText must be a string");
  if (typeof options.random !== "function") throw new Error("random must be a function returning numbers in [0, 1)");
  if (!Number.isFinite(options.now)) throw new Error(`now must be epoch milliseconds, got ${String(options.now)}`);
  const limit = options.limit ?? 10;
  if (!(Number.isInteger(limit) && limit >= 1)) throw new Error(`limit must be a positive integer, got ${limit}`);
  const perKind = options.perKind ?? 1;
  if (!(Number.isInteger(perKind) && perKind >= 1)) throw new Error(`perKind must be a positive integer, got ${perKind}`);
}

export function retrievePatterns(db: Database, options: RetrieveOptions): RankedPattern[] {
  checkOptions(options);
  const limit = options.limit ?? 10;
  const perKind = options.perKind ?? 1;
  const candidateLimit = options.candidateLimit ?? 200;
  const confidence = resolveConfidence(options);
  const fts = ftsQuery(options.queryText, MAX_QUERY_TERMS);
  const category = options.category?.trim() || undefined;

  let rows = fetchCandidates(db, fts?.query, options.componentType, category, candidateLimit);
  if (category !== undefined && rows.length < (options.minCategoryMatches ?? limit)) {
    const seen = new Set(rows.map((r) => r.id));
    rows = rows.concat(fetchCandidates(db, fts?.query, options.componentType, undefined, candidateLimit).filter((r) => !seen.has(r.id)));
  }
  const kinds = options.kinds ? new Set(options.kinds) : undefined;
  if (kinds) rows = rows.filter((r) => kinds.has(r.kind as PatternKind));
  if (rows.length === 0) return [];

  const bestBm25 = Math.min(...rows.map((r) => r.bm25));
  const otherCategoryFactor = options.otherCategoryFactor ?? 0.8;
  const candidates: Candidate[] = rows.map((row) => {
    // bm25() is negative, more negative is better; relative to the best it becomes a relevance in (0, 1].
    const relevance = bestBm25 < 0 ? row.bm25 / bestBm25 : 1;
    const conf = confidenceOf({ successWeight: row.success_weight, failureWeight: row.failure_weight, at: row.weight_at }, options.now, confidence);
    const categoryFactor = category === undefined || row.category === category ? 1 : otherCategoryFactor;
    return { row, relevance, confidence: conf, categoryFactor, score: relevance * categoryFactor * conf.lowerBound };
  });

  const byKind = new Map<string, Candidate[]>();
  for (const c of candidates) {
    const list = byKind.get(c.row.kind) ?? [];
    list.push(c);
    byKind.set(c.row.kind, list);
  }
  const chosen: { candidate: Candidate; explored: boolean }[] = [];
  // Kinds in a fixed order so the same random source always makes the same choices.
  for (const kind of [...byKind.keys()].sort()) {
    const pool = (byKind.get(kind) ?? []).sort((a, b) => b.score - a.score || a.row.id - b.row.id);
    for (let pick = 0; pick < perKind && pool.length > 0; pick++) {
      const { winner, explored } = thompsonPick(pool, options.random);
      chosen.push({ candidate: winner, explored });
      pool.splice(pool.indexOf(winner), 1);
    }
  }
  chosen.sort((a, b) => b.candidate.score - a.candidate.score || a.candidate.row.id - b.candidate.row.id);
  const terms = fts?.terms ?? [];
  return chosen.slice(0, limit).map(({ candidate, explored }) => toRanked(candidate, terms, explored, category));
}

/** Largest band of near-equals one Thompson round compares; bounds the random draws per kind. */
const MAX_BAND = 12;

function thompsonPick(pool: readonly Candidate[], random: () => number): { winner: Candidate; explored: boolean } {
  const best = pool[0] as Candidate;
  const band = pool
    .filter(
      (c) =>
        c === best ||
        (c.relevance >= 0.5 * best.relevance && c.relevance * c.categoryFactor * c.confidence.upperBound >= best.score),
    )
    .slice(0, MAX_BAND);
  if (band.length === 1) return { winner: best, explored: false };
  let winner = best;
  let top = -Infinity;
  for (const c of band) {
    const draw = c.relevance * c.categoryFactor * sampleBeta(c.confidence.posterior, random);
    if (draw > top) {
      top = draw;
      winner = c;
    }
  }
  return { winner, explored: winner !== best };
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function toRanked(c: Candidate, terms: readonly string[], explored: boolean, category: string | undefined): RankedPattern {
  const { row } = c;
  const libraries = parseLibraries(row.libraries);
  const own = new Set(words([row.text, row.description, row.category, libraries.join(" ")].join(" ")));
  const matched = terms.filter((t) => own.has(t)).slice(0, 6);
  const parts: string[] = [];
  const trials = row.successes + row.failures;
  if (trials === 0) parts.push("new pattern, no outcomes yet");
  else {
    const merged = `used in ${row.successes} successful component${row.successes === 1 ? "" : "s"}`;
    parts.push(`${merged}${row.failures > 0 ? `, ${row.failures} failure${row.failures === 1 ? "" : "s"}` : ""}, ${percent(row.successes / trials)} success`);
  }
  if (explored) parts.push("picked over a better-established pattern to try it");
  if (matched.length > 0) parts.push(`matches ${matched.map((t) => `'${t}'`).join(", ")}`);
  if (category !== undefined && row.category !== category) parts.push(`from category '${row.category}'`);
  return {
    id: row.id,
    kind: row.kind as PatternKind,
    code: row.code,
    description: row.description,
    category: row.category,
    libraries,
    lowerBound: c.confidence.lowerBound,
    mean: c.confidence.mean,
    bm25: row.bm25,
    score: c.score,
    reason: parts.join("; "),
  };
}
