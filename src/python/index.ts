/** Python analysis for generated Airflow components: validation rules, fixers and the repair engine. */
export type { AirflowTarget, ComponentKind, FileKind, Finding, RuleCategory, RuleInfo, Severity, ValidateOptions, ValidationReport } from "./types.js";
export type { Analysis } from "./analysis.js";
export { analyze } from "./analysis.js";
export type { AppliedFix, RewriteMatch, RewriteRule, TextEdit } from "./rewrite.js";
export { applyEdits } from "./rewrite.js";
export type { RepairResult, RepairSettings } from "./repair.js";
export { BUILTIN_FIXERS, repairPython } from "./repair.js";
export { listRules, validatePython } from "./validate.js";
