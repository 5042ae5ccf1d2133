/**
 * Which files of an Airflow tree are modules of the KB, under which dotted name and shard. Two layouts:
 * 2.x keeps providers inside core (`airflow/providers/<id>/provider.yaml`); 3.x (main) has
 * `providers/<path>/src/airflow/providers/<path>/` per provider and `task-sdk/src/airflow/sdk/`.
 */
import type { TreeEntry } from "./git.js";

export interface SourceFile {
  path: string;
  oid: string;
  /** Dotted module name (`airflow.models.baseoperator`; a package is named by its `__init__.py`). */
  module: string;
  isPackage: boolean;
  /** "core", "sdk" or a provider id ("amazon", "common.sql"). */
  shard: string;
}

export interface TreeLayout {
  /** Modules read into the KB. */
  files: SourceFile[];
  /** Python files under the covered roots that the KB leaves out, by module name (completeness stops there). */
  skipped: string[];
  /**
   * The top packages of the skipped trees (`airflow.www`, `airflow.providers.google.cloud.example_dags`): they
   * exist, so the KB lists them, with names it cannot decide.
   */
  stubs: SourceFile[];
  /** Provider id → the module prefix it covers. */
  providers: Map<string, string>;
  /** Whether the tree has the Task SDK. */
  hasSdk: boolean;
  /** The blob of `airflow/__init__.py`, for the release string. */
  airflowInit?: TreeEntry;
}

/** Directory names never read anywhere (tests, examples, docs, vendored code). */
export const SKIPPED_DIRS = ["tests", "test", "example_dags", "system", "docs", "_vendor", "node_modules"];

/** Core trees that are not Airflow's importable API for DAG and component authors. */
export const SKIPPED_CORE = ["airflow/www", "airflow/api_fastapi", "airflow/ui", "airflow/api_connexion", "airflow/migrations"];

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Module name of a Python file relative to its `src` root (`airflow/models/dag.py` → `airflow.models.dag`), or undefined when not importable. */
function moduleOf(relative: string): { module: string; isPackage: boolean } | undefined {
  if (!relative.endsWith(".py")) return undefined;
  const parts = relative.slice(0, -3).split("/");
  const isPackage = parts.at(-1) === "__init__";
  if (isPackage) parts.pop();
  if (parts.length === 0 || !parts.every((p) => IDENTIFIER.test(p))) return undefined;
  return { module: parts.join("."), isPackage };
}

export function classifyTree(entries: TreeEntry[]): TreeLayout {
  // Provider roots: path prefix in the tree → [id, prefix to strip so that the rest starts with "airflow/"].
  const roots: { dir: string; strip: string; shard: string }[] = [];
  const providers = new Map<string, string>();
  const paths = new Set(entries.map((e) => e.path));
  for (const { path } of entries) {
    let m = /^airflow\/providers\/(.+)\/provider\.yaml$/.exec(path);
    if (m?.[1]) {
      const id = m[1].replace(/\//g, ".");
      roots.push({ dir: `airflow/providers/${m[1]}/`, strip: "", shard: id });
      providers.set(id, `airflow.providers.${id}`);
      continue;
    }
    m = /^providers\/(.+)\/provider\.yaml$/.exec(path);
    if (m?.[1]) {
      const id = m[1].replace(/\//g, ".");
      const src = `providers/${m[1]}/src/`;
      if (!paths.has(`${src}airflow/providers/${m[1]}/__init__.py`)) continue;
      roots.push({ dir: `${src}airflow/providers/${m[1]}/`, strip: src, shard: id });
      providers.set(id, `airflow.providers.${id}`);
    }
  }
  roots.push({ dir: "task-sdk/src/airflow/sdk/", strip: "task-sdk/src/", shard: "sdk" });
  roots.push({ dir: "airflow/sdk/", strip: "", shard: "sdk" });
  roots.sort((a, b) => b.dir.length - a.dir.length);
  const files: SourceFile[] = [];
  const skipped: string[] = [];
  const skippedPackages: SourceFile[] = [];
  let hasSdk = false;
  let airflowInit: TreeEntry | undefined;
  for (const entry of entries) {
    const { path } = entry;
    if (!path.endsWith(".py")) continue;
    if (path === "airflow/__init__.py") airflowInit = entry;
    const root = roots.find((r) => path.startsWith(r.dir));
    let relative: string;
    let shard: string;
    if (root) {
      relative = path.slice(root.strip.length);
      shard = root.shard;
    } else if (path.startsWith("airflow/") && !path.startsWith("airflow/providers/")) {
      relative = path;
      shard = "core";
    } else continue;
    const mod = moduleOf(relative);
    const segments = relative.split("/");
    const skip =
      segments.slice(0, -1).some((s) => SKIPPED_DIRS.includes(s)) ||
      (shard === "core" && SKIPPED_CORE.some((d) => path === `${d}.py` || path.startsWith(`${d}/`))) ||
      !mod ||
      mod.module === "airflow.__main__";
    if (skip) {
      // A file whose name is not an identifier cannot be named in an import: it does not limit completeness.
      if (mod) skipped.push(mod.module);
      if (mod?.isPackage) skippedPackages.push({ path, oid: entry.oid, module: mod.module, isPackage: true, shard });
      continue;
    }
    if (shard === "sdk") hasSdk = true;
    files.push({ path, oid: entry.oid, module: mod.module, isPackage: mod.isPackage, shard });
  }
  const skippedNames = new Set(skippedPackages.map((p) => p.module));
  const stubs = skippedPackages.filter((p) => !skippedNames.has(p.module.slice(0, p.module.lastIndexOf("."))));
  return { files, skipped, stubs, providers, hasSdk, airflowInit };
}

/**
 * The package prefixes the KB covers completely: each child of `airflow` (core), `airflow.sdk`, and each
 * provider's package, split further wherever a skipped file lies inside.
 */
export function completePrefixes(modules: Iterable<string>, skipped: Iterable<string>, providerPrefixes: Iterable<string>, sdk: boolean): string[] {
  const skippedList = [...skipped];
  const known = [...modules];
  const roots = new Set<string>();
  for (const m of known) {
    const parts = m.split(".");
    if (parts[0] !== "airflow" || parts.length < 2) continue;
    if (parts[1] === "providers" || parts[1] === "sdk") continue;
    roots.add(`airflow.${parts[1]}`);
  }
  for (const p of providerPrefixes) roots.add(p);
  if (sdk) roots.add("airflow.sdk");
  const under = (name: string, prefix: string): boolean => name === prefix || name.startsWith(`${prefix}.`);
  const out: string[] = [];
  const visit = (prefix: string): void => {
    // A provider nested in another provider's package (none in Airflow today) is its own root.
    if (!skippedList.some((s) => under(s, prefix))) {
      out.push(prefix);
      return;
    }
    const children = new Set<string>();
    for (const m of known) {
      if (!m.startsWith(`${prefix}.`)) continue;
      children.add(`${prefix}.${m.slice(prefix.length + 1).split(".")[0]}`);
    }
    for (const child of [...children].sort()) if (!skippedList.includes(child)) visit(child);
  };
  for (const root of [...roots].sort()) {
    if (skippedList.includes(root)) continue;
    visit(root);
  }
  return out;
}
