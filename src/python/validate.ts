/** Runs every rule that applies to a file and collects the findings. */
import type { Analysis, MemoKey } from "./analysis.js";
import { analyze } from "./analysis.js";
import { airflowRules } from "./rules/airflow.js";
import { apiRules } from "./rules/api.js";
import { importRules } from "./rules/imports.js";
import type { Rule } from "./rules/rule.js";
import { securityRules } from "./rules/security.js";
import { styleRules } from "./rules/style.js";
import { syntaxRules } from "./rules/syntax.js";
import type { Finding, RuleInfo, ValidateOptions, ValidationReport } from "./types.js";

export const RULES: readonly Rule[] = [...syntaxRules, ...importRules, ...apiRules, ...airflowRules, ...securityRules, ...styleRules];

export function listRules(): RuleInfo[] {
  return RULES.map(({ id, category, severity, description, fixable }) => ({ id, category, severity, description, fixable }));
}

const FINDINGS: MemoKey<Finding[]> = { description: "findings of every rule" };

/** All findings for one analysed file (computed once per analysis; the repair engine asks repeatedly). */
export function findingsOf(a: Analysis): Finding[] {
  return a.memo(FINDINGS, () => runRules(a));
}

function runRules(a: Analysis): Finding[] {
  const findings: Finding[] = [];
  const cleanTree = !!a.parsed && !a.parsed.hasError && a.scan.issues.length === 0;
  for (const rule of RULES) {
    if (rule.kinds && !rule.kinds.includes(a.options.kind)) continue;
    if (rule.category !== "syntax" && rule.category !== "limits" && !a.parsed) continue;
    if (rule.needsCleanTree && !cleanTree) continue;
    for (const hit of rule.check(a)) {
      findings.push({
        rule: rule.id,
        category: rule.category,
        severity: hit.severity ?? rule.severity,
        line: hit.line,
        column: hit.column,
        message: hit.message,
        fixable: rule.fixable && hit.fixable !== false,
      });
    }
  }
  findings.sort((x, y) => x.line - y.line || x.column - y.column || x.rule.localeCompare(y.rule));
  return findings;
}

export function reportOf(findings: Finding[], path?: string): ValidationReport {
  const errors = findings.filter((f) => f.severity === "error").length;
  const report: ValidationReport = { findings, errors, warnings: findings.length - errors };
  return path === undefined ? report : { path, ...report };
}

export async function validatePython(source: string, options: ValidateOptions = {}): Promise<ValidationReport> {
  const a = await analyze(source, options);
  return reportOf([...findingsOf(a)], options.path);
}
