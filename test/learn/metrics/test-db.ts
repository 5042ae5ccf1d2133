import { openDatabase } from "../../../src/store/database.js";
import type { Database } from "../../../src/store/database.js";
import { migration003 } from "../../../src/store/migrations/003_errors_rules.js";
import { migration004 } from "../../../src/store/migrations/004_libraries_metrics.js";
import { migrations } from "../../../src/store/migrations/index.js";
import type { Migration } from "../../../src/store/migrations/types.js";

/**
 * The production migration list once it holds 004; until then (002 and 003 are listed by their own
 * changes) the list up to 004 with the known migrations in their places and empty steps for the others.
 */
export function testMigrations(): readonly Migration[] {
  if (migrations.some((m) => m.version === 4)) return migrations;
  const known = new Map<number, Migration>([...migrations, migration003].map((m) => [m.version, m]));
  const list: Migration[] = [];
  for (let version = 1; version <= 3; version++) {
    list.push(known.get(version) ?? { version, name: `not_yet_listed_${version}`, up() {} });
  }
  return [...list, migration004];
}

export function openTestDatabase(path = ":memory:"): Database {
  return openDatabase(path, { migrations: testMigrations() });
}
