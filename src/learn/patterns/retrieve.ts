/**
 * Retrieval: the patterns worth showing the model for a spec, ranked by text relevance × confidence.
 *
 * 1. Candidates: full-text match of the spec text among live patterns of the component type (and category,
 *    falling back to all categories when it has too few), best text score first, at most `candidateLimit`:
 *    FTS5 `bm25()` on SQLite, `ts_rank_cd` over the generated `search_vector` on PostgreSQL (docs/scaling.md).
 *    In a large store only the rarer query words are searched (see `selectTerms`), and type, category,
 *    kind, installation and repository are tokens required by the match itself, so the index hands back
 *    few rows and never another installation's.
 *    Bounding the candidate set in SQL keeps retrieval fast at 100,000 patterns; the reranking below
 *    is TypeScript over those rows alone.
 * 2. Score: relevance (text score relative to the best match, in (0, 1]) × the posterior lower bound.
 * 3. Selection, per kind: the candidates that could plausibly be as good as the best one — their
 *    relevance × posterior upper bound reaches the best score, and their relevance is at least half the
 *    best's — form the band of near-equals. Among them one Thompson draw each (relevance × a sample of
 *    the Beta posterior) picks the winner. A new pattern has a wide posterior, so it sometimes wins and
 *    gets tried; a pattern with a clearly poor record has a low upper bound and rarely enters the band.
 */
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { dialectOf } from "../../db/dialect.js";
import type { Tables } from "../../db/schema.js";
import type { BetaPosterior, ConfidenceOptions } from "./confidence.js";
import { betaMean, betaQuantile, posterior, resolveConfidence, sampleBeta } from "./confidence.js";
import type { PatternRow } from "./store.js";
import { parseLibraries } from "./store.js";
import type { LearningScope } from "../scope.js";
import { checkScope } from "../scope.js";
import { installationToken, kindToken, repositoryToken, typeCategoryToken, typeToken } from "./scope.js";
import { ftsQuery, MAX_QUERY_TERMS, words } from "./text.js";
import type { PatternComponentType, PatternKind, RankedPattern } from "./types.js";

export interface RetrieveOptions extends ConfidenceOptions {
  componentType: PatternComponentType;
  category?: string;
  /** Free text (the spec's name, description, dependencies): never passed to the full-text engine as syntax. */
  queryText: string;
  limit?: number;
  /** Uniform [0, 1) source for Thompson sampling; seed it for reproducible choices. */
  random: () => number;
  now: number;
  /** Patterns allowed per kind (default 1). */
  perKind?: number;
  /** Only these kinds. */
  kinds?: readonly PatternKind[];
  /** Full-text matches considered for reranking (default 100). */
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

const COLUMNS = ["id", "kind", "category", "successes", "failures", "success_weight", "failure_weight", "weight_at"] as const;
const COLUMN_LIST = sql.raw(COLUMNS.map((c) => `p.${c}`).join(", "));

/** Column weights for bm25(): description and text carry the meaning, libraries confirm it, scope is a filter. */
const BM25_WEIGHTS = sql.raw("bm25(patterns_fts, 1.0, 1.0, 0.5, 2.0, 0.0)");

/**
 * The same weights for ts_rank_cd, listed D, C, B, A: scope (D) 0, category (C) 0.25, description and text
 * (B) 0.5, libraries (A) 1 — the ratios of BM25_WEIGHTS (migration 002 sets the weights of `search_vector`).
 */
const RANK_WEIGHTS = sql.raw("'{0, 0.25, 0.5, 1}'");

interface Filter {
  owner: LearningScope;
  componentType: PatternComponentType;
  category: string | undefined;
  kinds: readonly PatternKind[] | undefined;
}

/** The scope tokens a match requires: type (or type and category), kinds, installation, repository. */
function scopeTokens(filter: Filter): { all: string[]; anyKind: string[] } {
  const all = [filter.category === undefined ? typeToken(filter.componentType) : typeCategoryToken(filter.componentType, filter.category)];
  // The owner is part of the match itself: the index never hands back another installation's (or repository's) rows.
  all.push(installationToken(filter.owner.installationId));
  if (filter.owner.repository !== null) all.push(repositoryToken(filter.owner.repository));
  const anyKind = filter.kinds && filter.kinds.length > 0 ? filter.kinds.map(kindToken) : [];
  return { all, anyKind };
}

/** FTS5: `scope : "toperator" AND scope : ("kimportblock" OR …) AND (… ) AND ("word" OR …)`. */
function fts5Match(terms: readonly string[], filter: Filter): string {
  const { all, anyKind } = scopeTokens(filter);
  const parts = all.map((t) => `scope : "${t}"`);
  if (anyKind.length > 0) parts.push(`scope : (${anyKind.map((k) => `"${k}"`).join(" OR ")})`);
  parts.push(`(${terms.map((t) => `"${t}"`).join(" OR ")})`);
  return parts.join(" AND ");
}

/**
 * PostgreSQL: the scope tokens with weight D (the scope column alone), like FTS5's `scope :` filter, and the
 * words anywhere: `toperator:D & i42:D & (kimportblock:D | …) & (word | …)`. Words and tokens are [a-z0-9]
 * only, so none of them is tsquery syntax.
 */
function tsMatch(terms: readonly string[], filter: Filter): string {
  const { all, anyKind } = scopeTokens(filter);
  const parts = all.map((t) => `${t}:D`);
  if (anyKind.length > 0) parts.push(`(${anyKind.map((k) => `${k}:D`).join(" | ")})`);
  parts.push(`(${terms.join(" | ")})`);
  return parts.join(" & ");
}

async function fetchByConfidence(db: Kysely<Tables>, filter: Filter, limit: number): Promise<CandidateRow[]> {
  let query = db
    .selectFrom("patterns")
    .select(COLUMNS)
    .where("installation_id", "=", filter.owner.installationId)
    .where("component_type", "=", filter.componentType)
    .where("archived", "=", 0);
  if (filter.owner.repository !== null) query = query.where("repository", "=", filter.owner.repository);
  if (filter.category !== undefined) query = query.where("category", "=", filter.category);
  if (filter.kinds && filter.kinds.length > 0) query = query.where("kind", "in", filter.kinds);
  const rows = await query
    .orderBy((eb) => eb("successes", "-", eb.ref("failures")), "desc")
    .orderBy("id")
    .limit(limit)
    .execute();
  // No text was matched: every row is equally relevant.
  return rows.map((r) => ({ ...r, bm25: 0 }));
}

/**
 * The best `limit` full-text matches. Component type, category, kinds and the owner are required tokens of
 * the match itself, so the index only hands back rows that can be returned. `bm25` is the text score, lower
 * is better: FTS5's bm25() on SQLite, minus ts_rank_cd on PostgreSQL (not BM25: compare orders, not values).
 */
async function fetchByText(db: Kysely<Tables>, terms: readonly string[], filter: Filter, limit: number): Promise<CandidateRow[]> {
  if (dialectOf(db) === "postgres") {
    // The rank reads the words alone: every cover of the whole match holds a scope token, whose weight is 0,
    // so ranking by it would score every row 0. The match (and the GIN index) still requires the tokens.
    const { rows } = await sql<CandidateRow>`
      SELECT ${COLUMN_LIST}, -ts_rank_cd(${RANK_WEIGHTS}, p.search_vector, to_tsquery('simple', ${terms.join(" | ")})) AS bm25
        FROM patterns p
       WHERE p.archived = 0 AND p.search_vector @@ to_tsquery('simple', ${tsMatch(terms, filter)})
       ORDER BY bm25, p.id
       LIMIT ${limit}`.execute(db);
    return rows;
  }
  const { rows } = await sql<CandidateRow>`
    SELECT ${COLUMN_LIST}, m.score AS bm25
      FROM (SELECT rowid, ${BM25_WEIGHTS} AS score FROM patterns_fts WHERE patterns_fts MATCH ${fts5Match(terms, filter)} ORDER BY score LIMIT ${limit}) m
      JOIN patterns p ON p.id = m.rowid
     ORDER BY m.score, p.id`.execute(db);
  return rows;
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
async function termDocs(db: Kysely<Tables>, installationId: number, terms: readonly string[]): Promise<{ total: number; docs: Map<string, number> }> {
  const rows = await db
    .selectFrom("pattern_terms")
    .select(["term", "docs"])
    .where("installation_id", "=", installationId)
    .where("term", "in", ["", ...terms])
    .execute();
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
export async function retrievePatterns(db: Kysely<Tables>, scope: LearningScope, options: RetrieveOptions): Promise<RankedPattern[]> {
  checkScope(scope, "retrievePatterns");
  checkOptions(options);
  const limit = options.limit ?? 10;
  const perKind = options.perKind ?? 1;
  const candidateLimit = options.candidateLimit ?? 100;
  const confidence = resolveConfidence(options);
  const fts = ftsQuery(options.queryText, MAX_QUERY_TERMS);
  const category = options.category?.trim() || undefined;

  const kinds = options.kinds && options.kinds.length > 0 ? [...new Set(options.kinds)] : undefined;
  const { total, docs } = await termDocs(db, scope.installationId, fts?.terms ?? []);
  const searched = fts
    ? selectTerms(fts.terms, docs, total, {
        pruneFrom: options.pruneFrom ?? 2_000,
        maxDocShare: options.maxDocShare ?? 0.1,
        maxTerms: options.maxTerms ?? 6,
      })
    : [];
  const pruned = total >= (options.pruneFrom ?? 2_000);
  const filter: Filter = { owner: scope, componentType: options.componentType, category, kinds };
  let rows = searched.length > 0 ? await fetchByText(db, searched, filter, candidateLimit) : [];
  if (category !== undefined && rows.length < (options.minCategoryMatches ?? limit) && searched.length > 0) {
    // Across all categories a large store matches many more rows: the rarest half of the words suffices to fill up.
    const widened = pruned ? searched.slice(0, Math.max(2, Math.ceil(searched.length / 2))) : searched;
    const seen = new Set(rows.map((r) => r.id));
    rows = rows.concat((await fetchByText(db, widened, { ...filter, category: undefined }, candidateLimit)).filter((r) => !seen.has(r.id)));
  }
  // Nothing matched the words: the most trusted patterns of the type still beat an empty context.
  if (rows.length === 0) {
    rows = await fetchByConfidence(db, filter, candidateLimit);
    if (category !== undefined && rows.length < (options.minCategoryMatches ?? limit)) {
      const seen = new Set(rows.map((r) => r.id));
      rows = rows.concat((await fetchByConfidence(db, { ...filter, category: undefined }, candidateLimit)).filter((r) => !seen.has(r.id)));
    }
  }
  if (rows.length === 0) return [];

  const bestBm25 = Math.min(...rows.map((r) => r.bm25));
  const otherCategoryFactor = options.otherCategoryFactor ?? 0.8;
  const candidates: Candidate[] = rows.map((row) => {
    // The text score is negative, more negative is better; relative to the best it becomes a relevance in (0, 1].
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
  const content = await fetchContent(db, kept.map((k) => k.candidate.row.id));
  const terms = fts?.terms ?? [];
  return kept.map(({ candidate, explored }) =>
    toRanked(candidate, content.get(candidate.row.id) as ContentRow, terms, explored, category),
  );
}

async function fetchContent(db: Kysely<Tables>, ids: readonly number[]): Promise<Map<number, ContentRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom("patterns").select(["id", "code", "description", "libraries", "text"]).where("id", "in", ids).execute();
  return new Map(rows.map((r) => [r.id, r]));
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
