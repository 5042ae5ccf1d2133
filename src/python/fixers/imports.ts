/** Fixers for imports: moved Airflow paths, version-safe base imports, missing stdlib imports, apply_defaults. */
import type { Analysis } from "../analysis.js";
import { BASE_IMPORTS, airflow2Fallback, movedModule, targetsAirflow3 } from "../airflow-paths.js";
import type { ImportFact } from "../facts.js";
import type { RewriteMatch, TextEdit } from "../rewrite.js";
import { builtinRule } from "../rewrite.js";
import { KNOWN_IMPORTS } from "../rules/imports.js";
import { undefinedNames } from "../scope.js";
import { field, statements } from "../tree.js";
import { indentAt, lineEndInclusive, wholeLines } from "./text.js";

export const deprecatedImportFixer = builtinRule("fix/deprecated-import", "deprecated-import", "Rewrite a moved Airflow import path", (a) => {
  const out: RewriteMatch[] = [];
  const version = a.options.airflowVersion;
  for (const imp of a.facts?.imports ?? []) {
    if (imp.kind !== "from") continue;
    const moved = movedModule(imp.module);
    if (!moved || (!moved.removedIn3 && version !== "3")) continue;
    const target = version === "3" ? moved.to3 : moved.to2;
    if (!/^[\w.]+$/.test(target) || target === imp.module) continue;
    const moduleNode = field(imp.node, "module_name");
    if (!moduleNode) continue;
    const edits: TextEdit[] = [{ start: moduleNode.start, end: moduleNode.end, text: target }];
    for (const n of imp.names) {
      const renamed = moved.renames?.[n.name];
      if (!renamed) continue;
      const nameNode = n.node.type === "aliased_import" ? field(n.node, "name") : n.node;
      if (!nameNode) continue;
      edits.push({ start: nameNode.start, end: nameNode.end, text: n.alias ? renamed : `${renamed} as ${n.name}` });
    }
    out.push({ rule: "fix/deprecated-import", start: imp.node.start, end: imp.node.end, description: `import from ${target} instead of ${imp.module}`, edits });
  }
  return out;
});

/** Base imports that can be rewritten: every imported name is a base class with an airflow.sdk home. */
export function rewritableBaseImport(imp: ImportFact): boolean {
  return (
    imp.kind === "from" &&
    imp.names.length > 0 &&
    imp.names.every((n) => !n.alias && n.name !== "BaseHook" && BASE_IMPORTS[n.name]?.v2.includes(imp.module))
  );
}

export const baseImportFixer = builtinRule("fix/airflow2-base-import", "airflow2-base-import", "Import the base class from airflow.sdk (with a 2.x fallback for both)", (a) => {
  if (!targetsAirflow3(a.options.airflowVersion)) return [];
  const out: RewriteMatch[] = [];
  for (const imp of a.facts?.imports ?? []) {
    if (imp.guarded || imp.conditional || imp.typeChecking || !rewritableBaseImport(imp)) continue;
    const names = imp.names.map((n) => n.name).join(", ");
    const indent = indentAt(a.source, imp.node.start);
    const text =
      a.options.airflowVersion === "3"
        ? `from airflow.sdk import ${names}`
        : `try:\n${indent}    from airflow.sdk import ${names}\n${indent}except ImportError:\n${indent}    from ${imp.module} import ${names}`;
    out.push({
      rule: "fix/airflow2-base-import",
      start: imp.node.start,
      end: imp.node.end,
      description: `import ${names} from airflow.sdk${a.options.airflowVersion === "3" ? "" : ` with a ${imp.module} fallback`}`,
      edits: [{ start: imp.node.start, end: imp.node.end, text }],
    });
  }
  return out;
});

export const sdkImportFixer = builtinRule("fix/sdk-import-on-airflow2", "sdk-import-on-airflow2", "Give an airflow.sdk import its Airflow 2 fallback", (a) => {
  if (a.options.airflowVersion === "3") return [];
  const out: RewriteMatch[] = [];
  for (const imp of a.facts?.imports ?? []) {
    if (imp.kind !== "from" || imp.module !== "airflow.sdk" || imp.guarded || imp.conditional || imp.typeChecking || !imp.moduleLevel) continue;
    const fallback = airflow2Fallback(imp);
    if (!fallback || imp.names.length === 0) continue;
    const indent = indentAt(a.source, imp.node.start);
    const text =
      a.options.airflowVersion === "2"
        ? fallback.join(`\n${indent}`)
        : `try:\n${indent}    ${a.text(imp.node)}\n${indent}except ImportError:\n${fallback.map((l) => `${indent}    ${l}`).join("\n")}`;
    out.push({
      rule: "fix/sdk-import-on-airflow2",
      start: imp.node.start,
      end: imp.node.end,
      description: a.options.airflowVersion === "2" ? `import ${imp.names.map((n) => n.name).join(", ")} from the Airflow 2 paths` : "added an Airflow 2 fallback to the airflow.sdk import",
      edits: [{ start: imp.node.start, end: imp.node.end, text }],
    });
  }
  return out;
});

/** Where new imports go: after the leading block of module-level imports, else after the docstring. */
export function importInsertionPoint(a: Analysis): number {
  const body = a.parsed ? statements(a.parsed.root) : [];
  let at = 0;
  let sawImport = false;
  for (const stmt of body) {
    const isImport =
      stmt.type === "import_statement" ||
      stmt.type === "import_from_statement" ||
      stmt.type === "future_import_statement" ||
      (stmt.type === "try_statement" && statements(field(stmt, "body")).every((s) => s.type === "import_statement" || s.type === "import_from_statement"));
    const isDoc = !sawImport && at === 0 && stmt.type === "expression_statement" && stmt.children[0]?.type === "string";
    if (isImport || isDoc) {
      at = lineEndInclusive(a.source, stmt.end);
      sawImport ||= isImport;
      continue;
    }
    break;
  }
  if (at === 0) {
    // Keep a shebang or encoding line first.
    const m = /^(#![^\n]*\n)?(#[^\n]*coding[:=][^\n]*\n)?/.exec(a.source);
    at = m?.[0].length ?? 0;
  }
  return at;
}

export const missingImportFixer = builtinRule("fix/missing-import", "undefined-name", "Add a missing stdlib import", (a) => {
  if (!a.parsed || a.parsed.hasError) return [];
  const lines = new Set<string>();
  for (const use of undefinedNames(a.scopes(), a.source)) {
    const stmt = KNOWN_IMPORTS[use.name];
    if (stmt) lines.add(stmt);
  }
  if (lines.size === 0) return [];
  const at = importInsertionPoint(a);
  const sorted = [...lines].sort();
  const prefix = at > 0 && a.source[at - 1] !== "\n" ? "\n" : "";
  // Code straight after the new imports gets the two blank lines PEP 8 puts between imports and definitions.
  const suffix = /^(import |from |\n|$)/.test(a.source.slice(at, at + 7)) ? "" : "\n\n";
  return [
    {
      rule: "fix/missing-import",
      start: at,
      end: at,
      description: `added ${sorted.map((l) => `\`${l}\``).join(", ")}`,
      edits: [{ start: at, end: at, text: `${prefix}${sorted.join("\n")}\n${suffix}` }],
    },
  ];
});

export const applyDefaultsFixer = builtinRule("fix/apply-defaults", "apply-defaults", "Remove @apply_defaults and its import", (a) => {
  const edits: TextEdit[] = [];
  for (const fn of a.facts?.functions ?? []) {
    for (const d of fn.decorators) {
      if ((d.name.split(".").pop() ?? "") !== "apply_defaults") continue;
      const span = wholeLines(a.source, d.node.start, d.node.end);
      edits.push({ ...span, text: "" });
    }
  }
  for (const imp of a.facts?.imports ?? []) {
    if (imp.module !== "airflow.utils.decorators") continue;
    const keep = imp.names.filter((n) => n.name !== "apply_defaults");
    if (keep.length === imp.names.length) continue;
    if (keep.length === 0) {
      const span = wholeLines(a.source, imp.node.start, imp.node.end);
      const indent = indentAt(a.source, imp.node.start);
      // An import that is the only statement of a block (try:) must leave something behind.
      const parent = imp.node.parent;
      const alone = parent?.type === "block" && statements(parent).length === 1;
      edits.push({ ...span, text: alone ? `${indent}pass\n` : "" });
    } else {
      const text = `from airflow.utils.decorators import ${keep.map((n) => a.text(n.node)).join(", ")}`;
      edits.push({ start: imp.node.start, end: imp.node.end, text });
    }
  }
  if (edits.length === 0) return [];
  return [{ rule: "fix/apply-defaults", start: edits[0]?.start ?? 0, end: edits[0]?.end ?? 0, description: "removed apply_defaults (decorator and import)", edits }];
});
