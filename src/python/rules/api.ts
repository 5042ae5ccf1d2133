/**
 * Rules grounded on the Airflow knowledge base: imported modules and names that do not exist, keyword
 * arguments a known signature does not take (or required ones missing), and methods or attributes a known
 * class does not have. They only speak when the KB can decide: guarded, conditional and TYPE_CHECKING imports,
 * modules with `__getattr__` shims, classes with bases outside the KB and names bound more than one way are
 * never reported.
 */
import type { Analysis, MemoKey } from "../analysis.js";
import { closestNames, didYouMean } from "../../knowledge/closest.js";
import type { KnowledgeBase, Lookup, ParsedSignature } from "../../knowledge/kb.js";
import { defaultKnowledgeBase, parseSignature } from "../../knowledge/kb.js";
import { movedModule } from "../airflow-paths.js";
import type { CallFact, ImportFact } from "../facts.js";
import { ownerClass } from "../facts.js";
import type { PyNode } from "../parser.js";
import type { Scope } from "../scope.js";
import { dottedName, enclosingFunction, field, namedChildren, walk } from "../tree.js";
import type { AirflowTarget } from "../types.js";
import type { RewriteMatch, TextEdit } from "../rewrite.js";
import { builtinRule } from "../rewrite.js";
import type { Hit, Rule } from "./rule.js";
import { hitAt } from "./rule.js";

/**
 * A set of KB versions judged together: all versions for providers, one Airflow major for core modules.
 * `decides` is the part of `mask` whose absences count: a development snapshot of Airflow itself (3.0.0.dev0)
 * lacks names its releases added later, so for core modules its absences decide nothing; providers keep every
 * version, since a provider release is what the snapshot holds.
 */
interface VersionGroup {
  label: string;
  mask: number;
  decides: number;
}

export function knowledgeOf(a: Analysis): KnowledgeBase | null {
  if (a.options.knowledgeBase === null) return null;
  return a.options.knowledgeBase ?? defaultKnowledgeBase();
}

function groupsFor(kb: KnowledgeBase, module: string, target: AirflowTarget): VersionGroup[] {
  if (kb.isProviderModule(module)) return [{ label: "", mask: kb.allMask, decides: kb.allMask }];
  const groups: VersionGroup[] = [];
  const released = kb.allMask & ~kb.developmentMask;
  if (target !== "3") groups.push({ label: "Airflow 2", mask: kb.majorMask("2"), decides: kb.majorMask("2") & released });
  if (target !== "2") groups.push({ label: "Airflow 3", mask: kb.majorMask("3"), decides: kb.majorMask("3") & released });
  return groups.filter((g) => g.mask !== 0);
}

const on = (g: VersionGroup): string => (g.label ? ` on ${g.label}` : "");

/** Imports whose names the KB may judge: plain, module-level or function-level, not guarded or conditional. */
function judgeable(imp: ImportFact): boolean {
  return imp.kind !== "future" && imp.level === 0 && !imp.guarded && !imp.typeChecking && !imp.conditional && imp.module.startsWith("airflow");
}

function closestModule(kb: KnowledgeBase, module: string): string {
  const parent = module.split(".").slice(0, -1).join(".");
  const siblings: string[] = [];
  const all: string[] = [];
  for (const m of kb.moduleNames()) {
    if (m.split(".").slice(0, -1).join(".") === parent) siblings.push(m);
    all.push(m);
  }
  const near = closestNames(module, siblings.length > 0 ? siblings : all, 2);
  if (near.names.length > 0) return didYouMean(near);
  // A module that moved packages keeps its last segment (`airflow.sensors.http` → `airflow.providers.http.sensors.http`).
  const last = module.split(".").pop() ?? module;
  const sameLeaf = all.filter((m) => m.endsWith(`.${last}`) && m.split(".").length > 2);
  return sameLeaf.length > 0 && sameLeaf.length <= 3 ? didYouMean({ names: sameLeaf, certain: false }) : "";
}

/** The versions of `mask` in which the module's names can be decided. */
function decidable(kb: KnowledgeBase, module: string, mask: number): number {
  const entry = kb.module(module);
  if (!entry) return 0;
  return mask & entry.v & ~(entry.open ?? 0);
}

function nameExists(kb: KnowledgeBase, module: string, name: string, mask: number): boolean {
  return kb.nameVariants(module, name, mask).length > 0 || kb.module(`${module}.${name}`) !== undefined;
}

function publicNames(kb: KnowledgeBase, module: string, mask: number): string[] {
  const entry = kb.module(module);
  if (!entry) return [];
  const names = Object.entries(entry.names)
    .filter(([, variants]) => variants.some((v) => v.v & mask))
    .map(([n]) => n);
  const prefix = `${module}.`;
  for (const m of kb.moduleNames()) if (m.startsWith(prefix) && !m.slice(prefix.length).includes(".")) names.push(m.slice(prefix.length));
  return names;
}

/**
 * Where a module that is absent from some versions lives there: the one module of those versions that ends in
 * the same package and name (`airflow.sensors.external_task` → `airflow.providers.standard.sensors.external_task`).
 */
function movedHome(kb: KnowledgeBase, module: string, mask: number): string | undefined {
  const tail = `.${module.split(".").slice(-2).join(".")}`;
  const homes: string[] = [];
  for (const m of kb.moduleNames()) {
    if (m !== module && m.endsWith(tail) && ((kb.module(m)?.v ?? 0) & mask) !== 0) homes.push(m);
    if (homes.length > 1) return undefined;
  }
  return homes[0];
}

/**
 * "; it is defined in `airflow.exceptions`" when one or two other modules of Airflow's core, or of the same
 * provider, define the name.
 */
function definedElsewhere(kb: KnowledgeBase, name: string, module: string): string {
  const homes: string[] = [];
  for (const m of kb.neighbourModuleNames(module)) {
    if (m === module) continue;
    const variants = kb.module(m)?.names[name];
    if (variants?.some((v) => !v.from && (v.k === "class" || v.k === "function"))) homes.push(m);
    if (homes.length > 2) return "";
  }
  return homes.length > 0 ? `; it is defined in ${homes.map((h) => `\`${h}\``).join(" and ")}` : "";
}

function replacementOf(kb: KnowledgeBase, module: string, mask: number): string | undefined {
  return kb.module(module)?.movedTo?.find((m) => m.v & mask)?.to;
}

interface ImportRename {
  node: PyNode;
  from: string;
  to: string;
}

const IMPORT_CHECK: MemoKey<{ hits: Hit[]; renames: ImportRename[] }> = { description: "knowledge-base import findings" };

function apiImport(a: Analysis): Hit[] {
  return a.memo(IMPORT_CHECK, () => checkImports(a)).hits;
}

/**
 * `from m import HTTPHook` → `HttpHook` where the only real name differs in case: the import and every use of
 * the name in the file are renamed.
 */
export const apiImportFixer = builtinRule("fix/api-unknown-import", "api-unknown-import", "Correct the case of an imported Airflow name", (a) => {
  const out: RewriteMatch[] = [];
  for (const r of a.memo(IMPORT_CHECK, () => checkImports(a)).renames) {
    const edits: TextEdit[] = [{ start: r.node.start, end: r.node.end, text: r.to }];
    for (const id of a.nodes("identifier")) {
      if (id !== r.node && a.text(id) === r.from && usesModuleBinding(a, id, r.from)) edits.push({ start: id.start, end: id.end, text: r.to });
    }
    out.push({ rule: "fix/api-unknown-import", start: r.node.start, end: r.node.end, description: `import ${r.to} (not ${r.from})`, edits });
  }
  return out;
});

function checkImports(a: Analysis): { hits: Hit[]; renames: ImportRename[] } {
  const kb = knowledgeOf(a);
  const hits: Hit[] = [];
  const renames: ImportRename[] = [];
  if (!kb) return { hits, renames };
  for (const imp of a.facts?.imports ?? []) {
    if (!judgeable(imp) || movedModule(imp.module)) continue;
    const modules = imp.kind === "import" ? imp.names.map((n) => ({ module: n.name, node: n.node })) : [{ module: imp.module, node: imp.node }];
    for (const { module, node } of modules) {
      // The Task SDK on Airflow 2 has its own rule (sdk-import-on-airflow2).
      if (module === "airflow.sdk" || module.startsWith("airflow.sdk.")) {
        if (a.options.airflowVersion !== "3") continue;
      }
      if (!kb.covers(module)) continue;
      const entry = kb.module(module);
      const groups = groupsFor(kb, module, a.options.airflowVersion);
      if (!entry) {
        const deciding = groups.filter((g) => g.decides !== 0);
        if (deciding.length === 0) continue;
        const where = deciding.length === groups.length && groups.length === 1 && !groups[0]?.label ? ` in Airflow ${kb.describeMask(kb.allMask)} or its providers` : deciding.map(on).join(" or");
        hits.push(hitAt(a, node, `module \`${module}\` does not exist${where} (ModuleNotFoundError)${closestModule(kb, module)}`));
        continue;
      }
      const absent = groups.filter((g) => !(entry.v & g.mask) && g.decides !== 0);
      if (absent.length > 0) {
        const present = kb.describeMask(entry.v);
        for (const g of absent) {
          const instead = replacementOf(kb, module, kb.allMask) ?? movedHome(kb, module, g.mask);
          hits.push(
            hitAt(
              a,
              node,
              `module \`${module}\` does not exist${on(g)} (ModuleNotFoundError; it exists in ${present})${instead ? `; use \`${instead}\`` : ""}${
                a.options.airflowVersion === "both" ? ", or guard the import with try/except ImportError" : ""
              }`,
            ),
          );
        }
        continue;
      }
      if (imp.kind !== "from" || imp.star) continue;
      for (const n of imp.names) {
        if (n.name.startsWith("_")) continue;
        const missingIn: VersionGroup[] = [];
        const presentIn: VersionGroup[] = [];
        for (const g of groups) {
          if (nameExists(kb, module, n.name, g.mask & entry.v)) {
            presentIn.push(g);
            continue;
          }
          // Absent from every version of the group that decides, and every such version can be decided.
          const deciding = g.decides & entry.v;
          if (deciding !== 0 && decidable(kb, module, deciding) === deciding) missingIn.push(g);
        }
        if (missingIn.length === 0) continue;
        const scopeMask = missingIn.reduce((m, g) => m | g.mask, 0) & entry.v;
        const suggestion = closestNames(n.name, publicNames(kb, module, scopeMask));
        const where = presentIn.length === 0 ? "" : missingIn.map(on).join(" or");
        const existsIn = kb.bits(kb.allMask).filter((b) => nameExists(kb, module, n.name, b)).reduce((m, b) => m | b, 0);
        const elsewhere = existsIn !== 0 ? `; it exists in ${kb.describeMask(existsIn)}` : "";
        const home = suggestion.certain || existsIn !== 0 ? "" : definedElsewhere(kb, n.name, module);
        const fixable = suggestion.certain && existsIn === 0 && !n.alias;
        hits.push(hitAt(a, n.node, `\`${module}\` has no \`${n.name}\`${where} (ImportError${elsewhere})${home || didYouMean(suggestion)}`, { fixable }));
        if (fixable && suggestion.names[0]) renames.push({ node: n.node, from: n.name, to: suggestion.names[0] });
      }
    }
  }
  return { hits, renames };
}

// ---------------------------------------------------------------------------------------------------------
// Calls and members: names in the file bound to KB classes and functions.

interface Binding {
  /** Dotted KB path the name stands for (`airflow.providers.http.hooks.http.HttpHook`), or a module path. */
  path: string;
  /** The module the import came from: its versions decide the groups. */
  module: string;
}

interface Bindings {
  /** Names bound once, by one judgeable import, at module level. */
  names: Map<string, Binding>;
  /** Names that something other than that import also binds at module level. */
  shadowed: Set<string>;
}

const BINDINGS: MemoKey<Bindings> = { description: "module names bound to knowledge-base paths" };

function bindingsOf(a: Analysis): Bindings {
  return a.memo(BINDINGS, () => {
    const names = new Map<string, Binding>();
    const counts = new Map<string, number>();
    for (const imp of a.facts?.imports ?? []) for (const n of imp.names) counts.set(n.bound, (counts.get(n.bound) ?? 0) + 1);
    for (const imp of a.facts?.imports ?? []) {
      if (!judgeable(imp) || !imp.moduleLevel) continue;
      for (const n of imp.names) {
        if ((counts.get(n.bound) ?? 0) !== 1) continue;
        if (imp.kind === "from") names.set(n.bound, { path: `${imp.module}.${n.name}`, module: imp.module });
        else if (n.alias) names.set(n.bound, { path: n.name, module: n.name });
        else if (!n.name.includes(".")) names.set(n.bound, { path: n.name, module: n.name });
      }
    }
    // Any other module-level binding of the same name (def, class, assignment) makes it ambiguous.
    const shadowed = new Set<string>();
    for (const cls of a.facts?.classes ?? []) shadowed.add(cls.name);
    for (const fn of a.facts?.functions ?? []) shadowed.add(fn.name);
    for (const node of a.nodes("assignment", "augmented_assignment")) {
      const left = field(node, "left");
      if (left?.type === "identifier") shadowed.add(a.text(left));
    }
    for (const s of shadowed) names.delete(s);
    return { names, shadowed };
  });
}

const USE_SCOPES: MemoKey<Map<PyNode, Scope>> = { description: "scope of each name use" };

/** Whether an identifier use refers to the module-level binding (no enclosing function binds the name). */
function usesModuleBinding(a: Analysis, node: PyNode, name: string): boolean {
  const byNode = a.memo(USE_SCOPES, () => new Map(a.scopes().uses.map((u) => [u.node, u.scope])));
  let scope = byNode.get(node);
  if (!scope) return false;
  while (scope && scope.kind !== "module") {
    if (scope.names.has(name)) return false;
    scope = scope.parent ?? undefined;
  }
  return true;
}

/** The KB path an expression names through the file's imports (`HttpHook`, `s3.S3Hook`, `airflow.exceptions.X`). */
function pathOf(a: Analysis, expr: PyNode | undefined): Binding | undefined {
  const dotted = dottedName(expr, a.source);
  if (!dotted) return undefined;
  const [head, ...rest] = dotted.split(".");
  if (!head) return undefined;
  const binding = bindingsOf(a).names.get(head);
  if (!binding) return undefined;
  let first: PyNode | undefined = expr;
  while (first?.type === "attribute") first = field(first, "object");
  if (!first || first.type !== "identifier" || !usesModuleBinding(a, first, head)) return undefined;
  return { path: [binding.path, ...rest].join("."), module: binding.module };
}

type Callable = { kind: "class" | "function"; qualified: string } | { kind: "method"; qualified: string; method: string };

/** Each version bit of a group → what the path is there. */
function callableAt(kb: KnowledgeBase, path: string, bit: number): Lookup<Callable> {
  const split = kb.splitQualified(path);
  if (!split || split.rest.length !== 1) return { status: "unknown" };
  const found = kb.resolve(split.module, split.rest[0] as string, bit);
  if (found.status !== "found") return found;
  const { variant, qualified } = found.value;
  if (variant.k === "class" && variant.cls) return { status: "found", value: { kind: "class", qualified } };
  if (variant.k === "function" && variant.sig) return { status: "found", value: { kind: "function", qualified } };
  return { status: "unknown" };
}

function signatureAt(kb: KnowledgeBase, c: Callable, bit: number): Lookup<{ sig: ParsedSignature; owner: string }> {
  if (c.kind === "class") return kb.initOf(c.qualified, bit);
  if (c.kind === "method") return kb.methodOf(c.qualified, c.method, bit);
  const split = kb.splitQualified(c.qualified);
  const variant = split ? kb.nameVariants(split.module, split.rest[0] ?? "", bit)[0] : undefined;
  if (!variant?.sig) return { status: "unknown" };
  return { status: "found", value: { sig: parseSignature(variant.sig), owner: c.qualified } };
}

function shortName(qualified: string): string {
  return qualified.split(".").pop() ?? qualified;
}

interface CallProblem {
  node: PyNode;
  message: string;
}

/** Checks one call against the signature in every version of each group; reports what fails in all versions of a group. */
function checkCall(a: Analysis, kb: KnowledgeBase, call: CallFact, shown: string, groups: VersionGroup[], target: (bit: number) => Lookup<Callable>): CallProblem[] {
  const argList = field(call.node, "arguments");
  if (!argList || argList.type !== "argument_list") return [];
  const hasSplat = namedChildren(argList).some((c) => c.type === "list_splat" || c.type === "dictionary_splat");
  const positional = call.args.filter((n) => n.type !== "list_splat" && n.type !== "dictionary_splat" && n.type !== "comment").length;
  for (const g of groups) {
    const sigs: { sig: ParsedSignature; owner: string; bound: boolean }[] = [];
    let decided = true;
    for (const bit of kb.bits(g.decides)) {
      const c = target(bit);
      if (c.status === "missing") continue;
      if (c.status === "unknown") {
        decided = false;
        break;
      }
      const s = signatureAt(kb, c.value, bit);
      if (s.status !== "found") {
        decided = false;
        break;
      }
      if (s.value.sig.decorator === "property") {
        decided = false;
        break;
      }
      // Methods and __init__ are called bound: their first parameter is filled already.
      const bound = c.value.kind !== "function" && s.value.sig.decorator !== "staticmethod";
      sigs.push({ ...s.value, bound });
    }
    if (!decided || sigs.length === 0) continue;
    const problems: CallProblem[] = [];
    const accepted = (p: { kind: string }): boolean => p.kind === "plain" || p.kind === "keyword-only";
    // Unknown keywords: not accepted by any version's signature.
    if (!sigs.some((s) => s.sig.hasKwargs)) {
      for (const kw of call.keywords) {
        if (!kw.name) continue;
        const ok = sigs.some((s) => s.sig.params.slice(s.bound ? 1 : 0).some((p) => accepted(p) && p.name === kw.name));
        if (ok) continue;
        const all = new Set(sigs.flatMap((s) => s.sig.params.slice(s.bound ? 1 : 0).filter(accepted).map((p) => p.name)));
        const sig = sigs[sigs.length - 1] as (typeof sigs)[number];
        const listed = sig.sig.params.slice(sig.bound ? 1 : 0).filter(accepted).map((p) => p.name);
        problems.push({
          node: kw.node,
          message: `${shown}() got an unexpected keyword argument '${kw.name}'${on(g)} (TypeError); it takes ${
            listed.length > 0 ? listed.join(", ") : "no keyword arguments"
          }${didYouMean(closestNames(kw.name, all, 2))}`,
        });
      }
    }
    // Missing required parameters: required in every version and given neither by position nor by name.
    if (!hasSplat && !sigs.some((s) => s.sig.wrapped)) {
      const given = new Set(call.keywords.map((k) => k.name));
      const missingEverywhere = sigs
        .map((s) => {
          const params = s.sig.params.slice(s.bound ? 1 : 0);
          const positionalParams = params.filter((p) => p.kind === "plain" || p.kind === "positional-only");
          const filled = new Set(positionalParams.slice(0, positional).map((p) => p.name));
          return params.filter((p) => (p.kind === "plain" || p.kind === "keyword-only" || p.kind === "positional-only") && !p.hasDefault && !filled.has(p.name) && !given.has(p.name)).map((p) => p.name);
        })
        .reduce((acc, names) => acc.filter((n) => names.includes(n)));
      if (missingEverywhere.length > 0) {
        problems.push({
          node: call.node,
          message: `${shown}() is missing required argument${missingEverywhere.length > 1 ? "s" : ""} ${missingEverywhere.map((n) => `'${n}'`).join(", ")}${on(g)} (TypeError)`,
        });
      }
    }
    if (problems.length > 0) return problems;
  }
  return [];
}

// Instances: names and self attributes bound to a call of a KB class.

interface InstanceSites {
  /** `hook = S3Hook(...)` in a function: the function node + name → class path. */
  locals: Map<PyNode, Map<string, Binding>>;
  /** `self.hook = S3Hook(...)` / `@cached_property def hook(self): return S3Hook(...)` in a class → path. */
  selfAttrs: Map<PyNode, Map<string, Binding>>;
}

const INSTANCES: MemoKey<InstanceSites> = { description: "names bound to instances of knowledge-base classes" };

function instanceSites(a: Analysis): InstanceSites {
  return a.memo(INSTANCES, () => {
    const locals = new Map<PyNode, Map<string, Binding | null>>();
    const selfAttrs = new Map<PyNode, Map<string, Binding | null>>();
    const record = <K>(map: Map<K, Map<string, Binding | null>>, key: K, name: string, value: Binding | null): void => {
      let inner = map.get(key);
      if (!inner) map.set(key, (inner = new Map()));
      const prev = inner.get(name);
      // Bound twice to different things (or to anything unknown): not judged.
      inner.set(name, prev === undefined ? value : prev && value && prev.path === value.path ? prev : null);
    };
    const classOfCall = (value: PyNode | undefined): Binding | null => {
      if (value?.type !== "call") return null;
      return pathOf(a, field(value, "function")) ?? null;
    };
    for (const node of a.nodes("assignment", "augmented_assignment", "named_expression", "for_statement", "with_item", "as_pattern")) {
      const targets: PyNode[] = [];
      if (node.type === "assignment" || node.type === "augmented_assignment") {
        const left = field(node, "left");
        if (left) targets.push(...(left.type === "pattern_list" || left.type === "tuple_pattern" ? namedChildren(left) : [left]));
      } else if (node.type === "named_expression") {
        const name = field(node, "name");
        if (name) targets.push(name);
      } else if (node.type === "for_statement") {
        const left = field(node, "left");
        if (left) walk(left, (n) => void (n.type === "identifier" && targets.push(n)));
      } else {
        walk(node, (n) => void (n.type === "identifier" && n.parent?.type === "as_pattern_target" && targets.push(n)));
      }
      const single = node.type === "assignment" && targets.length === 1 && field(node, "right")?.type === "call";
      const value = single ? classOfCall(field(node, "right")) : null;
      for (const t of targets) {
        if (t.type === "identifier") {
          const def = enclosingFunction(t);
          if (def) record(locals, def, a.text(t), value);
        } else if (t.type === "attribute") {
          const obj = field(t, "object");
          const attr = field(t, "attribute");
          if (obj?.type !== "identifier" || !attr || a.text(obj) !== "self") continue;
          const def = enclosingFunction(t);
          const cls = def ? ownerClass(def) : undefined;
          if (cls) record(selfAttrs, cls, a.text(attr), value);
        }
      }
    }
    // Parameters of a function bind their names to unknown values.
    for (const fn of a.facts?.functions ?? []) for (const p of fn.params) if (p.name) record(locals, fn.node, p.name, null);
    // `@cached_property def hook(self): return SomeHook(...)`.
    for (const fn of a.facts?.functions ?? []) {
      if (!fn.owner || !fn.decorators.some((d) => /(^|\.)(cached_property|property)$/.test(d.name)) || !fn.body) continue;
      const returns: PyNode[] = [];
      walk(fn.body, (n) => {
        if (n !== fn.body && (n.type === "function_definition" || n.type === "lambda" || n.type === "class_definition")) return false;
        if (n.type === "return_statement") returns.push(n);
      });
      const values = returns.map((r) => classOfCall(namedChildren(r)[0]));
      const value = values.length > 0 && values.every((v) => v && v.path === values[0]?.path) ? (values[0] ?? null) : null;
      record(selfAttrs, fn.owner.node, fn.name, value);
    }
    const clean = <K>(map: Map<K, Map<string, Binding | null>>): Map<K, Map<string, Binding>> => {
      const out = new Map<K, Map<string, Binding>>();
      for (const [k, inner] of map) {
        const kept = new Map<string, Binding>();
        for (const [name, b] of inner) if (b) kept.set(name, b);
        if (kept.size > 0) out.set(k, kept);
      }
      return out;
    };
    return { locals: clean(locals), selfAttrs: clean(selfAttrs) };
  });
}

/** The KB class an expression evaluates to an instance of: `hook`, `self.hook`, `S3Hook(...)`. */
function instanceOf(a: Analysis, expr: PyNode | undefined): Binding | undefined {
  if (!expr) return undefined;
  if (expr.type === "call") return pathOf(a, field(expr, "function"));
  const sites = instanceSites(a);
  if (expr.type === "identifier") {
    const def = enclosingFunction(expr);
    const local = def ? sites.locals.get(def)?.get(a.text(expr)) : undefined;
    // Otherwise a class itself (`BaseHook.get_connection`): its members are judged the same way.
    return local ?? pathOf(a, expr);
  }
  if (expr.type === "attribute") {
    const obj = field(expr, "object");
    const attr = field(expr, "attribute");
    if (obj?.type !== "identifier" || a.text(obj) !== "self" || !attr) return undefined;
    const def = enclosingFunction(expr);
    const cls = def ? ownerClass(def) : undefined;
    return cls ? sites.selfAttrs.get(cls)?.get(a.text(attr)) : undefined;
  }
  return undefined;
}

function classAtBits(kb: KnowledgeBase, path: string): (bit: number) => Lookup<Callable> {
  return (bit) => {
    const c = callableAt(kb, path, bit);
    return c.status === "found" && c.value.kind !== "class" ? { status: "unknown" } : c;
  };
}

/** Attributes written on an instance anywhere in the file (`hook.extra = …`): such names are never reported. */
function assignedAttributes(a: Analysis): Set<string> {
  const out = new Set<string>();
  for (const node of a.nodes("assignment", "augmented_assignment")) {
    const left = field(node, "left");
    const targets = left && (left.type === "pattern_list" || left.type === "tuple_pattern") ? namedChildren(left) : left ? [left] : [];
    for (const t of targets) {
      const attr = t.type === "attribute" ? field(t, "attribute") : undefined;
      if (attr) out.add(a.text(attr));
    }
  }
  return out;
}

const VERSION_TEST = /AIRFLOW_V_\d|AIRFLOW_VERSION|airflow_version|__version__|\bVersion\(/;

/** Code under `if AIRFLOW_V_3_0_PLUS:` (or its else) runs on some versions only: not judged against all of them. */
function underVersionSwitch(a: Analysis, node: PyNode): boolean {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === "if_statement" || p.type === "conditional_expression" || p.type === "elif_clause") {
      const cond = p.type === "conditional_expression" ? namedChildren(p)[1] : field(p, "condition");
      if (cond && VERSION_TEST.test(a.text(cond))) return true;
      if (p.type === "if_statement") {
        for (const c of p.children) {
          const elifCond = c.type === "elif_clause" ? field(c, "condition") : undefined;
          if (elifCond && VERSION_TEST.test(a.text(elifCond))) return true;
        }
      }
    }
  }
  return false;
}

function apiCalls(a: Analysis): Hit[] {
  const kb = knowledgeOf(a);
  if (!kb) return [];
  const hits: Hit[] = [];
  for (const call of a.facts?.calls ?? []) {
    const fn = field(call.node, "function");
    if (!fn || underVersionSwitch(a, call.node)) continue;
    if (fn.type === "attribute") {
      // A method of an instance of a known class.
      const inst = instanceOf(a, field(fn, "object"));
      const attr = field(fn, "attribute");
      if (inst && attr) {
        const method = a.text(attr);
        if (method.startsWith("_")) continue;
        const groups = groupsFor(kb, inst.path, a.options.airflowVersion);
        const shown = `${shortName(inst.path)}.${method}`;
        const problems = checkCall(a, kb, call, shown, groups, (bit) => {
          const c = classAtBits(kb, inst.path)(bit);
          if (c.status !== "found") return c;
          const m = kb.methodOf(c.value.qualified, method, bit);
          return m.status === "found" ? { status: "found", value: { kind: "method", qualified: c.value.qualified, method } } : { status: "unknown" };
        });
        for (const p of problems) hits.push(hitAt(a, p.node, p.message));
        continue;
      }
    }
    const binding = pathOf(a, fn);
    if (!binding) continue;
    const groups = groupsFor(kb, binding.path, a.options.airflowVersion);
    const problems = checkCall(a, kb, call, shortName(binding.path), groups, (bit) => callableAt(kb, binding.path, bit));
    for (const p of problems) hits.push(hitAt(a, p.node, p.message));
  }
  return hits;
}

function apiAttributes(a: Analysis): Hit[] {
  const kb = knowledgeOf(a);
  if (!kb) return [];
  const hits: Hit[] = [];
  const written = assignedAttributes(a);
  for (const node of a.nodes("attribute")) {
    const attr = field(node, "attribute");
    if (!attr) continue;
    const name = a.text(attr);
    if (name.startsWith("_") || written.has(name)) continue;
    // Writes define attributes; only reads and calls are judged.
    const parent = node.parent;
    if (parent && (parent.type === "assignment" || parent.type === "augmented_assignment") && field(parent, "left") === node) continue;
    const inst = instanceOf(a, field(node, "object"));
    if (!inst || underVersionSwitch(a, node)) continue;
    const groups = groupsFor(kb, inst.path, a.options.airflowVersion);
    for (const g of groups) {
      let decided = true;
      let known = false;
      const members = new Set<string>();
      for (const bit of kb.bits(g.decides)) {
        const c = classAtBits(kb, inst.path)(bit);
        if (c.status === "missing") continue;
        if (c.status === "unknown") {
          decided = false;
          break;
        }
        const m = kb.membersOf(c.value.qualified, bit);
        if (m.status !== "found") {
          decided = false;
          break;
        }
        known = true;
        for (const k of m.value.keys()) members.add(k);
      }
      if (!decided || !known || members.has(name)) continue;
      hits.push(
        hitAt(a, attr, `${shortName(inst.path)} has no attribute or method '${name}'${on(g)} (AttributeError)${didYouMean(closestNames(name, members))}`),
      );
      break;
    }
  }
  return hits;
}

interface ModuleMove {
  imp: ImportFact;
  to: string;
  hit: Hit;
  /** The new module defines every imported name: rewriting the path is certain (only when Airflow 3 alone is targeted). */
  certain: boolean;
}

const MOVES: MemoKey<ModuleMove[]> = { description: "imports from modules Airflow moved" };

/** `from airflow.sensors.external_task import …` where Airflow 3 keeps the module only as an alias of its new home. */
function modulesMoved(a: Analysis): ModuleMove[] {
  return a.memo(MOVES, () => {
    const kb = knowledgeOf(a);
    const out: ModuleMove[] = [];
    if (!kb || a.options.airflowVersion === "2") return out;
    const v3 = kb.majorMask("3");
    for (const imp of a.facts?.imports ?? []) {
      if (imp.kind !== "from" || imp.star || !judgeable(imp) || movedModule(imp.module)) continue;
      const to = kb.module(imp.module)?.movedTo?.find((m) => m.v & v3)?.to;
      if (!to || !/^[\w.]+$/.test(to) || !kb.module(to)) continue;
      const certain = a.options.airflowVersion === "3" && imp.names.every((n) => kb.nameVariants(to, n.name, v3).length > 0);
      const advice =
        a.options.airflowVersion === "3"
          ? `import from \`${to}\``
          : `for both versions use \`try: from ${to} import …\` / \`except ImportError: from ${imp.module} import …\``;
      out.push({
        imp,
        to,
        certain,
        hit: hitAt(a, imp.node, `\`${imp.module}\` is a deprecated alias on Airflow 3 (the module moved to \`${to}\`); ${advice}`, { fixable: certain }),
      });
    }
    return out;
  });
}

export const apiMovedModuleFixer = builtinRule("fix/api-moved-module", "api-moved-module", "Import from the module's new home on Airflow 3", (a) => {
  const out: RewriteMatch[] = [];
  for (const m of modulesMoved(a)) {
    if (!m.certain) continue;
    const moduleNode = field(m.imp.node, "module_name");
    if (!moduleNode) continue;
    out.push({
      rule: "fix/api-moved-module",
      start: m.imp.node.start,
      end: m.imp.node.end,
      description: `import from ${m.to} instead of ${m.imp.module}`,
      edits: [{ start: moduleNode.start, end: moduleNode.end, text: m.to }],
    });
  }
  return out;
});

export const apiRules: Rule[] = [
  {
    id: "api-unknown-import",
    category: "import",
    severity: "error",
    description: "An Airflow module or name that does not exist in the targeted Airflow versions (from the knowledge base built from Airflow's source).",
    fixable: true,
    needsCleanTree: true,
    check: apiImport,
  },
  {
    id: "api-moved-module",
    category: "import",
    severity: "warning",
    description: "An import from an Airflow module that Airflow 3 keeps only as a deprecated alias of its new home (from the knowledge base).",
    fixable: true,
    needsCleanTree: true,
    check: (a) => modulesMoved(a).map((m) => m.hit),
  },
  {
    id: "api-call-arguments",
    category: "airflow",
    severity: "error",
    description: "A call of a known Airflow class, function or method with a keyword argument its signature does not take, or without a required one.",
    fixable: false,
    needsCleanTree: true,
    check: apiCalls,
  },
  {
    id: "api-unknown-attribute",
    category: "airflow",
    severity: "error",
    description: "A method or attribute that a known Airflow class (with its bases) does not have.",
    fixable: false,
    needsCleanTree: true,
    check: apiAttributes,
  },
];
