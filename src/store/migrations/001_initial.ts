import type { Migration } from "./types.js";

/**
 * What the GitHub App needs from day one. Timestamps are epoch milliseconds (INTEGER) everywhere, so lease
 * and backoff comparisons are plain integer comparisons; booleans are 0/1 INTEGERs.
 */
export const migration001: Migration = {
  version: 1,
  name: "initial",
  up(db) {
    db.exec(`
      CREATE TABLE generations (
        id                    INTEGER PRIMARY KEY,
        repo                  TEXT    NOT NULL,
        installation_id       INTEGER NOT NULL,
        issue_number          INTEGER NOT NULL,
        spec_fingerprint      TEXT    NOT NULL,
        spec_json             TEXT    NOT NULL,
        component_name        TEXT    NOT NULL,
        component_type        TEXT    NOT NULL CHECK (component_type IN ('operator', 'sensor', 'hook')),
        category              TEXT    NOT NULL,
        airflow_version       TEXT    NOT NULL,
        provider              TEXT    NOT NULL,
        model                 TEXT    NOT NULL,
        status                TEXT    NOT NULL CHECK (status IN
                                ('queued', 'generating', 'pr_open', 'ci_running', 'succeeded', 'failed', 'merged', 'closed')),
        pr_number             INTEGER,
        branch                TEXT,
        head_sha              TEXT,
        status_comment_id     INTEGER,
        attempts_count        INTEGER NOT NULL DEFAULT 0,
        first_attempt_success INTEGER CHECK (first_attempt_success IN (0, 1)),
        final_outcome         TEXT,
        created_at            INTEGER NOT NULL,
        updated_at            INTEGER NOT NULL,
        UNIQUE (repo, issue_number)
      );
      CREATE INDEX generations_by_pr ON generations (repo, pr_number) WHERE pr_number IS NOT NULL;
      CREATE INDEX generations_by_head_sha ON generations (head_sha) WHERE head_sha IS NOT NULL;
      CREATE INDEX generations_by_installation ON generations (installation_id);

      CREATE TABLE attempts (
        id                    INTEGER PRIMARY KEY,
        generation_id         INTEGER NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
        number                INTEGER NOT NULL CHECK (number >= 1),
        trigger               TEXT    NOT NULL CHECK (trigger IN ('initial', 'ci_retry', 'manual_retry')),
        strategy              TEXT    NOT NULL,
        files_json            TEXT    NOT NULL DEFAULT '[]',
        validation_report_json TEXT,
        applied_fixes_json    TEXT    NOT NULL DEFAULT '[]',
        learned_context_json  TEXT,
        input_tokens          INTEGER NOT NULL DEFAULT 0,
        output_tokens         INTEGER NOT NULL DEFAULT 0,
        cache_read_tokens     INTEGER NOT NULL DEFAULT 0,
        cache_write_tokens    INTEGER NOT NULL DEFAULT 0,
        cost_usd              REAL    NOT NULL DEFAULT 0,
        duration_ms           INTEGER,
        commit_sha            TEXT,
        outcome               TEXT    NOT NULL CHECK (outcome IN
                                ('pending', 'validated', 'failed_generation', 'ci_passed', 'ci_failed')),
        failure_reason        TEXT,
        ci_failures_json      TEXT,
        created_at            INTEGER NOT NULL,
        updated_at            INTEGER NOT NULL,
        UNIQUE (generation_id, number)
      );
      CREATE INDEX attempts_by_commit ON attempts (commit_sha) WHERE commit_sha IS NOT NULL;
      CREATE INDEX attempts_by_created ON attempts (created_at);

      -- One row per (head sha, set of failing fingerprints): the unique key is what stops the same CI
      -- failure, reported by several check runs or redelivered webhooks, from triggering two retries.
      CREATE TABLE ci_results (
        id                    INTEGER PRIMARY KEY,
        generation_id         INTEGER NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
        head_sha              TEXT    NOT NULL,
        fingerprints_hash     TEXT    NOT NULL,
        conclusion            TEXT    NOT NULL,
        failures_json         TEXT    NOT NULL DEFAULT '[]',
        attributed_to_base    INTEGER NOT NULL DEFAULT 0 CHECK (attributed_to_base IN (0, 1)),
        retry_triggered       INTEGER NOT NULL DEFAULT 0 CHECK (retry_triggered IN (0, 1)),
        created_at            INTEGER NOT NULL,
        UNIQUE (head_sha, fingerprints_hash)
      );
      CREATE INDEX ci_results_by_generation ON ci_results (generation_id);

      CREATE TABLE webhook_deliveries (
        delivery_id           TEXT    PRIMARY KEY,
        event                 TEXT    NOT NULL,
        received_at           INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX webhook_deliveries_by_received ON webhook_deliveries (received_at);

      CREATE TABLE jobs (
        id                    INTEGER PRIMARY KEY,
        type                  TEXT    NOT NULL,
        payload_json          TEXT    NOT NULL,
        dedupe_key            TEXT,
        -- queued: never run; running: leased; failed: a transient failure, waiting for run_after to retry;
        -- succeeded; dead: permanent failure or attempts exhausted, last_error says why.
        status                TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dead')),
        attempts              INTEGER NOT NULL DEFAULT 0,
        max_attempts          INTEGER NOT NULL CHECK (max_attempts >= 1),
        run_after             INTEGER NOT NULL,
        lease_owner           TEXT,
        lease_expires_at      INTEGER,
        last_error            TEXT,
        steps_json            TEXT    NOT NULL DEFAULT '{}',
        created_at            INTEGER NOT NULL,
        updated_at            INTEGER NOT NULL
      );
      -- A dedupe key is unique only among jobs that can still run; finished jobs keep their key for history.
      CREATE UNIQUE INDEX jobs_dedupe_active ON jobs (dedupe_key)
        WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running', 'failed');
      CREATE INDEX jobs_ready ON jobs (status, run_after);

      -- Spend per installation and calendar month (UTC), for the dashboard; the budget check itself
      -- queries attempts by time range so it can use the created_at index.
      CREATE VIEW monthly_spend AS
        SELECT g.installation_id AS installation_id,
               strftime('%Y-%m', a.created_at / 1000, 'unixepoch') AS month,
               SUM(a.cost_usd) AS cost_usd,
               COUNT(*) AS attempts
          FROM attempts a JOIN generations g ON g.id = a.generation_id
         GROUP BY g.installation_id, month;
    `);
  },
};
