import type { SchemaMigration } from "./types.js";

/**
 * Mirrors src/store/migrations/008_reserved.ts, the place held for a schema change of another branch. When
 * that change replaces the SQLite store's 008, this file gets the same change (the schema-equality test
 * fails until it does).
 */
export const migration008: SchemaMigration = {
  name: "008_reserved",
  async up() {
    // Intentionally empty: see above.
  },
};
