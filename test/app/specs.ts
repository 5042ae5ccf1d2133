/** Issue bodies used by the app tests. */

export const HEALTH_CHECK_ISSUE = [
  "We need an operator that pings our health endpoint.",
  "",
  "```yaml",
  "name: HealthCheckOperator",
  "description: Calls /health and fails when the service is down",
  "category: HTTP",
  "component_type: operator",
  "inputs:",
  "  - name: endpoint",
  "    type: str",
  "    default: /health",
  "    template_field: true",
  "dependencies:",
  "  - apache-airflow-providers-http>=4.10",
  "```",
].join("\n");

/** The same spec with an edited description: a different fingerprint. */
export const HEALTH_CHECK_ISSUE_EDITED = HEALTH_CHECK_ISSUE.replace("fails when the service is down", "fails when the service answers 5xx");

/** Three errors at once (a bad class name, an unknown component type, a duplicated input) and a warning. */
export const BROKEN_ISSUE = [
  "```yaml",
  "name: health-check",
  "description: Calls /health",
  "component_type: operatr",
  "inputs:",
  "  - name: endpoint",
  "    type: str",
  "  - name: endpoint",
  "    type: str",
  "  - name: retries_left",
  "    type: int",
  "    default: many",
  "```",
].join("\n");
