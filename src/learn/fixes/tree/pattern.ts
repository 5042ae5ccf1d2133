/**
 * Tree rules: a learned fix as an edit of the smallest changed subtree of the Python syntax tree.
 *
 * A rule's pattern is a tree whose leaves are concrete API names (`requests.get`, `open`, `AirflowException`,
 * `extra`), holes (`$1`: any sub-expression, the same text wherever the name repeats) or wildcards; a call's
 * argument list is variadic unless the fix depends on its exact shape. Edits are attached to marked pattern
 * nodes (replace it, insert after it, add an argument, drop a keyword argument) and their text is a template
 * whose holes are filled with the matched source text, so everything the fix did not touch keeps its exact
 * formatting. A rule may bind a hole from its context (`raise … from $e` only inside `except … as $e`),
 * require a method (`self` is in its template) and add imports, once per file, merged into an existing
 * `from module import a, b`.
 */
import type { ParsedSource, PyNode } from "../../../python/parser.js";
import type { TextEdit } from "../../../python/rewrite.js";
import { dottedName, field, namedChildren } from "../../../python/tree.js";

export type Pat =
  /** Anything at all, bound to nothing. */
  | { k: "any"; mark?: string }
  /** Any expression; a hole that repeats must match the same text each time. */
  | { k: "hole"; name: string; mark?: string }
  /** Source text equal to this (whitespace ignored): a concrete API name, keyword constant or operator. */
  | { k: "text"; text: string; type?: string; mark?: string; canon?: string }
  /** A node of this type whose named children match in order (and as many). */
  | { k: "node"; type: string; kids: Pat[]; seps: string[]; mark?: string }
  | { k: "call"; fn: Pat; args: ArgsPat; mark?: string };

export interface ArgsPat {
  /** Positional arguments that must match from the first on. */
  positional: Pat[];
  /** No positional arguments beyond those listed. */
  exactPositional: boolean;
  /** Keyword arguments that must be present, whatever their place. */
  keywords: { name: string; value: Pat; mark?: string }[];
  /** Keyword names that must not be passed (the fix adds them: where they are, the fix holds already). */
  absent: string[];
  /** No keyword arguments beyond those listed (and no `**mapping`). */
  exactKeywords: boolean;
  mark?: string;
}

export type EditOp =
  | { op: "replace"; at: string; template: string }
  /**
   * Inserts after the marked node. `indent`: the template holds whole statements written at this
   * indentation, re-indented to the match's own (and skipped where the next statement is that already).
   */
  | { op: "insertAfter"; at: string; template: string; indent?: string }
  /** Appends an argument to the argument list marked `at`. */
  | { op: "addArg"; at: string; template: string }
  /** Removes the argument (and its separating comma) marked `at`. */
  | { op: "dropArg"; at: string };

export interface ImportNeed {
  module: string;
  /** `from module import name`; without it, `import module`. */
  name?: string;
}

export interface TreeRuleSpec {
  version: 1;
  pattern: Pat;
  edits: EditOp[];
  imports: ImportNeed[];
  /** Hole bound to the name of the nearest enclosing `except … as name` (the match needs one). */
  exceptAs?: string;
  /** The match must be inside a method (a function whose first parameter is `self`). */
  method?: boolean;
}

export interface TreeMatch {
  node: PyNode;
  holes: Map<string, PyNode | string>;
  marks: Map<string, PyNode>;
}

const PRIMARY = new Set([
  "identifier", "attribute", "call", "subscript", "string", "concatenated_string", "integer", "float", "true", "false", "none",
  "parenthesized_expression", "list", "dictionary", "set", "tuple", "list_comprehension", "dictionary_comprehension",
  "set_comprehension", "generator_expression",
]);

function squash(text: string): string {
  return text.replace(/\s+/g, "");
}

function textOf(node: PyNode, source: string): string {
  return source.slice(node.start, node.end);
}

/** Named children that take part in matching (comments are not code). */
export function kidsOf(node: PyNode): PyNode[] {
  return namedChildren(node);
}

/** The text around and between a node's named children (its keywords and operators), whitespace removed. */
export function separators(node: PyNode, source: string): string[] {
  const kids = kidsOf(node);
  const out: string[] = [];
  let at = node.start;
  for (const kid of kids) {
    out.push(squash(source.slice(at, kid.start).replace(/#[^\n]*/g, "")));
    at = kid.end;
  }
  out.push(squash(source.slice(at, node.end).replace(/#[^\n]*/g, "")));
  return out;
}

interface Bindings {
  holes: Map<string, PyNode | string>;
  marks: Map<string, PyNode>;
  /** Import aliases of the source (see {@link importAliases}). */
  aliases?: ReadonlyMap<string, string>;
}

/**
 * What each imported name stands for: `import requests as rq` → rq: requests, `from requests import get`
 * → get: requests.get, `from datetime import datetime` → datetime: datetime.datetime.
 */
export function importAliases(parsed: ParsedSource): Map<string, string> {
  const out = new Map<string, string>();
  for (const stmt of parsed.root.children) {
    if (stmt.type !== "import_statement" && stmt.type !== "import_from_statement") continue;
    const module = stmt.type === "import_from_statement" ? field(stmt, "module_name") : undefined;
    const prefix = module ? `${squash(textOf(module, parsed.source))}.` : "";
    if (module && prefix.startsWith(".")) continue;
    for (const name of stmt.children.filter((c) => c.field === "name")) {
      if (name.type === "aliased_import") {
        const real = field(name, "name");
        const alias = field(name, "alias");
        if (real && alias) out.set(textOf(alias, parsed.source), prefix + squash(textOf(real, parsed.source)));
      } else if (module) {
        const text = squash(textOf(name, parsed.source));
        out.set(text, prefix + text);
      }
    }
  }
  return out;
}

/** A dotted name with its first part replaced by what the import behind it stands for. */
export function canonicalName(dotted: string, aliases: ReadonlyMap<string, string>): string {
  const dot = dotted.indexOf(".");
  const root = dot === -1 ? dotted : dotted.slice(0, dot);
  const real = aliases.get(root);
  return real === undefined ? dotted : real + (dot === -1 ? "" : dotted.slice(dot));
}

function bindMark(p: { mark?: string }, node: PyNode, b: Bindings): void {
  if (p.mark) b.marks.set(p.mark, node);
}

function holeText(value: PyNode | string, source: string): string {
  return typeof value === "string" ? value : textOf(value, source);
}

function matchArgs(p: ArgsPat, node: PyNode | undefined, source: string, b: Bindings): boolean {
  if (!node || node.type !== "argument_list") return false;
  const args = kidsOf(node);
  const positional = args.filter((a) => a.type !== "keyword_argument" && a.type !== "dictionary_splat");
  const keywords = args.filter((a) => a.type === "keyword_argument");
  const splat = args.some((a) => a.type === "dictionary_splat");
  if (positional.some((a) => a.type === "list_splat") && p.exactPositional) return false;
  if (p.exactPositional ? positional.length !== p.positional.length : positional.length < p.positional.length) return false;
  for (let i = 0; i < p.positional.length; i++) if (!matchPat(p.positional[i] as Pat, positional[i] as PyNode, source, b)) return false;
  const nameOf = (kw: PyNode): string => {
    const name = field(kw, "name");
    return name ? textOf(name, source) : "";
  };
  for (const want of p.keywords) {
    const have = keywords.find((kw) => nameOf(kw) === want.name);
    const value = have ? field(have, "value") : undefined;
    if (!have || !value || !matchPat(want.value, value, source, b)) return false;
    if (want.mark) b.marks.set(want.mark, have);
  }
  if (p.absent.length > 0 && (splat || keywords.some((kw) => p.absent.includes(nameOf(kw))))) return false;
  if (p.exactKeywords && (splat || keywords.length !== p.keywords.length)) return false;
  bindMark(p, node, b);
  return true;
}

function matchPat(p: Pat, node: PyNode, source: string, b: Bindings): boolean {
  switch (p.k) {
    case "any":
      break;
    case "hole": {
      if (node.type === "comment" || node.type === "keyword_argument" || node.type === "list_splat" || node.type === "dictionary_splat") return false;
      const prior = b.holes.get(p.name);
      if (prior !== undefined && squash(holeText(prior, source)) !== squash(textOf(node, source))) return false;
      if (prior === undefined) b.holes.set(p.name, node);
      break;
    }
    case "text": {
      if (p.type !== undefined && node.type !== p.type) return false;
      const text = squash(textOf(node, source));
      // The same API under another import spelling (`rq.get`, `get` from `from requests import get`).
      if (text !== p.text && !(p.canon && b.aliases && (node.type === "identifier" || node.type === "attribute") && canonicalName(text, b.aliases) === p.canon)) return false;
      break;
    }
    case "node": {
      if (node.type !== p.type) return false;
      const kids = kidsOf(node);
      if (kids.length !== p.kids.length) return false;
      const seps = separators(node, source);
      if (seps.some((sep, i) => sep !== p.seps[i])) return false;
      for (let i = 0; i < kids.length; i++) if (!matchPat(p.kids[i] as Pat, kids[i] as PyNode, source, b)) return false;
      break;
    }
    case "call": {
      if (node.type !== "call") return false;
      const fn = field(node, "function");
      if (!fn || !matchPat(p.fn, fn, source, b)) return false;
      if (!matchArgs(p.args, field(node, "arguments"), source, b)) return false;
      break;
    }
  }
  bindMark(p, node, b);
  return true;
}

/** The node type a pattern's root matches (where to look for candidates). */
export function rootType(p: Pat): string | undefined {
  if (p.k === "call") return "call";
  if (p.k === "node") return p.type;
  if (p.k === "text") return p.type;
  return undefined;
}

function enclosingExceptAlias(node: PyNode, source: string): string | undefined {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === "function_definition" || p.type === "class_definition" || p.type === "lambda") return undefined;
    if (p.type === "except_clause" || p.type === "except_group_clause") {
      // Only the handler's body: `except E as e:` binds e there, not in its own header.
      const body = p.children.find((c) => c.type === "block");
      if (!body || node.start < body.start) continue;
      const value = p.children.find((c) => c.type === "as_pattern");
      const alias = value ? field(value, "alias") : undefined;
      const name = alias ? namedChildren(alias)[0] : undefined;
      return name?.type === "identifier" ? textOf(name, source) : undefined;
    }
  }
  return undefined;
}

function insideMethod(node: PyNode, source: string): boolean {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === "lambda") continue;
    if (p.type === "class_definition") return false;
    if (p.type !== "function_definition") continue;
    const params = field(p, "parameters");
    const first = params ? namedChildren(params)[0] : undefined;
    const name = first?.type === "identifier" ? first : first ? namedChildren(first).find((c) => c.type === "identifier") : undefined;
    if (!name || textOf(name, source) !== "self") return false;
    // The function must itself sit in a class body.
    for (let q = p.parent; q; q = q.parent) {
      if (q.type === "class_definition") return true;
      if (q.type === "function_definition") return false;
    }
    return false;
  }
  return false;
}

/** Every place in a parsed source where the rule's pattern matches and its context holds, in source order. */
export function matchTree(spec: TreeRuleSpec, parsed: ParsedSource): TreeMatch[] {
  const type = rootType(spec.pattern);
  if (!type) return [];
  const out: TreeMatch[] = [];
  const aliases = importAliases(parsed);
  for (const node of parsed.byType.get(type) ?? []) {
    const b: Bindings = { holes: new Map(), marks: new Map(), aliases };
    if (!matchPat(spec.pattern, node, parsed.source, b)) continue;
    if (spec.method && !insideMethod(node, parsed.source)) continue;
    if (spec.exceptAs !== undefined) {
      const alias = enclosingExceptAlias(node, parsed.source);
      if (alias === undefined) continue;
      const prior = b.holes.get(spec.exceptAs);
      if (prior !== undefined && squash(holeText(prior, parsed.source)) !== alias) continue;
      b.holes.set(spec.exceptAs, alias);
    }
    out.push({ node, ...b });
  }
  return out;
}

const HOLE_REF = /\$([A-Za-z_]\w*|\d+)/g;

/** A template with its holes filled; a captured expression that binds less tightly than its place is parenthesized. */
export function fillTemplate(template: string, holes: ReadonlyMap<string, PyNode | string>, source: string): string {
  return template.replace(HOLE_REF, (all, name: string, offset: number) => {
    const value = holes.get(`$${name}`);
    if (value === undefined) throw new Error(`template hole $${name} is not bound by the match`);
    const text = holeText(value, source);
    if (typeof value === "string" || PRIMARY.has(value.type)) return text;
    const next = template[offset + all.length];
    return next === "." || next === "(" || next === "[" ? `(${text})` : text;
  });
}

export function templateHoles(template: string): string[] {
  return [...template.matchAll(HOLE_REF)].map((m) => `$${m[1]}`);
}

/** Start of the argument before `arg` ends (so that dropping `arg` takes its comma along), or of `arg`. */
function dropSpan(list: PyNode, arg: PyNode, source: string): { start: number; end: number } {
  const args = kidsOf(list);
  const i = args.indexOf(arg);
  if (i > 0) return { start: (args[i - 1] as PyNode).end, end: arg.end };
  const next = args[1];
  if (next) return { start: arg.start, end: next.start };
  // The only argument: a trailing comma goes too.
  let end = arg.end;
  const rest = source.slice(end, list.end - 1);
  const comma = /^\s*,/.exec(rest);
  if (comma) end += comma[0].length;
  return { start: arg.start, end };
}

/** The text edits of one match, or undefined when a mark is missing. */
export function editsOf(spec: TreeRuleSpec, match: TreeMatch, source: string): TextEdit[] | undefined {
  const edits: TextEdit[] = [];
  const added = new Map<string, string[]>();
  for (const e of spec.edits) if (e.op === "addArg") added.set(e.at, [...(added.get(e.at) ?? []), fillTemplate(e.template, match.holes, source)]);
  for (const e of spec.edits) {
    const node = match.marks.get(e.at);
    if (!node) return undefined;
    switch (e.op) {
      case "replace":
        edits.push({ start: node.start, end: node.end, text: fillTemplate(e.template, match.holes, source) });
        break;
      case "insertAfter": {
        let text = fillTemplate(e.template, match.holes, source);
        if (e.indent !== undefined) {
          const lineStart = source.lastIndexOf("\n", node.start - 1) + 1;
          const indent = /^[ \t]*/.exec(source.slice(lineStart, node.start))?.[0] ?? "";
          const from = e.indent;
          text = text
            .split("\n")
            .map((line, i) => (i === 0 ? line : line.startsWith(from) ? indent + line.slice(from.length) : line))
            .join("\n");
          // The statements are there already: the fix holds.
          const parent = node.parent;
          const siblings = parent ? kidsOf(parent) : [];
          const next = siblings[siblings.indexOf(node) + 1];
          const inserted = squash(text);
          if (next && squash(source.slice(next.start, Math.min(source.length, next.start + text.length * 2))).startsWith(inserted)) return undefined;
        }
        edits.push({ start: node.end, end: node.end, text });
        break;
      }
      case "addArg": {
        const texts = added.get(e.at);
        if (!texts) break;
        added.delete(e.at);
        const args = kidsOf(node);
        const last = args[args.length - 1];
        const text = texts.join(", ");
        if (last) edits.push({ start: last.end, end: last.end, text: `, ${text}` });
        else edits.push({ start: node.start + 1, end: node.start + 1, text });
        break;
      }
      case "dropArg": {
        const list = node.parent;
        if (!list || list.type !== "argument_list") return undefined;
        edits.push({ ...dropSpan(list, node, source), text: "" });
        break;
      }
    }
  }
  return edits;
}

/** Names each top-level import binds, with the statement. */
function importsOf(parsed: ParsedSource): { bound: Set<string>; from: Map<string, PyNode[]>; last?: PyNode } {
  const bound = new Set<string>();
  const from = new Map<string, PyNode[]>();
  let last: PyNode | undefined;
  for (const stmt of parsed.root.children) {
    if (stmt.type !== "import_statement" && stmt.type !== "import_from_statement" && stmt.type !== "future_import_statement") continue;
    last = stmt;
    const module = stmt.type === "import_from_statement" ? field(stmt, "module_name") : undefined;
    if (module) {
      const key = squash(textOf(module, parsed.source));
      from.set(key, [...(from.get(key) ?? []), stmt]);
    }
    for (const name of stmt.children.filter((c) => c.field === "name")) {
      if (name.type === "aliased_import") {
        const alias = field(name, "alias");
        if (alias) bound.add(textOf(alias, parsed.source));
      } else {
        const text = squash(textOf(name, parsed.source));
        bound.add(stmt.type === "import_statement" ? text : (text.split(".").pop() ?? text));
        if (stmt.type === "import_statement") bound.add(text.split(".")[0] ?? text);
      }
    }
    if (stmt.children.some((c) => c.type === "wildcard_import")) bound.add("*");
  }
  return { bound, from, last };
}

/** Edits that add the rule's imports the source lacks: merged into `from module import …` when there is one. */
export function importEdits(needs: readonly ImportNeed[], parsed: ParsedSource): TextEdit[] {
  const { bound, from, last } = importsOf(parsed);
  const edits: TextEdit[] = [];
  const lines: string[] = [];
  for (const need of needs) {
    const name = need.name ?? need.module;
    if (bound.has(name) || (need.name === undefined && bound.has(need.module.split(".")[0] ?? need.module))) continue;
    bound.add(name);
    const existing = need.name ? from.get(need.module)?.find((s) => !s.children.some((c) => c.type === "wildcard_import")) : undefined;
    const names = existing?.children.filter((c) => c.field === "name") ?? [];
    const lastName = names[names.length - 1];
    if (existing && lastName) {
      edits.push({ start: lastName.end, end: lastName.end, text: `, ${need.name}` });
      continue;
    }
    lines.push(need.name ? `from ${need.module} import ${need.name}\n` : `import ${need.module}\n`);
  }
  if (lines.length > 0) {
    const source = parsed.source;
    let at = 0;
    if (last) {
      const nl = source.indexOf("\n", last.end);
      at = nl === -1 ? source.length : nl + 1;
    }
    const text = at === source.length && !source.endsWith("\n") && source.length > 0 ? `\n${lines.join("")}` : lines.join("");
    edits.push({ start: at, end: at, text });
  }
  return edits;
}

/** Concrete text of a pattern node when it is a dotted API name (`requests.get`), else undefined. */
export function concreteName(node: PyNode, source: string): string | undefined {
  return dottedName(node, source);
}

function renderArgs(a: ArgsPat, over: ReadonlyMap<string, string>, drop: ReadonlySet<string>, add: readonly string[]): string {
  const parts = a.positional.map((p) => render(p, over, drop));
  if (!a.exactPositional) parts.push("...");
  for (const kw of a.keywords) if (!kw.mark || !drop.has(kw.mark)) parts.push(`${kw.name}=${kw.mark && over.has(kw.mark) ? over.get(kw.mark) : render(kw.value, over, drop)}`);
  if (!a.exactKeywords && a.exactPositional && a.positional.length === 0 && parts.length === 0) parts.push("...");
  parts.push(...add);
  return `(${parts.join(", ")})`;
}

function render(p: Pat, over: ReadonlyMap<string, string>, drop: ReadonlySet<string>, adds: ReadonlyMap<string, string[]> = new Map()): string {
  if (p.mark && over.has(p.mark)) return over.get(p.mark) as string;
  const after = p.mark ? (over.get(`after:${p.mark}`) ?? "") : "";
  let text: string;
  switch (p.k) {
    case "any":
      text = "_";
      break;
    case "hole":
      text = p.name;
      break;
    case "text":
      text = p.text;
      break;
    case "node": {
      // The node's own keywords and operators between its children, spaced as people write them.
      const pad = (sep: string): string => (sep === "" || /^[.,)\]([]+$/.test(sep) ? sep : /^[([]/.test(sep) ? sep : ` ${sep} `);
      text = p.seps[0] === undefined ? "" : pad(p.seps[0]);
      p.kids.forEach((k, i) => {
        text += render(k, over, drop, adds) + pad(p.seps[i + 1] ?? "");
      });
      text = text.replace(/\s+/g, " ").replace(/ ([,)\]])/g, "$1").trim();
      break;
    }
    case "call":
      text = `${render(p.fn, over, drop, adds)}${renderArgs(p.args, over, drop, p.args.mark ? (adds.get(p.args.mark) ?? []) : [])}`;
      break;
  }
  return text + after;
}

/** The rule as people read it: the pattern before, and after with its edits applied. */
export function describeTree(spec: TreeRuleSpec): { before: string; after: string } {
  const before = render(spec.pattern, new Map(), new Set());
  const over = new Map<string, string>();
  const drop = new Set<string>();
  const adds = new Map<string, string[]>();
  for (const e of spec.edits) {
    if (e.op === "replace") over.set(e.at, e.template);
    else if (e.op === "insertAfter") over.set(`after:${e.at}`, e.indent === undefined ? e.template : e.template.split(`\n${e.indent}`).join("\n"));
    else if (e.op === "addArg") adds.set(e.at, [...(adds.get(e.at) ?? []), e.template]);
    else drop.add(e.at);
  }
  let after = render(spec.pattern, over, drop, adds);
  const context: string[] = [];
  if (spec.exceptAs) context.push(`inside \`except … as ${spec.exceptAs}\``);
  if (spec.method) context.push("inside a method");
  const imports = spec.imports.map((i) => (i.name ? `from ${i.module} import ${i.name}` : `import ${i.module}`));
  if (imports.length > 0) after += `  [+ ${imports.join("; ")}]`;
  return { before: context.length > 0 ? `${before}  [${context.join(", ")}]` : before, after };
}

/** Names of the holes a pattern binds. */
export function patternHoles(p: Pat): string[] {
  switch (p.k) {
    case "hole":
      return [p.name];
    case "node":
      return p.kids.flatMap(patternHoles);
    case "call":
      return [...patternHoles(p.fn), ...p.args.positional.flatMap(patternHoles), ...p.args.keywords.flatMap((k) => patternHoles(k.value))];
    default:
      return [];
  }
}

/** How much of the pattern is fixed code: more is more specific. */
export function specificity(p: Pat): number {
  switch (p.k) {
    case "any":
    case "hole":
      return 0;
    case "text":
      return 2;
    case "node":
      return 1 + p.kids.reduce((n, k) => n + specificity(k), 0);
    case "call":
      return (
        1 +
        specificity(p.fn) +
        p.args.positional.reduce((n, k) => n + specificity(k), 0) +
        p.args.keywords.reduce((n, k) => n + 1 + specificity(k.value), 0) +
        (p.args.exactPositional ? 1 : 0) +
        (p.args.exactKeywords ? 1 : 0)
      );
  }
}
