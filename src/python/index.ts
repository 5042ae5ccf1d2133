/** Python analysis for generated Airflow components: validation rules, fixers and the repair engine. */
export type { AirflowTarget, ComponentKind, FileKind, Finding, RuleCategory, RuleInfo, Severity, ValidateOptions, ValidationReport } from "./types.js";
export { listRules, validatePython } from "./validate.js";
