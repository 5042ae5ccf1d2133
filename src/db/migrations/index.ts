import { migration001 } from "./001_initial.js";
import { migration002 } from "./002_patterns.js";
import { migration003 } from "./003_errors_rules.js";
import { migration004 } from "./004_libraries_metrics.js";
import { migration005 } from "./005_job_priority.js";
import { migration006 } from "./006_library_versions.js";
import { migration007 } from "./007_tree_rules.js";
import { migration008 } from "./008_installation_scope.js";
import { migration009 } from "./009_spend_reservations.js";
import { migration010 } from "./010_dashboard_audit.js";
import type { SchemaMigration } from "./types.js";

export type { DialectName, SchemaMigration } from "./types.js";

/**
 * Every migration, oldest first, one for each file of src/store/migrations. Released files are never
 * edited: a change is a new file plus one line here.
 */
export const schemaMigrations: readonly SchemaMigration[] = [
  migration001,
  migration002,
  migration003,
  migration004,
  migration005,
  migration006,
  migration007,
  migration008,
  migration009,
  migration010,
];
