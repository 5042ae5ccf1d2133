/** What the pattern store holds and hands out. */

export const PATTERN_KINDS = [
  "import_block",
  "init_signature",
  "template_fields",
  "execute_shape",
  "poke_shape",
  "hook_shape",
  "error_handling",
  "logging",
  "connection_use",
  "test_structure",
] as const;

export type PatternKind = (typeof PATTERN_KINDS)[number];

export type PatternRole = "component" | "test" | "dag";
export type PatternComponentType = "operator" | "sensor" | "hook";

export interface PatternMeta {
  role: PatternRole;
  componentType: PatternComponentType;
  category: string;
}

/** One reusable piece of a file, with the names that belong to that file abstracted away. */
export interface PatternCandidate {
  kind: PatternKind;
  /** Normalized snippet: local names as `<CLS>`, `<P1>`, `<V1>`…, literals as `"<S>"` and `<N>`. */
  code: string;
  /** sha256 (hex) of kind and normalized code: the same shape from two files has the same fingerprint. */
  fingerprint: string;
  /** Top-level modules the snippet's file imports, sorted. */
  libraries: string[];
  description: string;
  /** Space-separated lower-case words for full-text search. */
  text: string;
  role: PatternRole;
  componentType: PatternComponentType;
  category: string;
}

export interface RankedPattern {
  id: number;
  kind: PatternKind;
  code: string;
  description: string;
  category: string;
  libraries: string[];
  /** Lower quantile of the decayed Beta posterior of the success rate. */
  lowerBound: number;
  /** Posterior mean of the success rate. */
  mean: number;
  /**
   * Text score of the query against the pattern, lower is better, 0 when there was no text to match: FTS5's
   * bm25() on SQLite, minus ts_rank_cd on PostgreSQL. The two are not comparable; their orders are.
   */
  bm25: number;
  /** Relevance × confidence, the score the pattern was ranked by. */
  score: number;
  reason: string;
}
