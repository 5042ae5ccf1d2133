/** Reading and writing the library tables of migration 004 (and the outcomes' library version of 006). */
import type { Database } from "better-sqlite3";
import type { LearningOrigin, LearningScope } from "../scope.js";
import { checkOrigin, checkScope, scopeWhere } from "../scope.js";
import type { AirflowMajor } from "./names.js";
import { normalizeLibraryName } from "./names.js";
import type { AlternativeKind } from "./seed.js";
import type { LibraryOutcomeKind, OutcomeCounts } from "./score.js";
import { emptyCounts } from "./score.js";

export const OUTCOME_KINDS: readonly LibraryOutcomeKind[] = ["import_ok", "import_failed", "exec_ok", "exec_failed", "conflict"];

export interface LibraryOutcomeInput {
  /** Distribution or import name; stored PEP 503 normalized. */
  name: string;
  airflowMajor: AirflowMajor;
  kind: LibraryOutcomeKind;
  /** The library's version in the run (the spec's pin, else the constrained one); absent when unknown. */
  libraryVersion?: string | null;
  generationId?: number;
  detail?: string;
}

export interface LibraryOutcome {
  id: number;
  library: string;
  airflowMajor: AirflowMajor;
  kind: LibraryOutcomeKind;
  libraryVersion: string | null;
  generationId: number | null;
  detail: string | null;
  createdAt: number;
}

export interface LibraryAlternative {
  id: number;
  library: string;
  /** null: applies to Airflow 2 and 3. */
  airflowMajor: AirflowMajor | null;
  kind: AlternativeKind;
  name: string;
  rank: number;
  package: string | null;
  importLine: string | null;
  snippet: string | null;
  note: string | null;
  source: string | null;
  curated: boolean;
}

export interface LibraryNote {
  library: string;
  airflowMajor: AirflowMajor | null;
  note: string;
  source: string | null;
}

function checkMajor(value: unknown): asserts value is AirflowMajor {
  if (value !== "2" && value !== "3") throw new Error(`airflowMajor should be "2" or "3", got ${JSON.stringify(value)}`);
}

/** Stores one observation of `origin`; `now` is epoch milliseconds from the caller's clock. */
export function recordLibraryOutcome(db: Database, origin: LearningOrigin, input: LibraryOutcomeInput, now: number): LibraryOutcome {
  checkOrigin(origin, "recordLibraryOutcome");
  const library = normalizeLibraryName(typeof input.name === "string" ? input.name : "");
  if (library === "" || !/^[a-z0-9]/.test(library)) throw new Error(`library name should be a PyPI name, got ${JSON.stringify(input.name)}`);
  checkMajor(input.airflowMajor);
  if (!OUTCOME_KINDS.includes(input.kind)) {
    throw new Error(`library outcome kind should be one of ${OUTCOME_KINDS.join(", ")}, got ${JSON.stringify(input.kind)}`);
  }
  const libraryVersion = typeof input.libraryVersion === "string" && input.libraryVersion.trim() !== "" ? input.libraryVersion.trim() : null;
  const info = db
    .prepare(
      `INSERT INTO library_outcomes (library, airflow_major, kind, library_version, generation_id, detail, created_at, installation_id, repository)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      library,
      input.airflowMajor,
      input.kind,
      libraryVersion,
      input.generationId ?? null,
      input.detail ?? null,
      now,
      origin.installationId,
      origin.repository,
    );
  return {
    id: Number(info.lastInsertRowid),
    library,
    airflowMajor: input.airflowMajor,
    kind: input.kind,
    libraryVersion,
    generationId: input.generationId ?? null,
    detail: input.detail ?? null,
    createdAt: now,
  };
}

/** Records several outcomes of one CI run in one transaction. */
export function recordLibraryOutcomes(
  db: Database,
  origin: LearningOrigin,
  outcomes: readonly Omit<LibraryOutcomeInput, "airflowMajor" | "generationId">[],
  context: { airflowMajor: AirflowMajor; generationId?: number },
  now: number,
): LibraryOutcome[] {
  return db.transaction(() =>
    outcomes.map((o) =>
      recordLibraryOutcome(
        db,
        origin,
        { ...o, airflowMajor: context.airflowMajor, ...(context.generationId === undefined ? {} : { generationId: context.generationId }) },
        now,
      ),
    ),
  )();
}

const KIND_FIELD: Record<LibraryOutcomeKind, keyof OutcomeCounts> = {
  import_ok: "importOk",
  import_failed: "importFailed",
  exec_ok: "execOk",
  exec_failed: "execFailed",
  conflict: "conflict",
};

/**
 * Counts per outcome kind; `majors` lists the Airflow majors to add up (both, for a spec targeting both).
 * With `libraryVersion`, only the outcomes recorded with that version of the library. Only the scope's
 * own observations count.
 */
export function libraryCounts(
  db: Database,
  scope: LearningScope,
  name: string,
  majors: readonly AirflowMajor[],
  libraryVersion?: string,
): OutcomeCounts {
  checkScope(scope, "libraryCounts");
  const counts = emptyCounts();
  if (majors.length === 0) return counts;
  const owner = scopeWhere(scope, "");
  const byVersion = libraryVersion === undefined ? "" : " AND library_version = ?";
  const rows = db
    .prepare(
      `SELECT kind, COUNT(*) AS n FROM library_outcomes
        WHERE ${owner.sql} AND library = ? AND airflow_major IN (${majors.map(() => "?").join(", ")})${byVersion} GROUP BY kind`,
    )
    .all(...owner.params, normalizeLibraryName(name), ...majors, ...(libraryVersion === undefined ? [] : [libraryVersion])) as {
    kind: LibraryOutcomeKind;
    n: number;
  }[];
  for (const row of rows) counts[KIND_FIELD[row.kind]] += row.n;
  return counts;
}

/** Newest first. */
export function listLibraryOutcomes(db: Database, scope: LearningScope, name: string, limit = 100): LibraryOutcome[] {
  checkScope(scope, "listLibraryOutcomes");
  const owner = scopeWhere(scope, "");
  const rows = db
    .prepare(`SELECT * FROM library_outcomes WHERE ${owner.sql} AND library = ? ORDER BY created_at DESC, id DESC LIMIT ?`)
    .all(...owner.params, normalizeLibraryName(name), limit) as {
    id: number;
    library: string;
    airflow_major: AirflowMajor;
    kind: LibraryOutcomeKind;
    library_version: string | null;
    generation_id: number | null;
    detail: string | null;
    created_at: number;
  }[];
  return rows.map((r) => ({
    id: r.id,
    library: r.library,
    airflowMajor: r.airflow_major,
    kind: r.kind,
    libraryVersion: r.library_version,
    generationId: r.generation_id,
    detail: r.detail,
    createdAt: r.created_at,
  }));
}

interface AlternativeRow {
  id: number;
  library: string;
  airflow_major: AirflowMajor | null;
  kind: AlternativeKind;
  name: string;
  rank: number;
  package: string | null;
  import_line: string | null;
  snippet: string | null;
  note: string | null;
  source: string | null;
  curated: number;
}

/** Alternatives in preference order: provider hooks, then other packages, then stdlib fallbacks. */
export function listAlternatives(db: Database, name: string, majors: readonly AirflowMajor[] = ["2", "3"]): LibraryAlternative[] {
  const rows = db
    .prepare(
      `SELECT * FROM library_alternatives
        WHERE library = ? AND (airflow_major IS NULL OR airflow_major IN (${majors.map(() => "?").join(", ") || "NULL"}))
        ORDER BY CASE kind WHEN 'provider_hook' THEN 0 WHEN 'package' THEN 1 ELSE 2 END, rank, id`,
    )
    .all(normalizeLibraryName(name), ...majors) as AlternativeRow[];
  return rows.map((r) => ({
    id: r.id,
    library: r.library,
    airflowMajor: r.airflow_major,
    kind: r.kind,
    name: r.name,
    rank: r.rank,
    package: r.package,
    importLine: r.import_line,
    snippet: r.snippet,
    note: r.note,
    source: r.source,
    curated: r.curated === 1,
  }));
}

export function listLibraryNotes(db: Database, name: string, majors: readonly AirflowMajor[] = ["2", "3"]): LibraryNote[] {
  const rows = db
    .prepare(
      `SELECT library, airflow_major, note, source FROM library_notes
        WHERE library = ? AND (airflow_major IS NULL OR airflow_major IN (${majors.map(() => "?").join(", ") || "NULL"}))
        ORDER BY rowid`,
    )
    .all(normalizeLibraryName(name), ...majors) as { library: string; airflow_major: AirflowMajor | null; note: string; source: string | null }[];
  return rows.map((r) => ({ library: r.library, airflowMajor: r.airflow_major, note: r.note, source: r.source }));
}

export interface LibrarySummary {
  library: string;
  airflowMajor: AirflowMajor;
  counts: OutcomeCounts;
  lastOutcomeAt: number;
}

/** Every library with at least one outcome, per Airflow major, by name. */
export function listLibrarySummaries(db: Database, scope: LearningScope): LibrarySummary[] {
  checkScope(scope, "listLibrarySummaries");
  const owner = scopeWhere(scope, "");
  const rows = db
    .prepare(
      `SELECT library, airflow_major, kind, COUNT(*) AS n, MAX(created_at) AS last_at
         FROM library_outcomes WHERE ${owner.sql} GROUP BY library, airflow_major, kind ORDER BY library, airflow_major`,
    )
    .all(...owner.params) as { library: string; airflow_major: AirflowMajor; kind: LibraryOutcomeKind; n: number; last_at: number }[];
  const byKey = new Map<string, LibrarySummary>();
  for (const row of rows) {
    const key = `${row.library}\u0000${row.airflow_major}`;
    let summary = byKey.get(key);
    if (summary === undefined) {
      summary = { library: row.library, airflowMajor: row.airflow_major, counts: emptyCounts(), lastOutcomeAt: row.last_at };
      byKey.set(key, summary);
    }
    summary.counts[KIND_FIELD[row.kind]] += row.n;
    summary.lastOutcomeAt = Math.max(summary.lastOutcomeAt, row.last_at);
  }
  return [...byKey.values()];
}

export interface LibraryVersionSummary {
  library: string;
  airflowMajor: AirflowMajor;
  /** null: outcomes recorded without a known version. */
  libraryVersion: string | null;
  counts: OutcomeCounts;
}

/** One library's outcomes per Airflow major and library version, by major then version. */
export function listLibraryVersionSummaries(db: Database, scope: LearningScope, name: string): LibraryVersionSummary[] {
  checkScope(scope, "listLibraryVersionSummaries");
  const owner = scopeWhere(scope, "");
  const rows = db
    .prepare(
      `SELECT library, airflow_major, library_version, kind, COUNT(*) AS n FROM library_outcomes
        WHERE ${owner.sql} AND library = ? GROUP BY library, airflow_major, library_version, kind ORDER BY airflow_major, library_version`,
    )
    .all(...owner.params, normalizeLibraryName(name)) as { library: string; airflow_major: AirflowMajor; library_version: string | null; kind: LibraryOutcomeKind; n: number }[];
  const byKey = new Map<string, LibraryVersionSummary>();
  for (const row of rows) {
    const key = `${row.airflow_major}\u0000${row.library_version ?? ""}`;
    let summary = byKey.get(key);
    if (summary === undefined) {
      summary = { library: row.library, airflowMajor: row.airflow_major, libraryVersion: row.library_version, counts: emptyCounts() };
      byKey.set(key, summary);
    }
    summary.counts[KIND_FIELD[row.kind]] += row.n;
  }
  return [...byKey.values()];
}
