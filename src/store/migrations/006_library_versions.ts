import { seedConstraintVersionsInStore } from "../../learn/libraries/constraints.js";
import type { Migration } from "./types.js";

/**
 * Library versions. `library_constraint_pins` holds the "installs with Airflow X.Y" facts of Airflow's
 * constraints files (one row per library and Airflow version, with the branch, file and commit it was read
 * from); it is global, curated knowledge rewritten by its seed. `library_outcomes.library_version` is the
 * version a CI observation was made with (the spec's pin, else the constrained one); NULL when unknown and
 * for rows recorded before this migration.
 */
export const migration006: Migration = {
  version: 6,
  name: "library_versions",
  up(db) {
    db.exec(`
      CREATE TABLE library_constraint_pins (
        -- PEP 503 normalized distribution name.
        library               TEXT    NOT NULL,
        -- "2.9", "2.10", "3.0".
        airflow_version       TEXT    NOT NULL,
        airflow_major         TEXT    NOT NULL CHECK (airflow_major IN ('2', '3')),
        version               TEXT    NOT NULL,
        -- <constraints branch>/<file>@<commit>.
        source                TEXT    NOT NULL,
        PRIMARY KEY (library, airflow_version)
      );
      CREATE INDEX library_constraint_pins_by_major ON library_constraint_pins (library, airflow_major);

      ALTER TABLE library_outcomes ADD COLUMN library_version TEXT;
      CREATE INDEX library_outcomes_by_version ON library_outcomes (library, library_version, airflow_major);
    `);
    // Every database starts with the pins of the committed constraints data; seedConstraintVersions(db) refreshes them.
    seedConstraintVersionsInStore(db);
  },
};
