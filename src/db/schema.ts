import type { Generated } from "kysely";

/**
 * The tables as Kysely sees them, derived from the migrations (which mirror src/store/migrations). Numbers
 * are numbers on both dialects (see kysely.ts for PostgreSQL's BIGINT); timestamps are epoch milliseconds;
 * flags are 0 | 1; `*_json` columns and `libraries` hold JSON text that is parsed with a schema where read.
 * `Generated<T>` marks a column the database fills in when an insert leaves it out (row ids, defaults).
 *
 * `tableColumns` lists the same columns at run time; the type checks below make it list exactly the keys of
 * each interface, and a test compares it with the migrated databases, so these types cannot drift.
 */

type Flag = 0 | 1;
type ComponentType = "operator" | "sensor" | "hook";
type AirflowMajor = "2" | "3";

export interface GenerationsTable {
  id: Generated<number>;
  repo: string;
  installation_id: number;
  issue_number: number;
  spec_fingerprint: string;
  spec_json: string;
  component_name: string;
  component_type: ComponentType;
  category: string;
  airflow_version: string;
  provider: string;
  model: string;
  status: "queued" | "generating" | "pr_open" | "ci_running" | "succeeded" | "failed" | "merged" | "closed";
  pr_number: number | null;
  branch: string | null;
  head_sha: string | null;
  status_comment_id: number | null;
  attempts_count: Generated<number>;
  first_attempt_success: Flag | null;
  final_outcome: string | null;
  created_at: number;
  updated_at: number;
}

export interface AttemptsTable {
  id: Generated<number>;
  generation_id: number;
  number: number;
  trigger: "initial" | "ci_retry" | "manual_retry";
  strategy: string;
  files_json: Generated<string>;
  validation_report_json: string | null;
  applied_fixes_json: Generated<string>;
  learned_context_json: string | null;
  input_tokens: Generated<number>;
  output_tokens: Generated<number>;
  cache_read_tokens: Generated<number>;
  cache_write_tokens: Generated<number>;
  cost_usd: Generated<number>;
  duration_ms: number | null;
  commit_sha: string | null;
  outcome: "pending" | "validated" | "failed_generation" | "ci_passed" | "ci_failed";
  failure_reason: string | null;
  ci_failures_json: string | null;
  created_at: number;
  updated_at: number;
  reply_mode: "files" | "edits" | null;
}

export interface CiResultsTable {
  id: Generated<number>;
  generation_id: number;
  head_sha: string;
  fingerprints_hash: string;
  conclusion: string;
  failures_json: Generated<string>;
  attributed_to_base: Generated<Flag>;
  retry_triggered: Generated<Flag>;
  created_at: number;
}

export interface WebhookDeliveriesTable {
  delivery_id: string;
  event: string;
  received_at: number;
}

export interface JobsTable {
  id: Generated<number>;
  type: string;
  payload_json: string;
  dedupe_key: string | null;
  status: "queued" | "running" | "succeeded" | "failed" | "dead";
  attempts: Generated<number>;
  max_attempts: number;
  run_after: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_error: string | null;
  steps_json: Generated<string>;
  created_at: number;
  updated_at: number;
  priority: Generated<number>;
}

export interface PatternsTable {
  id: Generated<number>;
  /** The installation and repository the pattern was merged in; NULL: origin unknown (kept, never retrieved). */
  installation_id: number | null;
  repository: string | null;
  kind:
    | "import_block"
    | "init_signature"
    | "template_fields"
    | "execute_shape"
    | "poke_shape"
    | "hook_shape"
    | "error_handling"
    | "logging"
    | "connection_use"
    | "test_structure";
  fingerprint: string;
  code: string;
  description: string;
  category: string;
  component_type: ComponentType;
  role: "component" | "test" | "dag";
  libraries: Generated<string>;
  text: Generated<string>;
  scope: Generated<string>;
  successes: Generated<number>;
  failures: Generated<number>;
  success_weight: Generated<number>;
  failure_weight: Generated<number>;
  weight_at: number;
  uses: Generated<number>;
  last_used_at: number | null;
  created_at: number;
  updated_at: number;
  archived: Generated<Flag>;
  archived_at: number | null;
}

export interface PatternTermsTable {
  installation_id: number;
  term: string;
  docs: number;
}

export interface ErrorSignaturesTable {
  id: Generated<number>;
  installation_id: number | null;
  signature: string;
  kind: string;
  root_cause: string;
  fix_strategy: string;
  matched: string;
  occurrences: Generated<number>;
  first_seen: number;
  last_seen: number;
  component_types_json: Generated<string>;
}

export interface ErrorOccurrencesTable {
  id: Generated<number>;
  signature_id: number;
  generation_id: number | null;
  component_type: ComponentType | null;
  category: string | null;
  source: "ci" | "validator";
  seen_at: number;
  /** From the generation; NULL for a row recorded without one, which no scope reads. */
  installation_id: number | null;
  repository: string | null;
}

export interface FixAttemptsTable {
  id: Generated<number>;
  signature_id: number;
  fix_kind: "fixer" | "learned_rule" | "prompt_instruction";
  fix_ref: string;
  fix_label: string | null;
  generation_id: number;
  attempt_number: number;
  outcome: Generated<"pending" | "passed" | "failed">;
  created_at: number;
  resolved_at: number | null;
  installation_id: number | null;
  repository: string | null;
}

export interface RewriteRulesTable {
  id: Generated<number>;
  /** NULL: sources from several installations or of unknown origin; such a rule is used nowhere. */
  installation_id: number | null;
  before_pattern: string;
  after_pattern: string;
  context: Generated<string>;
  holes: number;
  description: string;
  source_pr: number | null;
  repo: string | null;
  commit_sha: string | null;
  status: "candidate" | "trusted" | "discarded" | "archived";
  successes: Generated<number>;
  failures: Generated<number>;
  applications: Generated<number>;
  merged_into: number | null;
  created_at: number;
  updated_at: number;
  engine: Generated<"lines" | "tree">;
  tree_json: string | null;
  sites: Generated<number>;
  reverts: Generated<number>;
}

export interface RuleSourcesTable {
  rule_id: number;
  repo: string;
  pr_number: number;
  commit_sha: string;
  path: string;
  added_at: number;
  author: string | null;
  committed_at: string | null;
}

export interface RuleSignaturesTable {
  rule_id: number;
  signature_id: number;
}

export interface LibraryOutcomesTable {
  id: Generated<number>;
  library: string;
  airflow_major: AirflowMajor;
  kind: "import_ok" | "import_failed" | "exec_ok" | "exec_failed" | "conflict";
  generation_id: number | null;
  detail: string | null;
  created_at: number;
  library_version: string | null;
  installation_id: number | null;
  repository: string | null;
}

export interface LibraryAlternativesTable {
  id: Generated<number>;
  library: string;
  airflow_major: AirflowMajor | null;
  kind: "provider_hook" | "package" | "stdlib";
  name: string;
  rank: Generated<number>;
  package: string | null;
  import_line: string | null;
  snippet: string | null;
  note: string | null;
  source: string | null;
  curated: Generated<Flag>;
}

export interface LibraryNotesTable {
  library: string;
  airflow_major: AirflowMajor | null;
  note: string;
  source: string | null;
  curated: Generated<Flag>;
}

export interface LibraryConstraintPinsTable {
  library: string;
  airflow_version: string;
  airflow_major: AirflowMajor;
  version: string;
  source: string;
}

export interface SpendReservationsTable {
  id: Generated<number>;
  installation_id: number;
  amount_usd: number;
  created_at: number;
  expires_at: number;
}

export interface DashboardActionsTable {
  id: Generated<number>;
  installation_id: number;
  actor: string;
  via: "github" | "token";
  action: "trust_rule" | "discard_rule" | "requeue_job";
  target_id: number;
  created_at: number;
}

/** Views: read only. */
export interface MonthlySpendView {
  installation_id: number;
  month: string;
  cost_usd: number;
  attempts: number;
}

export interface GenerationMetricsView {
  generation_id: number;
  installation_id: number;
  repo: string;
  spec_fingerprint: string;
  category: string;
  component_type: ComponentType;
  airflow_version: string;
  provider: string;
  model: string;
  status: GenerationsTable["status"];
  final_outcome: string | null;
  attempts: number;
  first_attempt_success: Flag | null;
  succeeded: Flag;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
  duration_ms: number;
  context_items: number;
  context_used: Flag;
  created_at: number;
  updated_at: number;
}

export interface Tables {
  generations: GenerationsTable;
  attempts: AttemptsTable;
  ci_results: CiResultsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  jobs: JobsTable;
  patterns: PatternsTable;
  pattern_terms: PatternTermsTable;
  error_signatures: ErrorSignaturesTable;
  error_occurrences: ErrorOccurrencesTable;
  fix_attempts: FixAttemptsTable;
  rewrite_rules: RewriteRulesTable;
  rule_sources: RuleSourcesTable;
  rule_signatures: RuleSignaturesTable;
  library_outcomes: LibraryOutcomesTable;
  library_alternatives: LibraryAlternativesTable;
  library_notes: LibraryNotesTable;
  library_constraint_pins: LibraryConstraintPinsTable;
  spend_reservations: SpendReservationsTable;
  dashboard_actions: DashboardActionsTable;
  monthly_spend: MonthlySpendView;
  generation_metrics: GenerationMetricsView;
}

/** Every key of T, each exactly once and nothing else: a column added to an interface must be listed here. */
type ColumnList<T> = readonly (keyof T & string)[];
type ExactColumns<L extends { [K in keyof Tables]: ColumnList<Tables[K]> }> = {
  [K in keyof Tables]: Exclude<keyof Tables[K], L[K][number]> extends never ? L[K] : ["missing column", Exclude<keyof Tables[K], L[K][number]>];
};

function columnsOf<const L extends { [K in keyof Tables]: ColumnList<Tables[K]> }>(lists: L & ExactColumns<L>): L {
  return lists;
}

export const tableColumns = columnsOf({
  generations: ["id", "repo", "installation_id", "issue_number", "spec_fingerprint", "spec_json", "component_name", "component_type", "category", "airflow_version", "provider", "model", "status", "pr_number", "branch", "head_sha", "status_comment_id", "attempts_count", "first_attempt_success", "final_outcome", "created_at", "updated_at"],
  attempts: ["id", "generation_id", "number", "trigger", "strategy", "files_json", "validation_report_json", "applied_fixes_json", "learned_context_json", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd", "duration_ms", "commit_sha", "outcome", "failure_reason", "ci_failures_json", "created_at", "updated_at", "reply_mode"],
  ci_results: ["id", "generation_id", "head_sha", "fingerprints_hash", "conclusion", "failures_json", "attributed_to_base", "retry_triggered", "created_at"],
  webhook_deliveries: ["delivery_id", "event", "received_at"],
  jobs: ["id", "type", "payload_json", "dedupe_key", "status", "attempts", "max_attempts", "run_after", "lease_owner", "lease_expires_at", "last_error", "steps_json", "created_at", "updated_at", "priority"],
  patterns: ["id", "installation_id", "repository", "kind", "fingerprint", "code", "description", "category", "component_type", "role", "libraries", "text", "scope", "successes", "failures", "success_weight", "failure_weight", "weight_at", "uses", "last_used_at", "created_at", "updated_at", "archived", "archived_at"],
  pattern_terms: ["installation_id", "term", "docs"],
  error_signatures: ["id", "installation_id", "signature", "kind", "root_cause", "fix_strategy", "matched", "occurrences", "first_seen", "last_seen", "component_types_json"],
  error_occurrences: ["id", "signature_id", "generation_id", "component_type", "category", "source", "seen_at", "installation_id", "repository"],
  fix_attempts: ["id", "signature_id", "fix_kind", "fix_ref", "fix_label", "generation_id", "attempt_number", "outcome", "created_at", "resolved_at", "installation_id", "repository"],
  rewrite_rules: ["id", "installation_id", "before_pattern", "after_pattern", "context", "holes", "description", "source_pr", "repo", "commit_sha", "status", "successes", "failures", "applications", "merged_into", "created_at", "updated_at", "engine", "tree_json", "sites", "reverts"],
  rule_sources: ["rule_id", "repo", "pr_number", "commit_sha", "path", "added_at", "author", "committed_at"],
  rule_signatures: ["rule_id", "signature_id"],
  library_outcomes: ["id", "library", "airflow_major", "kind", "generation_id", "detail", "created_at", "library_version", "installation_id", "repository"],
  library_alternatives: ["id", "library", "airflow_major", "kind", "name", "rank", "package", "import_line", "snippet", "note", "source", "curated"],
  library_notes: ["library", "airflow_major", "note", "source", "curated"],
  library_constraint_pins: ["library", "airflow_version", "airflow_major", "version", "source"],
  spend_reservations: ["id", "installation_id", "amount_usd", "created_at", "expires_at"],
  dashboard_actions: ["id", "installation_id", "actor", "via", "action", "target_id", "created_at"],
  monthly_spend: ["installation_id", "month", "cost_usd", "attempts"],
  generation_metrics: ["generation_id", "installation_id", "repo", "spec_fingerprint", "category", "component_type", "airflow_version", "provider", "model", "status", "final_outcome", "attempts", "first_attempt_success", "succeeded", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd", "duration_ms", "context_items", "context_used", "created_at", "updated_at"],
});

/** The views among `Tables`; everything else is a table. */
export const viewNames = ["monthly_spend", "generation_metrics"] as const satisfies readonly (keyof Tables)[];
