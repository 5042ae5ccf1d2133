/**
 * What one Python module of Airflow defines, read from its syntax tree alone: the names it binds at module
 * level (with the branch structure that decides whether they exist), classes, functions, `__all__`,
 * deprecation shims and warnings. Nothing here looks at other modules: re-exports keep the module and name
 * they import, and `resolve.ts` follows them within one Airflow version.
 */
import { paramFacts } from "../../python/facts.js";
import type { PyNode } from "../../python/parser.js";
import { parsePython } from "../../python/parser.js";
import { dottedName, field, namedChildren, statements, stringBody, stringValue, unparen, walk } from "../../python/tree.js";

/** Where an imported (or aliased) name comes from. */
export type RawOrigin =
  /** `from m import n`, a lazy import, or `x = mod.n` where `mod` is bound to module `m`. */
  | { m: string; n: string }
  /** A dotted path whose module part is decided per version (`x = a.b.C` after `import a.b`). */
  | { path: string };

export interface RawClass {
  /** As written in the class statement (subscripts dropped). */
  bases: string[];
  init?: string[];
  methods: Record<string, string[]>;
  attrs: Record<string, string>;
  open?: boolean;
  decorators?: string[];
}

export interface RawBinding {
  k: "class" | "function" | "variable" | "module" | "import";
  /** For "import": where the name comes from; for "module": the module's path in `{ m, n: "" }`. */
  origin?: RawOrigin;
  cls?: RawClass;
  sig?: string[];
  deprecated?: string;
  guarded?: boolean;
  /** Keep `origin` as written in the output's `from` (a deprecation shim names the replacement to use). */
  asGiven?: boolean;
  /** Definitions of the same name in other branches (try/except, if/else), in source order. */
  alt?: RawBinding[];
}

export interface RawStar {
  module: string;
  guarded: boolean;
}

export interface RawModule {
  /** Every name bound at module level, private ones included (bases and aliases resolve through them). */
  bindings: Record<string, RawBinding>;
  /** `__all__` when every write to it could be read. */
  all?: string[];
  /** Names cannot be decided from the source: an unexplained module `__getattr__`, dynamic `globals()` writes, a syntax error. */
  open?: boolean;
  /** A module-level deprecation warning: the module it names, else its text. */
  movedTo?: string;
  stars: RawStar[];
  /** `add_deprecated_classes({...}, __name__)`: submodule → name → replacement path. */
  shims?: Record<string, Record<string, string>>;
  /** The `__version__` string literal, when the module assigns one. */
  version?: string;
  /** tree-sitter found a syntax error (the module is then open). */
  parseError?: boolean;
}

/** Text limits of the KB format. */
const DEFAULT_CHARS = 60;
const LITERAL_CHARS = 200;

/** Class attributes whose literal value the KB keeps. */
const LITERAL_ATTRS = new Set(["template_fields", "template_ext", "conn_name_attr", "default_conn_name", "conn_type", "hook_name", "ui_color"]);

const DEPRECATION_CATEGORY = /Deprecat|RemovedIn/;

export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Whitespace collapsed; a multi-line text also loses the padding inside its brackets. */
function collapse(text: string): string {
  if (!/[\n\r]/.test(text)) return text;
  return text
    .replace(/\s+/g, " ")
    .replace(/([([{]) /g, "$1")
    .replace(/,? ([)\]}])/g, "$1")
    .trim();
}

/** The absolute module of a relative import (`level` leading dots) from `module`. */
export function absoluteModule(module: string, isPackage: boolean, level: number, name: string): string {
  if (level === 0) return name;
  const parts = module.split(".");
  const base = isPackage ? parts : parts.slice(0, -1);
  const up = base.slice(0, Math.max(0, base.length - (level - 1)));
  if (name) up.push(name);
  return up.join(".");
}

type Env = Map<string, RawBinding>;

interface ModuleContext {
  src: string;
  module: string;
  isPackage: boolean;
  /** Module-level dict literals by the name they are assigned to (for shims and lazy-import maps). */
  dicts: Map<string, PyNode>;
  /** Set when some write to `__all__` could not be read. */
  allUnreadable: boolean;
  all?: string[];
  open: boolean;
  movedTo?: string;
  stars: RawStar[];
  shims?: Record<string, Record<string, string>>;
  version?: string;
  /** Module-level `def __getattr__` nodes: explained afterwards, or the module is open. */
  getattrs: PyNode[];
}

/** Reads one module. `module` is its dotted name; `isPackage` when the file is an `__init__.py`. */
export async function extractModule(source: string, module: string, isPackage: boolean): Promise<RawModule> {
  const parsed = await parsePython(source);
  const ctx: ModuleContext = {
    src: source,
    module,
    isPackage,
    dicts: new Map(),
    allUnreadable: false,
    open: parsed.hasError,
    stars: [],
    getattrs: [],
  };
  const env: Env = new Map();
  execBlock(statements(parsed.root), env, ctx, 0);
  for (const fn of ctx.getattrs) {
    const explained = explainGetattr(fn, ctx, env);
    if (!explained) ctx.open = true;
  }
  globalsWrites(parsed.root, ctx, env);
  globalStatements(parsed.root, ctx, env);
  const out: RawModule = { bindings: Object.fromEntries(env), stars: ctx.stars };
  if (ctx.all && !ctx.allUnreadable) out.all = ctx.all;
  if (ctx.open) out.open = true;
  if (ctx.movedTo !== undefined) out.movedTo = ctx.movedTo;
  if (ctx.shims) out.shims = ctx.shims;
  if (ctx.version !== undefined) out.version = ctx.version;
  if (parsed.hasError) out.parseError = true;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Statements and branches

/** Executes statements in order into `env`; `depth` counts the enclosing branches (0 = always runs). */
function execBlock(stmts: PyNode[], env: Env, ctx: ModuleContext, depth: number): void {
  for (const stmt of stmts) execStatement(stmt, env, ctx, depth);
}

function execStatement(stmt: PyNode, env: Env, ctx: ModuleContext, depth: number): void {
  const { src } = ctx;
  switch (stmt.type) {
    case "import_statement":
    case "import_from_statement":
    case "future_import_statement":
      bindImport(stmt, env, ctx, depth);
      return;
    case "class_definition":
    case "function_definition":
      bindDefinition(stmt, [], env, ctx);
      return;
    case "decorated_definition": {
      const def = field(stmt, "definition");
      if (def) bindDefinition(def, stmt.children.filter((c) => c.type === "decorator"), env, ctx);
      return;
    }
    case "expression_statement":
      for (const child of namedChildren(stmt)) execExpression(child, env, ctx, depth);
      return;
    case "if_statement":
      execIf(stmt, env, ctx, depth);
      return;
    case "try_statement":
      execTry(stmt, env, ctx, depth);
      return;
    case "with_statement": {
      for (const clause of stmt.children.filter((c) => c.type === "with_clause")) {
        walk(clause, (n) => {
          if (n.type === "as_pattern_target") {
            for (const name of targetNames(n, src)) bind(env, name, { k: "variable" });
            return false;
          }
          return undefined;
        });
      }
      execBlock(statements(field(stmt, "body")), env, ctx, depth);
      return;
    }
    case "for_statement":
    case "while_statement": {
      const loop: Env = new Map();
      const left = field(stmt, "left");
      if (left) for (const name of targetNames(left, src)) bind(loop, name, { k: "variable" });
      execBlock(statements(field(stmt, "body")), loop, ctx, depth + 1);
      mergeBranches(env, [loop, new Map()], false);
      const orelse = field(stmt, "alternative");
      if (orelse) {
        const other: Env = new Map();
        execBlock(statements(field(orelse, "body")), other, ctx, depth + 1);
        mergeBranches(env, [other, new Map()], false);
      }
      return;
    }
    case "match_statement": {
      const cases: Env[] = [];
      for (const c of statements(field(stmt, "body"))) {
        if (c.type !== "case_clause") continue;
        const branch: Env = new Map();
        const body = field(c, "consequence");
        execBlock(statements(body), branch, ctx, depth + 1);
        if (!raises(body)) cases.push(branch);
      }
      cases.push(new Map());
      mergeBranches(env, cases, false);
      return;
    }
    case "delete_statement":
      for (const target of namedChildren(stmt)) {
        const items = target.type === "expression_list" ? namedChildren(target) : [target];
        for (const item of items) if (item.type === "identifier") env.delete(src.slice(item.start, item.end));
      }
      return;
    case "type_alias_statement": {
      const left = field(stmt, "left");
      const name = left ? dottedName(namedChildren(left)[0] ?? left, src) : undefined;
      if (name) bind(env, name, { k: "variable" });
      return;
    }
    default:
      return;
  }
}

function bind(env: Env, name: string, binding: RawBinding): void {
  env.set(name, binding);
}

/** Whether a block always ends by raising (a branch that makes the import fail is not an alternative). */
function raises(block: PyNode | undefined): boolean {
  const last = statements(block).at(-1);
  return last?.type === "raise_statement";
}

function isTypeChecking(cond: PyNode | undefined, src: string): "yes" | "not" | undefined {
  const c = unparen(cond);
  if (!c) return undefined;
  const name = dottedName(c, src);
  if (name === "TYPE_CHECKING" || name?.endsWith(".TYPE_CHECKING")) return "yes";
  if (c.type === "not_operator") {
    const arg = dottedName(unparen(field(c, "argument")), src);
    if (arg === "TYPE_CHECKING" || arg?.endsWith(".TYPE_CHECKING")) return "not";
  }
  return undefined;
}

function execIf(stmt: PyNode, env: Env, ctx: ModuleContext, depth: number): void {
  // The chain as (condition, body) pairs; an else has no condition.
  const chain: { cond?: PyNode; body?: PyNode }[] = [{ cond: field(stmt, "condition"), body: field(stmt, "consequence") }];
  for (const alt of stmt.children.filter((c) => c.field === "alternative")) {
    if (alt.type === "elif_clause") chain.push({ cond: field(alt, "condition"), body: field(alt, "consequence") });
    else chain.push({ body: field(alt, "body") });
  }
  // `if TYPE_CHECKING:` never runs; what follows it is the runtime code. `if not TYPE_CHECKING:` always runs.
  while (chain[0]?.cond && isTypeChecking(chain[0].cond, ctx.src) === "yes") chain.shift();
  const first = chain[0];
  if (!first) return;
  if (!first.cond || isTypeChecking(first.cond, ctx.src) === "not") {
    execBlock(statements(first.body), env, ctx, depth);
    return;
  }
  const branches: Env[] = [];
  for (const { body } of chain) {
    const branch: Env = new Map();
    execBlock(statements(body), branch, ctx, depth + 1);
    if (!raises(body)) branches.push(branch);
  }
  if (chain.at(-1)?.cond) branches.push(new Map());
  mergeBranches(env, branches, true);
}

function execTry(stmt: PyNode, env: Env, ctx: ModuleContext, depth: number): void {
  const branches: Env[] = [];
  const main: Env = new Map();
  execBlock(statements(field(stmt, "body")), main, ctx, depth + 1);
  const orelse = stmt.children.find((c) => c.type === "else_clause");
  if (orelse) execBlock(statements(field(orelse, "body")), main, ctx, depth + 1);
  branches.push(main);
  for (const handler of stmt.children.filter((c) => c.type === "except_clause" || c.type === "except_group_clause")) {
    const block = handler.children.find((c) => c.type === "block");
    const branch: Env = new Map();
    execBlock(statements(block), branch, ctx, depth + 1);
    if (!raises(block)) branches.push(branch);
  }
  mergeBranches(env, branches, true);
  const fin = stmt.children.find((c) => c.type === "finally_clause");
  if (fin) execBlock(statements(fin.children.find((c) => c.type === "block")), env, ctx, depth);
}

/**
 * Folds the bindings of alternative branches into `env`. A name is sure (not guarded) when every branch
 * binds it unguarded, or it was surely bound before. The first branch's definition wins; the others are
 * kept as alternatives, and resolution picks the first whose import exists in a version.
 */
function mergeBranches(env: Env, branches: Env[], exhaustive: boolean): void {
  const names = new Set<string>();
  for (const b of branches) for (const n of b.keys()) names.add(n);
  for (const name of names) {
    const defs = branches.map((b) => b.get(name)).filter((d): d is RawBinding => d !== undefined);
    const prev = env.get(name);
    const inAll = exhaustive && defs.length === branches.length;
    const sure = (inAll && defs.every((d) => !d.guarded)) || (prev !== undefined && !prev.guarded);
    const [first, ...rest] = defs;
    if (!first) continue;
    const alts: RawBinding[] = [];
    const seen = new Set<string>([JSON.stringify(strip(first))]);
    for (const d of [...(first.alt ?? []), ...rest.flatMap((r) => [r, ...(r.alt ?? [])]), ...(prev && !inAll ? [prev, ...(prev.alt ?? [])] : [])]) {
      const key = JSON.stringify(strip(d));
      if (seen.has(key)) continue;
      seen.add(key);
      alts.push(strip(d));
    }
    const merged: RawBinding = { ...strip(first) };
    if (!sure) merged.guarded = true;
    if (alts.length > 0) merged.alt = alts;
    env.set(name, merged);
  }
}

/** A binding without its alternatives and guard (what alternatives are compared and kept by). */
function strip(b: RawBinding): RawBinding {
  const { alt: _alt, guarded: _guarded, ...rest } = b;
  return rest;
}

// ---------------------------------------------------------------------------------------------------------
// Bindings

function bindImport(stmt: PyNode, env: Env, ctx: ModuleContext, depth: number): void {
  const { src } = ctx;
  const text = (n: PyNode): string => src.slice(n.start, n.end).replace(/\s+/g, "");
  if (stmt.type === "future_import_statement") {
    for (const n of stmt.children.filter((c) => c.field === "name")) {
      const nameNode = n.type === "aliased_import" ? field(n, "name") : n;
      const alias = n.type === "aliased_import" ? field(n, "alias") : undefined;
      if (!nameNode) continue;
      bind(env, text(alias ?? nameNode), { k: "import", origin: { m: "__future__", n: text(nameNode) } });
    }
    return;
  }
  if (stmt.type === "import_statement") {
    for (const n of stmt.children.filter((c) => c.field === "name")) {
      if (n.type === "aliased_import") {
        const name = field(n, "name");
        const alias = field(n, "alias");
        if (name && alias) bind(env, text(alias), { k: "module", origin: { m: text(name), n: "" } });
      } else {
        const full = text(n);
        const head = full.split(".")[0] ?? full;
        // `import a.b` binds `a`; a plain `import a` after it does not change what `a` is.
        bind(env, head, { k: "module", origin: { m: head, n: "" } });
      }
    }
    return;
  }
  // from ... import ...
  const mod = field(stmt, "module_name");
  let level = 0;
  let name = "";
  if (mod?.type === "relative_import") {
    const prefix = mod.children.find((c) => c.type === "import_prefix");
    level = prefix ? text(prefix).length : 0;
    const dn = mod.children.find((c) => c.type === "dotted_name");
    name = dn ? text(dn) : "";
  } else if (mod) name = text(mod);
  const module = absoluteModule(ctx.module, ctx.isPackage, level, name);
  if (stmt.children.some((c) => c.type === "wildcard_import")) {
    ctx.stars.push({ module, guarded: depth > 0 });
    return;
  }
  for (const n of stmt.children.filter((c) => c.field === "name")) {
    const nameNode = n.type === "aliased_import" ? field(n, "name") : n;
    const alias = n.type === "aliased_import" ? field(n, "alias") : undefined;
    if (!nameNode) continue;
    bind(env, text(alias ?? nameNode), { k: "import", origin: { m: module, n: text(nameNode) } });
  }
}

/** Names a target binds: identifiers, tuple and list patterns, starred names (attributes and subscripts bind none). */
function targetNames(target: PyNode, src: string): string[] {
  const out: string[] = [];
  const visit = (n: PyNode): void => {
    switch (n.type) {
      case "identifier":
        out.push(src.slice(n.start, n.end));
        return;
      case "pattern_list":
      case "tuple_pattern":
      case "list_pattern":
      case "expression_list":
      case "tuple":
      case "list":
      case "parenthesized_expression":
      case "list_splat_pattern":
      case "as_pattern_target":
        for (const c of namedChildren(n)) visit(c);
        return;
      default:
        return;
    }
  };
  visit(target);
  return out;
}

function execExpression(expr: PyNode, env: Env, ctx: ModuleContext, depth: number): void {
  const { src } = ctx;
  if (expr.type === "assignment") {
    // `a = b = value` nests the second assignment on the right.
    const targets: PyNode[] = [];
    let value: PyNode | undefined;
    let annotationOnly = false;
    for (let cur: PyNode | undefined = expr; cur?.type === "assignment"; cur = field(cur, "right")) {
      const left = field(cur, "left");
      if (left) targets.push(left);
      value = field(cur, "right");
      if (!value) annotationOnly = true;
    }
    // A bare annotation (`x: int`) binds nothing at run time.
    if (annotationOnly && targets.length === 1) return;
    for (const target of targets) {
      const names = targetNames(target, src);
      const single = target.type === "identifier" && names.length === 1;
      for (const name of names) {
        if (name === "__all__") readAll(value, ctx, "set");
        if (name === "__version__" && single) {
          const v = stringValue(value, src);
          if (v !== undefined) ctx.version = v;
        }
        if (single && value) {
          const inner = unparen(value);
          if (inner?.type === "dictionary") ctx.dicts.set(name, inner);
        }
        bind(env, name, single ? aliasOrVariable(value, env, ctx) : { k: "variable" });
      }
    }
    return;
  }
  if (expr.type === "augmented_assignment") {
    const left = field(expr, "left");
    if (left?.type === "identifier" && src.slice(left.start, left.end) === "__all__") {
      const op = src.slice(left.end, field(expr, "right")?.start ?? left.end).trim();
      if (op === "+=") readAll(field(expr, "right"), ctx, "add");
      else ctx.allUnreadable = true;
    }
    return;
  }
  if (expr.type === "call") {
    const callee = dottedName(field(expr, "function"), src);
    const args = callArgs(expr, src);
    if (callee === "__all__.extend") readAll(args.positional[0], ctx, "add");
    else if (callee === "__all__.append") {
      const v = stringValue(args.positional[0], src);
      if (v !== undefined && ctx.all) ctx.all.push(v);
      else ctx.allUnreadable = true;
    } else if (callee?.startsWith("__all__.")) ctx.allUnreadable = true;
    else if (callee === "add_deprecated_classes" || callee?.endsWith(".add_deprecated_classes")) readShims(args.positional[0], ctx);
    else if (depth === 0 && isWarn(callee)) {
      const message = deprecationMessage(args, src);
      if (message !== undefined) ctx.movedTo ??= movedTarget(message);
    } else if (callee === "setattr" && args.positional[0] && /^sys\.modules\[/.test(src.slice(args.positional[0].start, args.positional[0].end))) {
      ctx.open = true;
    }
  }
}

/**
 * `x = Name` or `x = mod.Name` where `Name`/`mod` is a class, function or import of this module: an alias
 * that resolves to what it names. Anything else is a variable.
 */
function aliasOrVariable(value: PyNode | undefined, env: Env, ctx: ModuleContext): RawBinding {
  const path = dottedName(unparen(value), ctx.src);
  if (!path) return { k: "variable" };
  const [head, ...rest] = path.split(".");
  const bound = head ? env.get(head) : undefined;
  if (!head || !bound) return { k: "variable" };
  if ((bound.k === "class" || bound.k === "function") && rest.length === 0) return { k: "import", origin: { m: ctx.module, n: head } };
  if (bound.k === "import" && bound.origin && "m" in bound.origin) {
    const o = bound.origin;
    if (rest.length === 0) return { k: "import", origin: o };
    return { k: "import", origin: { path: [o.m, o.n, ...rest].join(".") } };
  }
  if (bound.k === "module" && bound.origin && "m" in bound.origin && rest.length > 0) {
    const base = bound.origin.m;
    if (rest.length === 1) return { k: "import", origin: { m: base, n: rest[0] as string } };
    return { k: "import", origin: { path: [base, ...rest].join(".") } };
  }
  return { k: "variable" };
}

interface CallArgs {
  positional: PyNode[];
  keywords: Map<string, PyNode>;
}

function callArgs(call: PyNode, src: string): CallArgs {
  const positional: PyNode[] = [];
  const keywords = new Map<string, PyNode>();
  const list = field(call, "arguments");
  if (list?.type === "argument_list") {
    for (const arg of namedChildren(list)) {
      if (arg.type === "keyword_argument") {
        const name = field(arg, "name");
        const value = field(arg, "value");
        if (name && value) keywords.set(src.slice(name.start, name.end), value);
      } else positional.push(arg);
    }
  }
  return { positional, keywords };
}

function isWarn(callee: string | undefined): boolean {
  return callee === "warnings.warn" || callee === "warn";
}

/** The message of a `warnings.warn(message, <deprecation category>)` call, or undefined for other warnings. */
function deprecationMessage(args: CallArgs, src: string): string | undefined {
  const category = args.keywords.get("category") ?? args.positional[1];
  const name = dottedName(unparen(category), src) ?? "";
  if (!DEPRECATION_CATEGORY.test(name)) return undefined;
  const message = args.keywords.get("message") ?? args.positional[0];
  return message ? messageText(message, src) : "deprecated";
}

/** A message as written: string bodies joined (interpolations kept as written), whitespace collapsed, cut. */
export function messageText(node: PyNode, src: string): string {
  const parts: string[] = [];
  const visit = (n: PyNode): void => {
    if (n.type === "string") parts.push(stringBody(n, src));
    else if (n.type === "concatenated_string" || n.type === "parenthesized_expression") for (const c of namedChildren(n)) visit(c);
    else parts.push(src.slice(n.start, n.end));
  };
  visit(node);
  return cut(parts.join("").replace(/\s+/g, " ").trim(), LITERAL_CHARS);
}

/** The module a deprecation message points to (`airflow.x.y`), else the message itself. */
export function movedTarget(message: string): string {
  for (const m of message.matchAll(/airflow(?:\.[\w*]+)+/g)) {
    const path = m[0].replace(/\.+$/, "");
    if (!path.includes("*")) return path;
  }
  return message;
}

/** Reads a list or tuple of string literals into `__all__` (set or appended); anything else makes it unreadable. */
function readAll(value: PyNode | undefined, ctx: ModuleContext, mode: "set" | "add"): void {
  const v = unparen(value);
  const names: string[] = [];
  if (v && (v.type === "list" || v.type === "tuple")) {
    for (const item of namedChildren(v)) {
      const s = stringValue(item, ctx.src);
      if (s === undefined) {
        ctx.allUnreadable = true;
        return;
      }
      names.push(s);
    }
  } else {
    ctx.allUnreadable = true;
    return;
  }
  if (mode === "set") ctx.all = names;
  else if (ctx.all) ctx.all.push(...names);
  else ctx.allUnreadable = true;
}

/** `add_deprecated_classes(<dict or name of a module-level dict>, __name__, ...)`. */
function readShims(arg: PyNode | undefined, ctx: ModuleContext): void {
  let dict = unparen(arg);
  if (dict?.type === "identifier") dict = ctx.dicts.get(ctx.src.slice(dict.start, dict.end));
  if (dict?.type !== "dictionary") {
    ctx.open = true;
    return;
  }
  const shims: Record<string, Record<string, string>> = ctx.shims ?? {};
  for (const [sub, inner] of dictPairs(dict, ctx.src)) {
    const names = unparen(inner);
    if (names?.type !== "dictionary") continue;
    const target: Record<string, string> = (shims[sub] ??= {});
    for (const [name, value] of dictPairs(names, ctx.src)) {
      const path = stringValue(unparen(value), ctx.src);
      if (path !== undefined) target[name] = path;
    }
  }
  ctx.shims = shims;
}

/** String-keyed pairs of a dict literal. */
function dictPairs(dict: PyNode, src: string): [string, PyNode][] {
  const out: [string, PyNode][] = [];
  for (const pair of namedChildren(dict)) {
    if (pair.type !== "pair") continue;
    const key = stringValue(field(pair, "key"), src);
    const value = field(pair, "value");
    if (key !== undefined && value) out.push([key, value]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Classes and functions

function decoratorName(d: PyNode, src: string): { name: string; call?: PyNode } {
  let expr = namedChildren(d)[0];
  let call: PyNode | undefined;
  if (expr?.type === "call") {
    call = expr;
    expr = field(expr, "function");
  }
  return { name: dottedName(expr, src) ?? src.slice(d.start + 1, d.end).trim(), call };
}

/** `@deprecated(...)`: the replacement it names, else its reason, else its first string. */
function deprecatedDecorator(decorators: PyNode[], src: string): string | undefined {
  for (const d of decorators) {
    const { name, call } = decoratorName(d, src);
    if (name.split(".").pop() !== "deprecated") continue;
    if (!call) return "deprecated";
    const args = callArgs(call, src);
    const use = args.keywords.get("use_instead") ?? args.keywords.get("reason") ?? args.positional.find((a) => stringValue(a, src) !== undefined || a.type === "string" || a.type === "concatenated_string");
    return use ? messageText(use, src) : "deprecated";
  }
  return undefined;
}

/** A deprecation warning among the top-level statements of a body (warnings in branches concern parameters). */
function warnsDeprecation(fn: PyNode, src: string): string | undefined {
  const params = new Set(paramFacts(field(fn, "parameters") ?? fn, src).map((p) => p.name));
  for (const stmt of statements(field(fn, "body"))) {
    if (stmt.type !== "expression_statement") continue;
    const call = namedChildren(stmt)[0];
    if (call?.type !== "call" || !isWarn(dottedName(field(call, "function"), src))) continue;
    const args = callArgs(call, src);
    // A message passed in (`warnings.warn(message, DeprecationWarning)`) is a helper warning for its caller.
    const message0 = unparen(args.keywords.get("message") ?? args.positional[0]);
    if (message0?.type === "identifier" && params.has(src.slice(message0.start, message0.end))) continue;
    const message = deprecationMessage(args, src);
    if (message !== undefined) return message;
  }
  return undefined;
}

function bindDefinition(def: PyNode, decorators: PyNode[], env: Env, ctx: ModuleContext): void {
  const { src } = ctx;
  const nameNode = field(def, "name");
  if (!nameNode) return;
  const name = src.slice(nameNode.start, nameNode.end);
  if (def.type === "function_definition") {
    if (name === "__getattr__") ctx.getattrs.push(def);
    const decoratorNames = decorators.map((d) => decoratorName(d, src).name.split(".").pop());
    // An `@overload` stub is replaced by the implementation that follows it.
    if (decoratorNames.includes("overload") && env.get(name)?.k === "function") return;
    const binding: RawBinding = { k: "function", sig: signature(def, src, markers(decorators, src).filter((m) => m === "@wrapped")) };
    // Helpers such as `getattr_with_deprecation` warn on behalf of their callers.
    const helper = /deprecat|warn/i.test(name);
    const deprecated = deprecatedDecorator(decorators, src) ?? (helper ? undefined : warnsDeprecation(def, src));
    if (deprecated !== undefined) binding.deprecated = deprecated;
    bind(env, name, binding);
    return;
  }
  const cls = classInfo(def, src);
  const classDecorators = decorators.map((d) => decoratorName(d, src).name.split(".").pop() ?? "").filter((n) => n && !PLAIN_CLASS_DECORATORS.has(n));
  if (classDecorators.length > 0) cls.decorators = classDecorators;
  const binding: RawBinding = { k: "class", cls };
  let deprecated = deprecatedDecorator(decorators, src);
  if (deprecated === undefined) {
    const init = classBodyDefs(field(def, "body"), src).find((f) => f.name === "__init__");
    if (init) deprecated = warnsDeprecation(init.def, src);
  }
  if (deprecated !== undefined) binding.deprecated = deprecated;
  bind(env, name, binding);
}

/** Class decorators that leave the class's `__init__` as written. */
const PLAIN_CLASS_DECORATORS = new Set(["deprecated", "total_ordering", "final", "runtime_checkable", "unique", "add_deprecated_classes", "public"]);

/** Method decorators that keep the signature as written. */
const PLAIN_METHOD_DECORATORS = new Set(["abstractmethod", "overload", "override", "deprecated", "final", "cache", "lru_cache", "wraps", "provide_session", "apply_defaults"]);

/** Markers the format puts before a method's parameters. */
function markers(decorators: PyNode[], src: string): string[] {
  const out: string[] = [];
  for (const d of decorators) {
    const name = decoratorName(d, src).name;
    const last = name.split(".").pop() ?? "";
    if (last === "staticmethod") out.push("@staticmethod");
    else if (last === "classmethod") out.push("@classmethod");
    else if (last === "property" || last === "cached_property" || last === "abstractproperty") out.push("@property");
    else if (!PLAIN_METHOD_DECORATORS.has(last) && !/\.(setter|getter|deleter)$/.test(name)) out.push("@wrapped");
  }
  return [...new Set(out)];
}

export function signature(def: PyNode, src: string, leading: string[]): string[] {
  const out = [...leading];
  const paramsNode = field(def, "parameters");
  if (!paramsNode) return out;
  for (const p of paramFacts(paramsNode, src)) {
    const ann = p.annotation ? `: ${collapse(p.annotation)}` : "";
    switch (p.kind) {
      case "bare-star":
        out.push("*");
        break;
      case "slash":
        out.push("/");
        break;
      case "args":
        out.push(`*${p.name}${ann}`);
        break;
      case "kwargs":
        out.push(`**${p.name}${ann}`);
        break;
      default: {
        const dflt = p.defaultNode ? cut(collapse(src.slice(p.defaultNode.start, p.defaultNode.end)), DEFAULT_CHARS) : undefined;
        out.push(dflt === undefined ? `${p.name}${ann}` : ann ? `${p.name}${ann} = ${dflt}` : `${p.name}=${dflt}`);
      }
    }
  }
  return out;
}

interface BodyDef {
  name: string;
  def: PyNode;
  decorators: PyNode[];
}

/** Function definitions of a class body, descending into `if`/`try` blocks but not into nested scopes. */
function classBodyDefs(body: PyNode | undefined, src: string): BodyDef[] {
  const out: BodyDef[] = [];
  const visit = (stmts: PyNode[]): void => {
    for (const s of stmts) {
      if (s.type === "function_definition") out.push({ name: "", def: s, decorators: [] });
      else if (s.type === "decorated_definition") {
        const def = field(s, "definition");
        if (def?.type === "function_definition") out.push({ name: "", def, decorators: s.children.filter((c) => c.type === "decorator") });
      } else if (s.type === "if_statement" || s.type === "try_statement" || s.type === "with_statement") {
        for (const block of blocksOf(s)) visit(statements(block));
      }
    }
  };
  visit(statements(body));
  for (const d of out) {
    const n = field(d.def, "name");
    d.name = n ? src.slice(n.start, n.end) : "";
  }
  return out;
}

/** The blocks directly under a compound statement (bodies of if/elif/else, try/except/else/finally, with). */
function blocksOf(stmt: PyNode): PyNode[] {
  const out: PyNode[] = [];
  for (const c of stmt.children) {
    if (c.type === "block") out.push(c);
    else if (["elif_clause", "else_clause", "except_clause", "except_group_clause", "finally_clause"].includes(c.type)) {
      for (const cc of c.children) if (cc.type === "block") out.push(cc);
    }
  }
  return out;
}

function classInfo(def: PyNode, src: string): RawClass {
  const bases: string[] = [];
  const superclasses = field(def, "superclasses");
  if (superclasses) {
    for (const b of namedChildren(superclasses)) {
      if (b.type === "keyword_argument" || b.type === "dictionary_splat" || b.type === "list_splat") continue;
      const target = b.type === "subscript" ? field(b, "value") : b;
      const name = dottedName(target, src);
      if (name) bases.push(name);
    }
  }
  const body = field(def, "body");
  const methods: Record<string, string[]> = {};
  const attrs: Record<string, string> = {};
  let init: string[] | undefined;
  let open = false;
  const overloads = new Set<string>();
  const defs = classBodyDefs(body, src);
  for (const d of defs) {
    if (d.name === "__getattr__" || d.name === "__getattribute__") open = true;
    const decoratorNames = d.decorators.map((x) => decoratorName(x, src).name);
    // Property setters and deleters (`@x.setter`) re-define a name already listed.
    if (decoratorNames.some((n) => /\.(setter|deleter|getter)$/.test(n))) continue;
    const isOverload = decoratorNames.some((n) => n.split(".").pop() === "overload");
    if (d.name === "__init__") {
      if (!init || overloads.has(d.name) || !isOverload) init = init && isOverload ? init : signature(d.def, src, markers(d.decorators, src).filter((m) => m === "@wrapped"));
      if (isOverload) overloads.add(d.name);
      else overloads.delete(d.name);
      continue;
    }
    if (d.name.startsWith("_")) continue;
    if (methods[d.name] && isOverload) continue;
    if (methods[d.name] && !overloads.has(d.name)) continue;
    methods[d.name] = signature(d.def, src, markers(d.decorators, src));
    if (isOverload) overloads.add(d.name);
    else overloads.delete(d.name);
  }
  // Class-level assignments and annotations, nested classes, in if/try blocks too.
  const classLevel = (stmts: PyNode[]): void => {
    for (const s of stmts) {
      if (s.type === "expression_statement") {
        for (let cur: PyNode | undefined = namedChildren(s)[0]; cur?.type === "assignment"; cur = field(cur, "right")) {
          const left = field(cur, "left");
          if (!left) continue;
          const single = left.type === "identifier";
          for (const name of targetNames(left, src)) {
            if (name.startsWith("_") || name in methods) continue;
            const value = field(cur, "right");
            if (single && LITERAL_ATTRS.has(name) && value && value.type !== "assignment") attrs[name] = cut(collapse(src.slice(value.start, value.end)), LITERAL_CHARS);
            else if (!(name in attrs)) attrs[name] = "";
          }
        }
      } else if (s.type === "class_definition" || s.type === "decorated_definition") {
        const inner = s.type === "decorated_definition" ? field(s, "definition") : s;
        const n = inner?.type === "class_definition" ? field(inner, "name") : undefined;
        const name = n ? src.slice(n.start, n.end) : "";
        if (name && !name.startsWith("_") && !(name in methods) && !(name in attrs)) attrs[name] = "";
      } else if (s.type === "if_statement" || s.type === "try_statement" || s.type === "with_statement") {
        for (const block of blocksOf(s)) classLevel(statements(block));
      }
    }
  };
  classLevel(statements(body));
  // `self.x = …` (and `cls.x = …` in class methods) in any method.
  for (const d of defs) {
    const first = paramFacts(field(d.def, "parameters") ?? d.def, src)[0];
    if (!first || first.kind !== "plain") continue;
    const decoratorNames = d.decorators.map((x) => decoratorName(x, src).name.split(".").pop());
    if (decoratorNames.includes("staticmethod")) continue;
    const self = first.name;
    const fnBody = field(d.def, "body");
    if (!fnBody) continue;
    walk(fnBody, (n) => {
      if (n.type === "class_definition") return false;
      let targets: PyNode[] = [];
      if (n.type === "assignment" || n.type === "augmented_assignment") {
        const left = field(n, "left");
        if (left) targets = left.type === "pattern_list" || left.type === "tuple_pattern" ? namedChildren(left) : [left];
      } else if (n.type === "call" && dottedName(field(n, "function"), src) === "setattr") {
        const args = callArgs(n, src);
        const obj = args.positional[0];
        if (obj?.type !== "identifier" || src.slice(obj.start, obj.end) !== self) return undefined;
        const keyNode = args.positional[1];
        const key = stringValue(keyNode, src);
        if (key !== undefined) {
          if (!key.startsWith("_") && !(key in methods) && !(key in attrs)) attrs[key] = "";
        } else if (d.name === "__init__" && keyNode && src.slice(keyNode.start, keyNode.end) !== `${self}.conn_name_attr`) {
          // Attributes named at run time by the constructor: the class's members cannot be listed. (Elsewhere,
          // such as the templater re-setting its template fields, they rewrite attributes that already exist.)
          open = true;
        }
        return undefined;
      } else return undefined;
      for (const t of targets) {
        if (t.type !== "attribute") continue;
        const obj = field(t, "object");
        const attr = field(t, "attribute");
        if (obj?.type !== "identifier" || !attr || src.slice(obj.start, obj.end) !== self) continue;
        const name = src.slice(attr.start, attr.end);
        if (name.startsWith("_") || name in methods) continue;
        if (!(name in attrs)) {
          const value = n.type === "assignment" ? field(n, "right") : undefined;
          attrs[name] = LITERAL_ATTRS.has(name) && value && value.type !== "assignment" ? cut(collapse(src.slice(value.start, value.end)), LITERAL_CHARS) : "";
        }
      }
      return undefined;
    });
  }
  // DbApiHook and others set the attribute a hook's `conn_name_attr` names (`setattr(self, self.conn_name_attr, …)`).
  const connAttr = attrs.conn_name_attr ? /^(["'])([A-Za-z_]\w*)\1$/.exec(attrs.conn_name_attr)?.[2] : undefined;
  if (connAttr && !(connAttr in attrs) && !(connAttr in methods)) attrs[connAttr] = "";
  const out: RawClass = { bases, methods, attrs };
  if (init) out.init = init;
  if (open) out.open = true;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Module __getattr__, globals() and `global`

/**
 * A module `__getattr__` that serves names from module-level dicts (`__lazy_imports`, `__deprecated_imports`,
 * `_names_moved`) or from `name == "X"` / `name in ("X", ...)` tests, and raises AttributeError for the rest:
 * those names are bound (deprecated when the function warns so). Returns false for any other `__getattr__`.
 */
function explainGetattr(fn: PyNode, ctx: ModuleContext, env: Env): boolean {
  const { src } = ctx;
  const body = field(fn, "body");
  if (!body) return false;
  const param = paramFacts(field(fn, "parameters") ?? fn, src)[0]?.name ?? "name";
  let raisesAttributeError = false;
  const served = new Map<string, RawBinding>();
  // A warning at the top of the function concerns every name a dict serves; one in a branch, that branch's names.
  const warns = warnsDeprecation(fn, src);
  const usedDicts = new Set<string>();
  // Names the function imports locally, over the module's.
  const local: Env = new Map(env);
  walk(body, (n) => {
    if (n.type === "import_from_statement" && !n.children.some((c) => c.type === "wildcard_import")) bindImport(n, local, ctx, 1);
    return undefined;
  });
  walk(body, (n) => {
    if (n.type === "raise_statement" && /AttributeError/.test(src.slice(n.start, n.end))) raisesAttributeError = true;
    if (n.type === "identifier") {
      const id = src.slice(n.start, n.end);
      if (ctx.dicts.has(id)) usedDicts.add(id);
    }
    if (n.type === "if_statement" || n.type === "elif_clause") {
      const { names, negated } = comparedNames(field(n, "condition"), param, src);
      const branch = negated ? field(n.type === "if_statement" ? n.children.find((c) => c.type === "else_clause") ?? n : n, "body") : field(n, "consequence");
      if (!branch || names.length === 0) return undefined;
      const deprecated = containsDeprecationWarning(branch, src);
      const value = servedValue(branch);
      for (const name of names) {
        const binding: RawBinding = value ? aliasOrVariable(value, local, ctx) : { k: "variable" };
        if (deprecated !== undefined) binding.deprecated = deprecated;
        served.set(name, binding);
      }
    }
    return undefined;
  });
  for (const dictName of usedDicts) {
    const dict = ctx.dicts.get(dictName) as PyNode;
    for (const [key, value] of dictPairs(dict, src)) if (!served.has(key)) served.set(key, lazyBinding(key, value, ctx, warns));
  }
  if (!raisesAttributeError || served.size === 0) return false;
  for (const [name, binding] of served) {
    const prev = env.get(name);
    if (!prev || prev.guarded) env.set(name, binding);
  }
  return true;
}

/** What a branch of `__getattr__` returns: `return X`, or the last `val = X` before a shared return. */
function servedValue(branch: PyNode): PyNode | undefined {
  const stmts = statements(branch);
  const ret = stmts.find((s) => s.type === "return_statement");
  if (ret) return namedChildren(ret)[0];
  for (const s of [...stmts].reverse()) {
    const assign = s.type === "expression_statement" ? namedChildren(s)[0] : undefined;
    if (assign?.type === "assignment" && field(assign, "left")?.type === "identifier") return field(assign, "right");
  }
  return undefined;
}

/** One entry of a lazy-import map: `"X": "module"`, `"X": ("module", "attr"[, deprecated])`. */
function lazyBinding(key: string, value: PyNode, ctx: ModuleContext, warns: string | undefined): RawBinding {
  const { src } = ctx;
  const v = unparen(value);
  let module: string | undefined;
  let attr = key;
  let deprecated = warns !== undefined;
  if (v?.type === "tuple") {
    const items = namedChildren(v);
    module = stringValue(items[0], src);
    const a = items[1] ? stringValue(items[1], src) : undefined;
    if (a !== undefined) attr = a;
    const flag = items[2];
    if (flag) deprecated = flag.type === "true";
  } else module = stringValue(v, src);
  if (module === undefined) return { k: "variable" };
  const level = /^\.*/.exec(module)?.[0].length ?? 0;
  const abs = absoluteModule(ctx.module, ctx.isPackage, level, module.slice(level));
  const binding: RawBinding = attr ? { k: "import", origin: { m: abs, n: attr } } : { k: "module", origin: { m: abs, n: "" } };
  if (deprecated) binding.deprecated = attr ? `${abs}.${attr}` : abs;
  return binding;
}

function containsDeprecationWarning(node: PyNode, src: string): string | undefined {
  let found: string | undefined;
  walk(node, (n) => {
    if (found !== undefined) return false;
    if (n.type === "call" && isWarn(dottedName(field(n, "function"), src))) found = deprecationMessage(callArgs(n, src), src);
    return undefined;
  });
  return found;
}

/**
 * Names a condition compares the parameter to: `name == "X"`, `name in ("X", "Y")`, joined by `or`;
 * `negated` for `!=` / `not in` (the names are served by the else branch).
 */
function comparedNames(cond: PyNode | undefined, param: string, src: string): { names: string[]; negated: boolean } {
  const none = { names: [], negated: false };
  const c = unparen(cond);
  if (!c) return none;
  if (c.type === "boolean_operator" && /\bor\b/.test(src.slice(field(c, "left")?.end ?? c.start, field(c, "right")?.start ?? c.end))) {
    const left = comparedNames(field(c, "left"), param, src);
    const right = comparedNames(field(c, "right"), param, src);
    if (left.negated || right.negated) return none;
    return { names: [...left.names, ...right.names], negated: false };
  }
  if (c.type !== "comparison_operator") return none;
  const [left, right] = namedChildren(c);
  if (left?.type !== "identifier" || src.slice(left.start, left.end) !== param || !right) return none;
  const op = src.slice(left.end, right.start).replace(/\s+/g, " ").trim();
  if (op === "==" || op === "!=") {
    const s = stringValue(right, src);
    return s === undefined ? none : { names: [s], negated: op === "!=" };
  }
  if (op === "in" || op === "not in") {
    const r = unparen(right);
    if (r && (r.type === "tuple" || r.type === "list" || r.type === "set")) {
      const names = namedChildren(r)
        .map((i) => stringValue(i, src))
        .filter((s): s is string => s !== undefined);
      return { names, negated: op === "not in" };
    }
  }
  return none;
}

/** Evaluates the few constant string expressions Airflow uses as `globals()` keys. */
function constantString(node: PyNode | undefined, src: string): string | undefined {
  const n = unparen(node);
  if (!n) return undefined;
  if (n.type === "string" || n.type === "concatenated_string") return stringValue(n, src);
  if (n.type === "call" && namedChildren(field(n, "arguments") ?? n).length === 0) {
    const fn = field(n, "function");
    if (fn?.type !== "attribute") return undefined;
    const attr = field(fn, "attribute");
    const base = constantString(field(fn, "object"), src);
    const method = attr ? src.slice(attr.start, attr.end) : "";
    if (base === undefined) return undefined;
    if (method === "upper") return base.toUpperCase();
    if (method === "lower") return base.toLowerCase();
    return undefined;
  }
  if (n.type === "subscript") {
    const base = constantString(field(n, "value"), src);
    const sub = field(n, "subscript");
    if (base !== undefined && sub && src.slice(sub.start, sub.end).replace(/\s+/g, "") === "::-1") return [...base].reverse().join("");
  }
  return undefined;
}

/** `globals()[key] = …` binds key (guarded unless unconditional at module level); other `globals()` writes open the module. */
function globalsWrites(root: PyNode, ctx: ModuleContext, env: Env): void {
  const { src } = ctx;
  for (const call of collect(root, "call")) {
    const fn = field(call, "function");
    if (fn?.type !== "identifier" || src.slice(fn.start, fn.end) !== "globals") continue;
    const parent = call.parent;
    if (inside(call, ctx.getattrs) && !ctx.open) continue;
    if (parent?.type === "attribute") {
      const attr = field(parent, "attribute");
      const method = attr ? src.slice(attr.start, attr.end) : "";
      if (["update", "setdefault", "__setitem__", "pop", "clear"].includes(method)) ctx.open = true;
      continue;
    }
    if (parent?.type !== "subscript" || parent.field !== "left" || parent.parent?.type !== "assignment") continue;
    const key = constantString(field(parent, "subscript"), src);
    if (key === undefined) {
      ctx.open = true;
      continue;
    }
    const unconditional = parent.parent.parent?.type === "expression_statement" && parent.parent.parent.parent?.type === "module";
    const prev = env.get(key);
    if (unconditional) env.set(key, { k: "variable" });
    else if (!prev) env.set(key, { k: "variable", guarded: true });
  }
}

/** Names a function declares `global` and assigns: bound once the function has run. */
function globalStatements(root: PyNode, ctx: ModuleContext, env: Env): void {
  for (const stmt of collect(root, "global_statement")) {
    for (const id of namedChildren(stmt)) {
      const name = ctx.src.slice(id.start, id.end);
      if (!env.has(name)) env.set(name, { k: "variable", guarded: true });
    }
  }
}

function collect(root: PyNode, type: string): PyNode[] {
  const out: PyNode[] = [];
  walk(root, (n) => {
    if (n.type === type) out.push(n);
  });
  return out;
}

function inside(node: PyNode, ancestors: PyNode[]): boolean {
  for (let p = node.parent; p; p = p.parent) if (ancestors.includes(p)) return true;
  return false;
}
