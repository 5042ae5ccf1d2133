/** The third-party libraries generated files import, as the CI outcome reader wants them. */
import { analyze } from "../../python/analysis.js";
import { distributionForImport, isNotALibrary } from "./names.js";

export interface SourceFile {
  path: string;
  content: string;
}

// Namespace packages whose distribution is named by the imported submodule (`from google.cloud import storage`).
const NAMESPACES: ReadonlySet<string> = new Set(["google", "google.cloud", "azure", "azure.storage"]);

/** Top-level names the files themselves provide (`operators/report.py` → `operators`, `report`), so local imports are skipped. */
function localNames(files: readonly SourceFile[]): Set<string> {
  const names = new Set<string>();
  for (const f of files) {
    const parts = f.path.replace(/\\/g, "/").replace(/\.py$/, "").split("/").filter((p) => p !== "" && p !== ".");
    for (const part of parts) names.add(part);
  }
  return names;
}

/**
 * PEP 503 names of the distributions the Python files import at run time, sorted: stdlib, Airflow core,
 * relative imports, the files' own modules and `if TYPE_CHECKING:` imports are left out. A file that
 * does not parse contributes nothing.
 */
export async function importedLibraries(files: readonly SourceFile[]): Promise<string[]> {
  const local = localNames(files);
  const out = new Set<string>();
  for (const file of files) {
    if (!file.path.endsWith(".py")) continue;
    const analysis = await analyze(file.content, { path: file.path, kind: "test" });
    for (const imp of analysis.facts?.imports ?? []) {
      if (imp.kind === "future" || imp.level > 0 || imp.typeChecking) continue;
      const modules =
        imp.kind === "from"
          ? NAMESPACES.has(imp.module)
            ? imp.names.map((n) => `${imp.module}.${n.name}`)
            : [imp.module]
          : imp.names.map((n) => n.name);
      for (const module of modules) {
        const top = module.split(".")[0] ?? module;
        if (module === "" || local.has(top) || isNotALibrary(module)) continue;
        out.add(distributionForImport(module));
      }
    }
  }
  return [...out].sort();
}
