/**
 * Retrieval: the patterns worth showing the model for a spec, ranked by text relevance × confidence.
 *
 * 1. Candidates: FTS5 match of the spec text among live patterns of the component type (and category,
 *    falling back to all categories when it has too few), best `bm25()` first, at most `candidateLimit`.
 *    In a large store only the rarer query words are searched (see `selectTerms`), and type, category
 *    and kind are tokens required by the match itself, so FTS5 scores few rows.
 *    Bounding the candidate set in SQL keeps retrieval fast at 100,000 patterns; the reranking below
 *    is TypeScript over those rows alone.
 * 2. Score: relevance (bm25 relative to the best match, in (0, 1]) × the posterior lower bound.
 * 3. Selection, per kind: the candidates that could plausibly be as good as the best one — their
 *    relevance × posterior upper bound reaches the best score, and their relevance is at least half the
 *    best's — form the band of near-equals. Among them one Thompson draw each (relevance × a sample of
 *    the Beta posterior) picks the winner. A new pattern has a wide posterior, so it sometimes wins and
 *    gets tried; a pattern with a clearly poor record has a low upper bound and rarely enters the band.
 */
import type { Database, Statement } from "better-sqlite3";
import type { BetaPosterior, ConfidenceOptions } from "./confidence.js";
import { betaMean, betaQuantile, posterior, resolveConfidence, sampleBeta } from "./confidence.js";
import type { PatternRow } from "./store.js";
import { parseLibraries } from "./store.js";
import type { LearningScope } from "../scope.js";
import { checkScope, scopeWhere } from "../scope.js";
import { installationToken, kindToken, repositoryToken, typeCategoryToken, typeToken } from "./scope.js";
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
  /** FTS matches considered for reranking (default 100). */
  candidateLimit?: number;
  /** Fewer category matches than this (default `limit`) widens the search to every category. */
  minCategoryMatches?: number;
  /** Score factor for patterns from another category than the one asked for (default 0.8). */
  otherCategoryFactor?: number;
  /** Stores with fewer live patterns than this (default 2,000) search every query word. */
  pruneFrom?: number;
  /** In larger stores, words in more than this share of patterns (default 0.1) are not searched. */
  maxDocShare?: number;
  /** In larger stores, at most this many of the rarest words are searched (default 6). */
  maxTerms?: number;
}

/** What ranking needs of a candidate; the text of the few chosen ones is read afterwards. */
type CandidateRow = Pick<
  PatternRow,
  "id" | "kind" | "category" | "successes" | "failures" | "success_weight" | "failure_weight" | "weight_at"
> & { bm25: number };

type ContentRow = Pick<PatternRow, "id" | "code" | "description" | "libraries" | "text">;

interface Candidate {
  row: CandidateRow;
  relevance: number;
  posterior: BetaPosterior;
  lowerBound: number;
  categoryFactor: number;
  score: number;
}

const COLUMNS = `p.id, p.kind, p.category, p.successes, p.failures, p.success_weight, p.failure_weight, p.weight_at`;

/** Column weights for bm25(): description and text carry the meaning, libraries confirm it, scope is a filter. */
const BM25_WEIGHTS = "bm25(patterns_fts, 1.0, 1.0, 0.5, 2.0, 0.0)";

interface Filter {
  owner: LearningScope;
  componentType: PatternComponentType;
  category: string | undefined;
  kinds: readonly PatternKind[] | undefined;
}

function scopeExpression(filter: Filter): string {
  const parts = [
    filter.category === undefined
      ? `scope : "${typeToken(filter.componentType)}"`
      : `scope : "${typeCategoryToken(filter.componentType, filter.category)}"`,
  ];
  if (filter.kinds && filter.kinds.length > 0) parts.push(`scope : (${filter.kinds.map((k) => `"${kindToken(k)}"`).join(" OR ")})`);
  // The owner is part of the match itself: FTS5 never scores another installation's (or repository's) rows.
  parts.push(`scope : "${installationToken(filter.owner.installationId)}"`);
  if (filter.owner.repository !== null) parts.push(`scope : "${repositoryToken(filter.owner.repository)}"`);
  return parts.join(" AND ");
}

/** Prepared statements per connection: preparing costs about as much as a small query. */
const statements = new WeakMap<Database, Map<string, Statement<unknown[], unknown>>>();

function prepared<Row = CandidateRow>(db: Database, sql: string): Statement<unknown[], Row> {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare<unknown[], unknown>(sql);
    cache.set(sql, statement);
  }
  return statement as Statement<unknown[], Row>;
}

function fetchByConfidence(db: Database, filter: Filter, limit: number): CandidateRow[] {
  const kinds = filter.kinds && filter.kinds.length > 0 ? filter.kinds : undefined;
  const owner = scopeWhere(filter.owner, "p");
  const sql = `SELECT ${COLUMNS}, 0.0 AS bm25 FROM patterns p
     WHERE ${owner.sql} AND p.component_type = ? AND p.archived = 0 ${filter.category === undefined ? "" : "AND p.category = ?"}
           ${kinds ? `AND p.kind IN (${kinds.map(() => "?").join(", ")})` : ""}
     ORDER BY p.successes - p.failures DESC, p.id LIMIT ?`;
  return prepared(db, sql).all(
    ...owner.params,
    filter.componentType,
    ...(filter.category === undefined ? [] : [filter.category]),
    ...(kinds ?? []),
    limit,
  );
}

/**
 * The best `limit` FTS matches. Component type, category and kinds are required tokens of the match
 * itself, so FTS5 only scores rows that can be returned; the join reads just the rows kept.
 */
function fetchByText(db: Database, terms: readonly string[], filter: Filter, limit: number): CandidateRow[] {
  const match = `${scopeExpression(filter)} AND (${terms.map((t) => `"${t}"`).join(" OR ")})`;
  const sql = `SELECT ${COLUMNS}, m.score AS bm25
      FROM (SELECT rowid, ${BM25_WEIGHTS} AS score FROM patterns_fts WHERE patterns_fts MATCH ? ORDER BY score LIMIT ?) m
      JOIN patterns p ON p.id = m.rowid
     ORDER BY m.score, p.id`;
  return prepared(db, sql).all(match, limit);
}

/**
 * Which query words to search for. In a large store a word found in more than `maxDocShare` of all
 * patterns ranks almost nothing (its bm25 weight is near zero) but makes FTS5 score most of the table,
 * so it is left out, and at most `maxTerms` of the rarest words are kept. Small stores search every word.
 */
export function selectTerms(
  terms: readonly string[],
  docs: ReadonlyMap<string, number>,
  total: number,
  options: { pruneFrom: number; maxDocShare: number; maxTerms: number },
): string[] {
  if (total < options.pruneFrom) return [...terms];
  const known = terms.filter((t) => (docs.get(t) ?? 0) > 0).sort((a, b) => (docs.get(a) ?? 0) - (docs.get(b) ?? 0) || a.localeCompare(b));
  const selective = known.filter((t) => (docs.get(t) ?? 0) <= options.maxDocShare * total);
  return (selective.length > 0 ? selective : known.slice(0, 3)).slice(0, options.maxTerms);
}

/** Word frequencies over the installation's live patterns: another installation's store never shapes the search. */
function termDocs(db: Database, installationId: number, terms: readonly string[]): { total: number; docs: Map<string, number> } {
  const sql = `SELECT term, docs FROM pattern_terms WHERE installation_id = ? AND term IN (${["", ...terms].map(() => "?").join(", ")})`;
  const rows = prepared<{ term: string; docs: number }>(db, sql).all(installationId, "", ...terms);
  const docs = new Map(rows.map((r) => [r.term, r.docs]));
  return { total: docs.get("") ?? 0, docs };
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

/** The patterns of `scope` (one installation, or one repository of it) worth showing the model. */
export function retrievePatterns(db: Database, scope: LearningScope, options: RetrieveOptions): RankedPattern[] {
  checkScope(scope, "retrievePatterns");
  checkOptions(options);
  const limit = options.limit ?? 10;
  const perKind = options.perKind ?? 1;
  const candidateLimit = options.candidateLimit ?? 100;
  const confidence = resolveConfidence(options);
  const fts = ftsQuery(options.queryText, MAX_QUERY_TERMS);
  const category = options.category?.trim() || undefined;

  const kinds = options.kinds && options.kinds.length > 0 ? [...new Set(options.kinds)] : undefined;
  const { total, docs } = termDocs(db, scope.installationId, fts?.terms ?? []);
  const searched = fts
    ? selectTerms(fts.terms, docs, total, {
        pruneFrom: options.pruneFrom ?? 2_000,
        maxDocShare: options.maxDocShare ?? 0.1,
        maxTerms: options.maxTerms ?? 6,
      })
    : [];
  const pruned = total >= (options.pruneFrom ?? 2_000);
  const filter: Filter = { owner: scope, componentType: options.componentType, category, kinds };
  let rows = searched.length > 0 ? fetchByText(db, searched, filter, candidateLimit) : [];
  if (category !== undefined && rows.length < (options.minCategoryMatches ?? limit) && searched.length > 0) {
    // Across all categories a large store matches many more rows: the rarest half of the words suffices to fill up.
    const widened = pruned ? searched.slice(0, Math.max(2, Math.ceil(searched.length / 2))) : searched;
    const seen = new Set(rows.map((r) => r.id));
    rows = rows.concat(fetchByText(db, widened, { ...filter, category: undefined }, candidateLimit).filter((r) => !seen.has(r.id)));
  }
  // Nothing matched the words: the most trusted patterns of the type still beat an empty context.
  if (rows.length === 0) {
    rows = fetchByConfidence(db, filter, candidateLimit);
    if (category !== undefined && rows.length < (options.minCategoryMatches ?? limit)) {
      const seen = new Set(rows.map((r) => r.id));
      rows = rows.concat(fetchByConfidence(db, { ...filter, category: undefined }, candidateLimit).filter((r) => !seen.has(r.id)));
    }
  }
  if (rows.length === 0) return [];

  const bestBm25 = Math.min(...rows.map((r) => r.bm25));
  const otherCategoryFactor = options.otherCategoryFactor ?? 0.8;
  const candidates: Candidate[] = rows.map((row) => {
    // bm25() is negative, more negative is better; relative to the best it becomes a relevance in (0, 1].
    const relevance = bestBm25 < 0 ? row.bm25 / bestBm25 : 1;
    const post = posterior({ successWeight: row.success_weight, failureWeight: row.failure_weight, at: row.weight_at }, options.now, confidence);
    const lowerBound = betaQuantile(confidence.quantile, post.alpha, post.beta);
    const categoryFactor = category === undefined || row.category === category ? 1 : otherCategoryFactor;
    return { row, relevance, posterior: post, lowerBound, categoryFactor, score: relevance * categoryFactor * lowerBound };
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
      const { winner, explored } = thompsonPick(pool, options.random, confidence.quantile);
      chosen.push({ candidate: winner, explored });
      pool.splice(pool.indexOf(winner), 1);
    }
  }
  chosen.sort((a, b) => b.candidate.score - a.candidate.score || a.candidate.row.id - b.candidate.row.id);
  const kept = chosen.slice(0, limit);
  const content = fetchContent(db, kept.map((k) => k.candidate.row.id));
  const terms = fts?.terms ?? [];
  return kept.map(({ candidate, explored }) =>
    toRanked(candidate, content.get(candidate.row.id) as ContentRow, terms, explored, category),
  );
}

function fetchContent(db: Database, ids: readonly number[]): Map<number, ContentRow> {
  if (ids.length === 0) return new Map();
  const sql = `SELECT id, code, description, libraries, text FROM patterns WHERE id IN (${ids.map(() => "?").join(", ")})`;
  return new Map(prepared<ContentRow>(db, sql).all(...ids).map((r) => [r.id, r]));
}

/** Largest band of near-equals one Thompson round compares; bounds the random draws per kind. */
const MAX_BAND = 12;

function thompsonPick(pool: readonly Candidate[], random: () => number, quantile: number): { winner: Candidate; explored: boolean } {
  const best = pool[0] as Candidate;
  const band = pool
    .filter(
      (c) =>
        c === best ||
        (c.relevance >= 0.5 * best.relevance &&
          c.relevance * c.categoryFactor * betaQuantile(1 - quantile, c.posterior.alpha, c.posterior.beta) >= best.score),
    )
    .slice(0, MAX_BAND);
  if (band.length === 1) return { winner: best, explored: false };
  let winner = best;
  let top = -Infinity;
  for (const c of band) {
    const draw = c.relevance * c.categoryFactor * sampleBeta(c.posterior, random);
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

function toRanked(
  c: Candidate,
  content: ContentRow,
  terms: readonly string[],
  explored: boolean,
  category: string | undefined,
): RankedPattern {
  const { row } = c;
  const libraries = parseLibraries(content.libraries);
  const own = new Set(words([content.text, content.description, row.category, libraries.join(" ")].join(" ")));
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
    code: content.code,
    description: content.description,
    category: row.category,
    libraries,
    lowerBound: c.lowerBound,
    mean: betaMean(c.posterior),
    bm25: row.bm25,
    score: c.score,
    reason: parts.join("; "),
  };
}
