import type { Migration } from "./types.js";

/**
 * Urgent jobs: a job with priority > 0 is leased before any normal job that is due, so quick
 * acknowledgements (the "queued" status comment) do not wait behind long generations.
 */
export const migration005: Migration = {
  version: 5,
  name: "job_priority",
  up(db) {
    db.exec(`
      ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX jobs_urgent ON jobs (status, priority, run_after) WHERE priority > 0;
    `);
  },
};
