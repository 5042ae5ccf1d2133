/**
 * What Airflow's constraints say about library versions, in the library store: the pins as "installs with
 * Airflow X.Y" facts (table `library_constraint_pins`, migration 006), and the version a CI observation of a
 * library is recorded under.
 */
import type { Database } from "better-sqlite3";
import type { Kysely } from "kysely";
import type { Tables } from "../../db/schema.js";
import { seedConstraintPins } from "../../db/seed.js";
import type { AirflowConstraints, LibraryPin } from "../../knowledge/constraints.js";
import { airflowConstraints, compareAirflowVersions } from "../../knowledge/constraints.js";
import { exactPin, specifiersAllow } from "../../spec/dependency-pins.js";
import { parseRequirement } from "../../spec/pep508.js";
import type { AirflowMajor } from "./names.js";
import { normalizeLibraryName } from "./names.js";

/** A library version that installs with one Airflow version, and the constraints file that says so. */
export interface ConstraintVersion {
  library: string;
  airflowVersion: string;
  airflowMajor: AirflowMajor;
  version: string;
  /** `constraints-2-10/constraints-3.11.txt@<commit>`. */
  source: string;
}

export interface ConstraintSeedResult {
  inserted: number;
  removed: number;
}

/**
 * Makes `library_constraint_pins` hold exactly the pins of `constraints`, in one transaction (the caller's
 * when `db` is one): rows that changed or are gone are deleted, new ones inserted. Running it again with the
 * same data changes nothing.
 */
export function seedConstraintVersions(db: Kysely<Tables>, constraints: AirflowConstraints = airflowConstraints()): Promise<ConstraintSeedResult> {
  return seedConstraintPins(db, constraints);
}

/**
 * seedConstraintVersions for the synchronous store's migration 006, which runs inside better-sqlite3's
 * synchronous migration and so cannot await; it goes when that store does.
 */
export function seedConstraintVersionsInStore(db: Database, constraints: AirflowConstraints = airflowConstraints()): ConstraintSeedResult {
  return db.transaction((): ConstraintSeedResult => {
    const stored = db.prepare("SELECT library, airflow_version, airflow_major, version, source FROM library_constraint_pins").all() as StoredPin[];
    const changes = constraintPinChanges(stored, constraints);
    const remove = db.prepare("DELETE FROM library_constraint_pins WHERE library = ? AND airflow_version = ?");
    let removed = 0;
    for (const row of changes.remove) removed += remove.run(row.library, row.airflow_version).changes;
    const insert = db.prepare(
      "INSERT INTO library_constraint_pins (library, airflow_version, airflow_major, version, source) VALUES (?, ?, ?, ?, ?)",
    );
    let inserted = 0;
    for (const pin of changes.insert) inserted += insert.run(pin.library, pin.airflow, pin.major, pin.version, pin.source).changes;
    return { inserted, removed };
  })();
}

/** A `library_constraint_pins` row as stored. */
export interface StoredPin {
  library: string;
  airflow_version: string;
  airflow_major: string;
  version: string;
  source: string;
}

/**
 * What makes the stored pins exactly those of `constraints`: stored rows that changed or are gone (to delete),
 * and pins not stored as they are (to insert). Shared by the SQLite store and the Kysely layer.
 */
export function constraintPinChanges(stored: readonly StoredPin[], constraints: AirflowConstraints): { remove: StoredPin[]; insert: LibraryPin[] } {
  const wanted = new Map(constraints.allPins().map((p) => [`${p.library}\u0000${p.airflow}`, p]));
  const remove: StoredPin[] = [];
  for (const row of stored) {
    const key = `${row.library}\u0000${row.airflow_version}`;
    const pin = wanted.get(key);
    if (pin !== undefined && pin.version === row.version && pin.source === row.source && pin.major === row.airflow_major) wanted.delete(key);
    else remove.push(row);
  }
  return { remove, insert: [...wanted.values()] };
}

/** The constraint-backed versions of a library for the given Airflow majors, by Airflow version. */
export async function listConstraintVersions(db: Kysely<Tables>, name: string, majors: readonly AirflowMajor[] = ["2", "3"]): Promise<ConstraintVersion[]> {
  if (majors.length === 0) return [];
  const rows = await db
    .selectFrom("library_constraint_pins")
    .select(["library", "airflow_version", "airflow_major", "version", "source"])
    .where("library", "=", normalizeLibraryName(name))
    .where("airflow_major", "in", majors)
    .execute();
  return rows
    .map((r) => ({ library: r.library, airflowVersion: r.airflow_version, airflowMajor: r.airflow_major, version: r.version, source: r.source }))
    .sort((a, b) => compareAirflowVersions(a.airflowVersion, b.airflowVersion));
}

/**
 * The version of `library` a CI run on Airflow `major` used: the version the spec pins exactly (`==`), else
 * the version the newest constraints of that major pin when the spec's specifiers allow it (CI installs Airflow
 * under its constraints), else null (pip chose, and the run does not say what).
 */
export function libraryVersionFor(
  library: string,
  dependencies: readonly string[],
  major: AirflowMajor,
  constraints: AirflowConstraints = airflowConstraints(),
): string | null {
  const name = normalizeLibraryName(library);
  const requirement = dependencies
    .map((d) => parseRequirement(d))
    .flatMap((r) => (r.ok && normalizeLibraryName(r.requirement.name) === name ? [r.requirement] : []))[0];
  if (requirement?.url !== undefined) return null;
  const pinned = requirement === undefined ? undefined : exactPin(requirement);
  if (pinned !== undefined) return pinned;
  const constrained = constraints.pinForMajor(name, major)?.version;
  if (constrained === undefined) return null;
  return requirement === undefined || specifiersAllow(constrained, requirement.specifiers) ? constrained : null;
}

/**
 * The outcomes of one CI run per Airflow major the spec targets (a `both` spec counts for 2 and for 3), each
 * outcome with the library version it was observed with on that major.
 */
export function versionedOutcomes<T extends { name: string }>(
  outcomes: readonly T[],
  dependencies: readonly string[],
  target: AirflowMajor | "both",
  constraints: AirflowConstraints = airflowConstraints(),
): { airflowMajor: AirflowMajor; outcomes: (T & { libraryVersion: string | null })[] }[] {
  const majors: AirflowMajor[] = target === "both" ? ["2", "3"] : [target];
  return majors.map((airflowMajor) => ({
    airflowMajor,
    outcomes: outcomes.map((o) => ({ ...o, libraryVersion: libraryVersionFor(o.name, dependencies, airflowMajor, constraints) })),
  }));
}
