import type { Migration } from "./types.js";

/**
 * What people did on the dashboard: trusting or discarding a learned rule, requeueing a dead job. Each row says
 * who (the GitHub login, or `token` for the shared dashboard token), how they signed in, and when, so a rule
 * that stops being applied can be traced to the person who discarded it.
 */
export const migration010: Migration = {
  version: 10,
  name: "dashboard_audit",
  up(db) {
    db.exec(`
      CREATE TABLE dashboard_actions (
        id                    INTEGER PRIMARY KEY,
        installation_id       INTEGER NOT NULL,
        actor                 TEXT    NOT NULL,
        via                   TEXT    NOT NULL CHECK (via IN ('github', 'token')),
        action                TEXT    NOT NULL CHECK (action IN ('trust_rule', 'discard_rule', 'requeue_job')),
        target_id             INTEGER NOT NULL,
        created_at            INTEGER NOT NULL
      );
      CREATE INDEX dashboard_actions_by_installation ON dashboard_actions (installation_id, created_at);
    `);
  },
};
