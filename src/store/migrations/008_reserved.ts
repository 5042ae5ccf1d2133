import type { Migration } from "./types.js";

/**
 * Version 8 belongs to a schema change made on another branch at the same time as 009. Versions must run
 * without gaps, so until that change is merged this empty step holds its place; the merge replaces this
 * file and its line in `index.ts` with the real 008.
 */
export const migration008: Migration = {
  version: 8,
  name: "reserved",
  up() {
    // Intentionally empty: see above.
  },
};
