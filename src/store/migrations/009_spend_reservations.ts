import type { Migration } from "./types.js";

/**
 * Money held for model calls in flight. Before each call a job reserves the call's worst-case cost; the
 * budget check counts spend (attempts) plus the live reservations of the installation, so two jobs running
 * at once cannot both pass a check that only one of them fits. After the call the reservation is set to
 * what the call cost and deleted once that cost is in the call's attempt row. `expires_at` bounds a
 * reservation whose process died before deleting it: past it the row is ignored and pruned.
 *
 * `attempts.reply_mode` says how the model answered: whole files (`files`) or targeted edits to the
 * previous files (`edits`); NULL for attempts recorded before this migration and for calls with no usable reply.
 */
export const migration009: Migration = {
  version: 9,
  name: "spend_reservations",
  up(db) {
    db.exec(`
      CREATE TABLE spend_reservations (
        id                    INTEGER PRIMARY KEY,
        installation_id       INTEGER NOT NULL,
        amount_usd            REAL    NOT NULL CHECK (amount_usd >= 0),
        created_at            INTEGER NOT NULL,
        expires_at            INTEGER NOT NULL
      );
      CREATE INDEX spend_reservations_by_installation ON spend_reservations (installation_id, expires_at);
      ALTER TABLE attempts ADD COLUMN reply_mode TEXT CHECK (reply_mode IN ('files', 'edits'));
    `);
  },
};
