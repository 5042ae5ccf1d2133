/** Public types of the Python validator and repairer. */
import type { KnowledgeBase } from "../knowledge/kb.js";

export type Severity = "error" | "warning";
/** `limits`: the file was not analysed (too large); not a defect of the code itself. */
export type RuleCategory = "syntax" | "import" | "airflow" | "security" | "style" | "limits";
export type AirflowTarget = "2" | "3" | "both";
export type FileKind = "component" | "test" | "dag";
export type ComponentKind = "operator" | "sensor" | "hook";

export interface Finding {
  rule: string;
  category: RuleCategory;
  severity: Severity;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units of the line. */
  column: number;
  message: string;
  fixable: boolean;
}

export interface ValidateOptions {
  path?: string;
  /** "component" (default): the Airflow structure rules apply; "test": a pytest module; "dag": an example DAG. */
  kind?: FileKind;
  componentType?: ComponentKind;
  /** Default "both". */
  airflowVersion?: AirflowTarget;
  /** PEP 508 requirement strings from the spec; when given, third-party imports must be declared here. */
  dependencies?: string[];
  /** The component class the spec names; structure rules then check this class. */
  className?: string;
  /** Top-level modules that sit next to the file (sibling modules and packages); imports of them are local. */
  localModules?: string[];
  /** The Airflow knowledge base the API rules consult: the shipped one when absent, none when null. */
  knowledgeBase?: KnowledgeBase | null;
  /** Files longer than this many characters are reported under `file-too-large`, not analysed (default 5,000,000). */
  maxSourceChars?: number;
}

export interface ValidationReport {
  path?: string;
  findings: Finding[];
  errors: number;
  warnings: number;
}

export interface RuleInfo {
  id: string;
  category: RuleCategory;
  /** The severity the rule reports at by default; some rules report a warning for Airflow 2-only targets. */
  severity: Severity;
  description: string;
  fixable: boolean;
}
