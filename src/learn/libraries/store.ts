/**
 * Reading and writing the library tables of migration 004 (and the outcomes' library version of 006), on
 * SQLite and PostgreSQL alike.
 */
import type { Kysely, SelectQueryBuilder } from "kysely";
import type { Tables } from "../../db/schema.js";
import type { LearningOrigin, LearningScope } from "../scope.js";
import { checkOrigin, checkScope } from "../scope.js";
import type { AirflowMajor } from "./names.js";
import { normalizeLibraryName } from "./names.js";
import type { AlternativeKind } from "./seed.js";
import type { LibraryOutcomeKind, OutcomeCounts } from "./score.js";
import { emptyCounts } from "./score.js";
import { inTransaction } from "../../db/transaction.js";

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

/**
 * Code-point order, as SQLite's BINARY collation: sorting here rather than in SQL keeps the order of a
 * PostgreSQL database whose collation is a locale's (which ignores hyphens, for one) the same.
 */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkMajor(value: unknown): asserts value is AirflowMajor {
  if (value !== "2" && value !== "3") throw new Error(`airflowMajor should be "2" or "3", got ${JSON.stringify(value)}`);
}

function checkOutcome(input: LibraryOutcomeInput): string {
  const library = normalizeLibraryName(typeof input.name === "string" ? input.name : "");
  if (library === "" || !/^[a-z0-9]/.test(library)) throw new Error(`library name should be a PyPI name, got ${JSON.stringify(input.name)}`);
  checkMajor(input.airflowMajor);
  if (!OUTCOME_KINDS.includes(input.kind)) {
    throw new Error(`library outcome kind should be one of ${OUTCOME_KINDS.join(", ")}, got ${JSON.stringify(input.kind)}`);
  }
  return library;
}

/** Stores one observation of `origin`; `now` is epoch milliseconds from the caller's clock. */
export async function recordLibraryOutcome(db: Kysely<Tables>, origin: LearningOrigin, input: LibraryOutcomeInput, now: number): Promise<LibraryOutcome> {
  checkOrigin(origin, "recordLibraryOutcome");
  const library = checkOutcome(input);
  const libraryVersion = typeof input.libraryVersion === "string" && input.libraryVersion.trim() !== "" ? input.libraryVersion.trim() : null;
  const row = await db
    .insertInto("library_outcomes")
    .values({
      library,
      airflow_major: input.airflowMajor,
      kind: input.kind,
      library_version: libraryVersion,
      generation_id: input.generationId ?? null,
      detail: input.detail ?? null,
      created_at: now,
      installation_id: origin.installationId,
      repository: origin.repository,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    library,
    airflowMajor: input.airflowMajor,
    kind: input.kind,
    libraryVersion,
    generationId: input.generationId ?? null,
    detail: input.detail ?? null,
    createdAt: now,
  };
}

/** Records several outcomes of one CI run in one transaction (the caller's when `db` is one). */
export async function recordLibraryOutcomes(
  db: Kysely<Tables>,
  origin: LearningOrigin,
  outcomes: readonly Omit<LibraryOutcomeInput, "airflowMajor" | "generationId">[],
  context: { airflowMajor: AirflowMajor; generationId?: number },
  now: number,
): Promise<LibraryOutcome[]> {
  const write = async (trx: Kysely<Tables>): Promise<LibraryOutcome[]> => {
    const out: LibraryOutcome[] = [];
    for (const o of outcomes) {
      const generation = context.generationId === undefined ? {} : { generationId: context.generationId };
      out.push(await recordLibraryOutcome(trx, origin, { ...o, airflowMajor: context.airflowMajor, ...generation }, now));
    }
    return out;
  };
  return inTransaction(db, write);
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
export async function libraryCounts(
  db: Kysely<Tables>,
  scope: LearningScope,
  name: string,
  majors: readonly AirflowMajor[],
  libraryVersion?: string,
): Promise<OutcomeCounts> {
  checkScope(scope, "libraryCounts");
  const counts = emptyCounts();
  if (majors.length === 0) return counts;
  let query = outcomesOf(db, scope)
    .select((eb) => ["kind", eb.fn.countAll<number>().as("n")])
    .where("library", "=", normalizeLibraryName(name))
    .where("airflow_major", "in", majors);
  if (libraryVersion !== undefined) query = query.where("library_version", "=", libraryVersion);
  const rows = await query.groupBy("kind").execute();
  for (const row of rows) counts[KIND_FIELD[row.kind]] += Number(row.n);
  return counts;
}

/**
 * The scope's own outcomes: rows of another installation (or repository), and rows of unknown origin
 * (installation NULL, see migration 008), never match.
 */
function outcomesOf(db: Kysely<Tables>, scope: LearningScope): SelectQueryBuilder<Tables, "library_outcomes", object> {
  const query = db.selectFrom("library_outcomes").where("installation_id", "=", scope.installationId);
  return scope.repository === null ? query : query.where("repository", "=", scope.repository);
}

/** Newest first. */
export async function listLibraryOutcomes(db: Kysely<Tables>, scope: LearningScope, name: string, limit = 100): Promise<LibraryOutcome[]> {
  checkScope(scope, "listLibraryOutcomes");
  const rows = await outcomesOf(db, scope)
    .select(["id", "library", "airflow_major", "kind", "library_version", "generation_id", "detail", "created_at"])
    .where("library", "=", normalizeLibraryName(name))
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
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

/** Alternatives in preference order: provider hooks, then other packages, then stdlib fallbacks. */
export async function listAlternatives(db: Kysely<Tables>, name: string, majors: readonly AirflowMajor[] = ["2", "3"]): Promise<LibraryAlternative[]> {
  const rows = await db
    .selectFrom("library_alternatives")
    .selectAll()
    .where("library", "=", normalizeLibraryName(name))
    .where((eb) => (majors.length === 0 ? eb("airflow_major", "is", null) : eb.or([eb("airflow_major", "is", null), eb("airflow_major", "in", majors)])))
    .orderBy((eb) => eb.case("kind").when("provider_hook").then(0).when("package").then(1).else(2).end())
    .orderBy("rank")
    .orderBy("id")
    .execute();
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

/**
 * The notes on a library: curated ones (Airflow's pins) first, then those people added, each by text. The
 * table has no id and PostgreSQL keeps no insertion order, so the order is spelled out.
 */
export async function listLibraryNotes(db: Kysely<Tables>, name: string, majors: readonly AirflowMajor[] = ["2", "3"]): Promise<LibraryNote[]> {
  const rows = await db
    .selectFrom("library_notes")
    .select(["library", "airflow_major", "note", "source", "curated"])
    .where("library", "=", normalizeLibraryName(name))
    .where((eb) => (majors.length === 0 ? eb("airflow_major", "is", null) : eb.or([eb("airflow_major", "is", null), eb("airflow_major", "in", majors)])))
    .execute();
  return rows
    .sort((a, b) => b.curated - a.curated || byText(a.note, b.note))
    .map((r) => ({ library: r.library, airflowMajor: r.airflow_major, note: r.note, source: r.source }));
}

export interface LibrarySummary {
  library: string;
  airflowMajor: AirflowMajor;
  counts: OutcomeCounts;
  lastOutcomeAt: number;
}

/** Every library with at least one outcome, per Airflow major, by name. */
export async function listLibrarySummaries(db: Kysely<Tables>, scope: LearningScope): Promise<LibrarySummary[]> {
  checkScope(scope, "listLibrarySummaries");
  const rows = await outcomesOf(db, scope)
    .select((eb) => ["library", "airflow_major", "kind", eb.fn.countAll<number>().as("n"), eb.fn.max("created_at").as("last_at")])
    .groupBy(["library", "airflow_major", "kind"])
    .execute();
  const byKey = new Map<string, LibrarySummary>();
  for (const row of rows) {
    const key = `${row.library}\u0000${row.airflow_major}`;
    let summary = byKey.get(key);
    if (summary === undefined) {
      summary = { library: row.library, airflowMajor: row.airflow_major, counts: emptyCounts(), lastOutcomeAt: row.last_at };
      byKey.set(key, summary);
    }
    summary.counts[KIND_FIELD[row.kind]] += Number(row.n);
    summary.lastOutcomeAt = Math.max(summary.lastOutcomeAt, row.last_at);
  }
  return [...byKey.values()].sort((a, b) => byText(a.library, b.library) || byText(a.airflowMajor, b.airflowMajor));
}

export interface LibraryVersionSummary {
  library: string;
  airflowMajor: AirflowMajor;
  /** null: outcomes recorded without a known version. */
  libraryVersion: string | null;
  counts: OutcomeCounts;
}

/** One library's outcomes per Airflow major and library version, by major then version. */
export async function listLibraryVersionSummaries(db: Kysely<Tables>, scope: LearningScope, name: string): Promise<LibraryVersionSummary[]> {
  checkScope(scope, "listLibraryVersionSummaries");
  const rows = await outcomesOf(db, scope)
    .select((eb) => ["library", "airflow_major", "library_version", "kind", eb.fn.countAll<number>().as("n")])
    .where("library", "=", normalizeLibraryName(name))
    .groupBy(["library", "airflow_major", "library_version", "kind"])
    .execute();
  const byKey = new Map<string, LibraryVersionSummary>();
  for (const row of rows) {
    const key = `${row.airflow_major}\u0000${row.library_version ?? ""}`;
    let summary = byKey.get(key);
    if (summary === undefined) {
      summary = { library: row.library, airflowMajor: row.airflow_major, libraryVersion: row.library_version, counts: emptyCounts() };
      byKey.set(key, summary);
    }
    summary.counts[KIND_FIELD[row.kind]] += Number(row.n);
  }
  // Unknown versions (null) first, as SQLite sorts NULL; PostgreSQL would put them last.
  return [...byKey.values()].sort(
    (a, b) => byText(a.airflowMajor, b.airflowMajor) || byText(a.libraryVersion ?? "", b.libraryVersion ?? "") || Number(a.libraryVersion !== null) - Number(b.libraryVersion !== null),
  );
}
