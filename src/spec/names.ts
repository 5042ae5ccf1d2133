/** Naming rules shared by the spec checks and by everything that derives file or branch names. */

export const PYTHON_KEYWORDS = new Set([
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
  "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
  "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
]);

/**
 * Arguments `BaseOperator.__init__` takes (Airflow 2.x and 3.x). A component parameter with one of these
 * names captures the argument in the subclass's `__init__`, so it never reaches `super().__init__` —
 * `task_id` then fails at DAG parse time and `retries` or `pool` silently stop working.
 */
export const BASE_OPERATOR_ARGS = new Set([
  "task_id", "owner", "email", "email_on_retry", "email_on_failure", "retries", "retry_delay",
  "retry_exponential_backoff", "max_retry_delay", "start_date", "end_date", "depends_on_past",
  "ignore_first_depends_on_past", "wait_for_past_depends_before_skipping", "wait_for_downstream", "dag",
  "params", "default_args", "priority_weight", "weight_rule", "queue", "pool", "pool_slots", "sla",
  "execution_timeout", "on_execute_callback", "on_failure_callback", "on_success_callback",
  "on_retry_callback", "on_skipped_callback", "pre_execute", "post_execute", "trigger_rule", "resources",
  "run_as_user", "task_concurrency", "max_active_tis_per_dag", "max_active_tis_per_dagrun", "executor",
  "executor_config", "do_xcom_push", "multiple_outputs", "inlets", "outlets", "task_group", "doc",
  "doc_md", "doc_json", "doc_yaml", "doc_rst", "logger_name", "allow_nested_operators",
  "map_index_template", "task_display_name", "has_on_execute_callback", "has_on_failure_callback",
]);

/** Arguments `BaseSensorOperator.__init__` adds; `poke_interval`, `timeout` and `mode` are the spec's sensor settings. */
export const SENSOR_SETTING_NAMES = ["poke_interval", "timeout", "mode"] as const;
export const BASE_SENSOR_ARGS = new Set(["soft_fail", "exponential_backoff", "max_wait", "silent_fail", "never_fail", "deferrable"]);

const PASCAL_CASE = /^[A-Z][A-Za-z0-9]*$/;
const SNAKE_CASE = /^[a-z][a-z0-9_]*$/;

export function isPascalCaseIdentifier(name: string): boolean {
  return PASCAL_CASE.test(name) && !PYTHON_KEYWORDS.has(name);
}

export function isSnakeCaseIdentifier(name: string): boolean {
  return SNAKE_CASE.test(name) && !PYTHON_KEYWORDS.has(name);
}

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== "");
}

/** `HttpToS3Operator` → `http_to_s3_operator`; `HTTPSensor` → `http_sensor`; `my-op name` → `my_op_name`. */
export function toSnakeCase(name: string): string {
  return words(name)
    .map((word) => word.toLowerCase())
    .join("_");
}

/** `http_to_s3_operator` → `HttpToS3Operator`; keeps inner capitals (`myHTTPHook` → `MyHTTPHook`). */
export function toPascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== "")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join("");
}

/** Levenshtein distance, for "did you mean" suggestions on short keys. */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

export function closestName(name: string, candidates: Iterable<string>, maxDistance = 2): string | undefined {
  let best: string | undefined;
  let bestDistance = maxDistance + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
