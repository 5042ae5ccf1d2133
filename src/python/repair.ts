/** The fix engine: applies rewrite rules (built-in fixers and learned rules) to a fixed point. */
import type { Analysis } from "./analysis.js";
import { analyze } from "./analysis.js";
import { provideContextFixer, yamlSafeLoadFixer } from "./fixers/calls.js";
import { applyDefaultsFixer, baseImportFixer, deprecatedImportFixer, missingImportFixer, sdkImportFixer } from "./fixers/imports.js";
import { contextParamFixer, initKwargsFixer, superInitFixer, templateFieldsFixer } from "./fixers/init.js";
import { paramOrderFixer } from "./fixers/params.js";
import { apiImportFixer, apiMovedModuleFixer } from "./rules/api.js";
import type { AppliedFix, RewriteRule, TextEdit } from "./rewrite.js";
import { applyEdits, overlaps } from "./rewrite.js";
import type { ValidateOptions, ValidationReport } from "./types.js";
import { findingsOf, reportOf } from "./validate.js";

/** Order matters a little: **kwargs must exist before super().__init__ can pass it on. */
export const BUILTIN_FIXERS: readonly RewriteRule[] = [
  paramOrderFixer,
  initKwargsFixer,
  superInitFixer,
  templateFieldsFixer,
  contextParamFixer,
  applyDefaultsFixer,
  deprecatedImportFixer,
  baseImportFixer,
  sdkImportFixer,
  missingImportFixer,
  apiImportFixer,
  apiMovedModuleFixer,
  provideContextFixer,
  yamlSafeLoadFixer,
];

/** Upper bound on rule applications, so a pair of rules that undo each other cannot loop. */
const MAX_APPLICATIONS = 50;
const MAX_PASSES = 8;

export interface RepairResult {
  source: string;
  applied: AppliedFix[];
  report: ValidationReport;
}

function syntaxErrors(a: Analysis): number {
  return findingsOf(a).filter((f) => f.category === "syntax" && f.severity === "error").length;
}

function countOf(a: Analysis, rule: string): number {
  return findingsOf(a).filter((f) => f.rule === rule).length;
}

function errorCount(a: Analysis): number {
  return findingsOf(a).filter((f) => f.severity === "error").length;
}

export interface RepairSettings {
  /** Run the built-in fixers before the given rules (default true); false applies only the given rules. */
  builtins?: boolean;
}

export async function repairPython(source: string, options: ValidateOptions = {}, extraRules: RewriteRule[] = [], settings: RepairSettings = {}): Promise<RepairResult> {
  const rules = settings.builtins === false ? [...extraRules] : [...BUILTIN_FIXERS, ...extraRules];
  const applied: AppliedFix[] = [];
  const rejected = new Set<string>();
  // Fixers write "\n"; a CRLF file is repaired in LF form and handed back in its own line endings.
  const crlf = source.includes("\r\n");
  let current = await analyze(crlf ? source.replace(/\r\n/g, "\n") : source, options);
  let applications = 0;
  for (let pass = 0; pass < MAX_PASSES && applications < MAX_APPLICATIONS; pass++) {
    let changed = false;
    for (const rule of rules) {
      if (applications >= MAX_APPLICATIONS) break;
      if (!current.parsed) break;
      const matches = rule.find(current);
      const edits: TextEdit[] = [];
      const descriptions: { line: number; description: string }[] = [];
      for (const match of matches) {
        const key = `${rule.id}@${current.source.length}:${match.start}:${match.description}`;
        if (rejected.has(key)) continue;
        const e = rule.rewrite(match, current);
        if (e.length === 0 || overlaps(e, edits)) continue;
        edits.push(...e);
        descriptions.push({ line: current.lines.line(match.start), description: match.description });
      }
      if (edits.length === 0) continue;
      let next: string;
      try {
        next = applyEdits(current.source, edits);
      } catch {
        continue;
      }
      if (next === current.source) continue;
      const candidate = await analyze(next, options);
      const worseSyntax = syntaxErrors(candidate) > syntaxErrors(current);
      const notFixed = rule.fixes ? countOf(candidate, rule.fixes) >= countOf(current, rule.fixes) : errorCount(candidate) > errorCount(current);
      if (worseSyntax || notFixed) {
        for (const match of matches) rejected.add(`${rule.id}@${current.source.length}:${match.start}:${match.description}`);
        continue;
      }
      for (const d of descriptions) applied.push({ rule: rule.id, source: rule.source, fixes: rule.fixes, line: d.line, description: d.description });
      current = candidate;
      applications++;
      changed = true;
    }
    if (!changed) break;
  }
  const repaired = applied.length === 0 ? source : crlf ? current.source.replace(/\n/g, "\r\n") : current.source;
  return { source: repaired, applied, report: reportOf(findingsOf(current), options.path) };
}
