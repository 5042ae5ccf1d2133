/**
 * What one CI run says about the third-party libraries a generated component imported: which failed to
 * import, which could not be installed together with Airflow, which broke while running, and — for a
 * passing run — which imported and ran fine.
 */
import type { CiFailure } from "../../ci/types.js";
import type { LibraryOutcomeKind } from "./score.js";
import { distributionForImport, importNamesFor, isNotALibrary, normalizeLibraryName } from "./names.js";

export interface CiLibraryOutcome {
  /** PEP 503 normalized distribution name. */
  name: string;
  kind: LibraryOutcomeKind;
  detail?: string;
}

const NO_MODULE = /No module named '([A-Za-z_][\w.]*)'/;
const CANNOT_IMPORT = /cannot import name '(\w+)' from '([A-Za-z_][\w.]*)'/;
const MODULE_HAS_NO_ATTRIBUTE = /module '([A-Za-z_][\w.]*)' has no attribute '(\w+)'/;
const REQUIREMENT_TOKEN = /[A-Za-z0-9][A-Za-z0-9._-]*/g;
// Failures that come from reading the source, not from running it, say nothing about a library at run time.
const STATIC_KINDS: ReadonlySet<CiFailure["kind"]> = new Set(["syntax", "lint"]);
const IMPORT_EXCEPTIONS: ReadonlySet<string> = new Set(["ModuleNotFoundError", "ImportError"]);

function shortDetail(failure: CiFailure): string {
  const text = `${failure.exceptionType ? `${failure.exceptionType}: ` : ""}${failure.message}`;
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

/** The module a runtime import failure names, if it is one. */
function failedImportModule(failure: CiFailure): string | undefined {
  if (failure.ruleCode !== undefined || STATIC_KINDS.has(failure.kind)) return undefined;
  const isImport = failure.kind === "import" || (failure.exceptionType !== undefined && IMPORT_EXCEPTIONS.has(failure.exceptionType));
  if (!isImport) return undefined;
  const text = `${failure.message}\n${failure.excerpt}`;
  return NO_MODULE.exec(text)?.[1] ?? CANNOT_IMPORT.exec(text)?.[2];
}

/** Libraries of `imported` that a resolver failure names (in its message or excerpt). */
function conflictingLibraries(failure: CiFailure, imported: ReadonlySet<string>): string[] {
  const text = `${failure.message}\n${failure.excerpt}`;
  const named = new Set((text.match(REQUIREMENT_TOKEN) ?? []).map(normalizeLibraryName));
  return [...imported].filter((lib) => named.has(lib));
}

/** Libraries whose own code appears in a runtime traceback, or whose module lacks an attribute. */
function libraryInTraceback(failure: CiFailure, library: string): boolean {
  const text = `${failure.message}\n${failure.excerpt}`;
  const attribute = MODULE_HAS_NO_ATTRIBUTE.exec(failure.message);
  const names = importNamesFor(library);
  if (attribute?.[1] !== undefined && names.some((n) => attribute[1] === n || attribute[1]!.startsWith(`${n}.`))) return true;
  return names.some((n) => text.includes(`site-packages/${n.replace(/\./g, "/")}/`));
}

/**
 * The outcomes to record for one CI run. `importedLibraries` are the third-party imports of the generated
 * files (import names like `yaml` or distribution names like `PyYAML`); stdlib and Airflow core are skipped.
 * Pure: the caller records each with `recordLibraryOutcome`.
 */
export function libraryOutcomesFromCi(failures: CiFailure[], importedLibraries: string[], passed: boolean): CiLibraryOutcome[] {
  const imported = new Set<string>();
  for (const raw of importedLibraries) {
    const name = raw.trim();
    if (name === "" || isNotALibrary(name)) continue;
    const dist = distributionForImport(name);
    if (dist === "apache-airflow") continue;
    imported.add(dist);
  }
  const out: CiLibraryOutcome[] = [];
  const seen = new Set<string>();
  const add = (name: string, kind: LibraryOutcomeKind, detail?: string): void => {
    const key = `${name}\u0000${kind}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(detail === undefined ? { name, kind } : { name, kind, detail });
  };

  if (passed) {
    for (const name of [...imported].sort()) {
      add(name, "import_ok");
      add(name, "exec_ok");
    }
    return out;
  }

  const failedImport = new Set<string>();
  const conflicted = new Set<string>();
  for (const failure of failures) {
    if (failure.kind === "dependency_conflict") {
      for (const name of conflictingLibraries(failure, imported)) {
        conflicted.add(name);
        add(name, "conflict", shortDetail(failure));
      }
      continue;
    }
    const module = failedImportModule(failure);
    if (module !== undefined) {
      const dist = distributionForImport(module);
      if (imported.has(dist)) {
        failedImport.add(dist);
        add(dist, "import_failed", shortDetail(failure));
      }
    }
  }
  for (const failure of failures) {
    if (failure.kind === "dependency_conflict" || STATIC_KINDS.has(failure.kind) || failure.ruleCode !== undefined) continue;
    if (failedImportModule(failure) !== undefined) continue;
    for (const name of [...imported].sort()) {
      if (failedImport.has(name) || conflicted.has(name) || !libraryInTraceback(failure, name)) continue;
      add(name, "import_ok");
      add(name, "exec_failed", shortDetail(failure));
    }
  }
  return out;
}
