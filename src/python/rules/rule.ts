/** What a validation rule is: its public description plus a check over one analysed file. */
import type { Analysis } from "../analysis.js";
import type { PyNode } from "../parser.js";
import type { FileKind, RuleInfo, Severity } from "../types.js";

export interface Hit {
  line: number;
  column: number;
  message: string;
  /** Overrides the rule's default severity for this hit (e.g. a warning when only Airflow 2 is targeted). */
  severity?: Severity;
  /** False when this particular hit has no mechanical fix although the rule usually has one. */
  fixable?: boolean;
}

export interface Rule extends RuleInfo {
  /** File kinds the rule applies to; all kinds when absent. */
  kinds?: FileKind[];
  /** Whether the rule needs a syntax tree free of parse errors to give sound answers. */
  needsCleanTree?: boolean;
  check(analysis: Analysis): Hit[];
}

export function hitAt(analysis: Analysis, node: PyNode, message: string, extra: Partial<Hit> = {}): Hit {
  return { ...analysis.position(node.start), message, ...extra };
}
