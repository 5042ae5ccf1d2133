import type { AttemptCheck } from "../generate/attempts.js";
import type { FileRole, GeneratedFile } from "../generate/types.js";
import { repairPython, type AppliedFix, type RewriteRule, type ValidateOptions, type ValidationReport } from "../python/index.js";
import type { ComponentSpec } from "../spec/types.js";

/** What the local pass found and did to one file, kept with the attempt and shown on the PR. */
export interface FileCheck {
  path: string;
  role: FileRole;
  report: ValidationReport;
  applied: AppliedFix[];
}

/** What the generated files may import besides the spec's dependencies. */
export interface LocalModules {
  /** Dotted module of the generated component (e.g. `operators.health_check_operator`), imported by the test and the DAG. */
  componentModule?: string;
}

/**
 * Warnings on hand-written code that are errors in generated code: a template field not assigned directly
 * in `__init__` is Airflow's own `validate-operators-init` failure and an AttributeError at render time.
 */
const ERRORS_IN_GENERATED_CODE = new Set(["template-field-unassigned"]);

/** Distributions CI provides for tests whatever the spec declares. */
const TEST_RUNNER_DEPENDENCIES = ["pytest"];

function dependenciesFor(file: GeneratedFile, spec: ComponentSpec): string[] {
  return file.role === "test" ? [...spec.dependencies, ...TEST_RUNNER_DEPENDENCIES] : spec.dependencies;
}

function ownPackage(local: LocalModules): string | undefined {
  const top = local.componentModule?.split(".")[0];
  return top === undefined || top === "" ? undefined : top;
}

function validateOptionsFor(file: GeneratedFile, spec: ComponentSpec, local: LocalModules): ValidateOptions {
  return {
    path: file.path,
    kind: file.role,
    componentType: spec.component_type,
    airflowVersion: spec.airflow_version,
    dependencies: dependenciesFor(file, spec),
    // The component's own package sits on Airflow's plugins path, so importing it is not a third-party import.
    ...(ownPackage(local) === undefined ? {} : { localModules: [ownPackage(local) as string] }),
    ...(file.role === "component" ? { className: spec.name } : {}),
  };
}

/**
 * The validation and repair pass between the model and the PR: every file is repaired to a fixed point
 * (built-in fixers and learned rules), and an error-severity finding left after repair fails the attempt,
 * so the next attempt is asked to fix exactly that instead of CI finding it.
 */
export class LocalCheck {
  /** What the most recent run found and did, for the attempt record and the PR body. */
  last: FileCheck[] = [];

  constructor(
    private readonly rules: RewriteRule[] = [],
    private readonly local: LocalModules = {},
  ) {}

  readonly check: AttemptCheck = async (files, spec) => {
    const checks: FileCheck[] = [];
    const repaired: GeneratedFile[] = [];
    for (const file of files) {
      const result = await repairPython(file.content, validateOptionsFor(file, spec, this.local), this.rules);
      checks.push({ path: file.path, role: file.role, report: result.report, applied: result.applied });
      repaired.push({ ...file, content: result.source });
    }
    this.last = checks;
    const failures = checks.flatMap((c) =>
      c.report.findings
        .filter((f) => f.severity === "error" || (c.role === "component" && ERRORS_IN_GENERATED_CODE.has(f.rule)))
        .map((f) => `${c.path}:${f.line}:${f.column}: ${f.rule}: ${f.message}`),
    );
    return failures.length === 0 ? { ok: true, files: repaired } : { ok: false, failures, files: repaired };
  };
}
