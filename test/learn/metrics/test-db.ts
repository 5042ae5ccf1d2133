import { openDatabase } from "../../../src/store/database.js";
import type { Database } from "../../../src/store/database.js";
import { migrations } from "../../../src/store/migrations/index.js";
import type { Migration } from "../../../src/store/migrations/types.js";

/** The production migration list (001 to 004 and later). */
export function testMigrations(): readonly Migration[] {
  return migrations;
}

export function openTestDatabase(path = ":memory:"): Database {
  return openDatabase(path);
}
