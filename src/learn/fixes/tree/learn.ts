/**
 * Learning tree rules from one human fix (a file before and after). The two token streams are aligned;
 * each changed stretch is lifted to the smallest syntax node (a call, a raise, an attribute …) whose
 * counterpart in the fixed file has the same surroundings, and the pair of nodes becomes a pattern with
 * holes and a few edits. Imports the fix added travel with the rule that uses them. Every rule is checked
 * by applying it to the file it came from: it must reproduce the human's change at that spot.
 */
import { diffArrays } from "diff";
import type { ParsedSource, PyNode } from "../../../python/parser.js";
import { parsePythonOrUndefined } from "../../../python/parser.js";
import { applyEdits } from "../../../python/rewrite.js";
import { field, walk } from "../../../python/tree.js";
import type { NameClasses } from "../abstract.js";
import { classifyNames, isApiName } from "../abstract.js";
import type { Token } from "../tokens.js";
import { tokenizePython, tokenTexts } from "../tokens.js";
import { contextOf } from "../units.js";
import type { ArgsPat, EditOp, ImportNeed, Pat, TreeRuleSpec } from "./pattern.js";
import { canonicalName, describeTree, editsOf, importAliases, kidsOf, matchTree, patternHoles, separators, templateHoles } from "./pattern.js";

export interface LearnedTreeRule {
  spec: TreeRuleSpec;
  /** Canonical text of the rule: equal keys are the same rule. */
  key: string;
  /** How many places of the file the fix changed this way. */
  sites: number;
  /** Where the first site sits ('', 'class *', 'def *' or 'def <api name>'): where the rule can be offered. */
  context: string;
  before: string;
  after: string;
  description: string;
  /** The first site as the human changed it, with the component's real names. */
  example: { before: string; after: string; line: number };
  /** Lines (1-based, inclusive, in the file before the fix) of every site. */
  siteLines: { start: number; end: number }[];
}

export interface TreeLesson {
  rules: LearnedTreeRule[];
  /** Changes no rule was drawn from, with the reason. */
  skipped: { line: number; reason: string }[];
}

/** Bounds on what one rule may span: a rewritten function is no repeatable fix. */
export const MAX_TREE_RULE_LINES = 25;
export const MAX_TREE_RULE_CHARS = 2000;

const ANCHORS = new Set([
  "call", "raise_statement", "assert_statement", "return_statement", "attribute", "subscript", "binary_operator", "boolean_operator",
  "comparison_operator", "not_operator", "assignment", "augmented_assignment", "expression_statement", "delete_statement",
]);

const NOT_EXPRESSIONS = new Set([
  "keyword_argument", "argument_list", "interpolation", "string_start", "string_content", "string_end", "escape_sequence", "block",
  "as_pattern", "as_pattern_target", "format_specifier", "comment", "list_splat", "dictionary_splat", "pair", "expression_list",
]);

interface Side {
  parsed: ParsedSource;
  toks: Token[];
  /** Token index on the other side, or -1 for a changed token. */
  map: Int32Array;
  /** Changed string tokens paired with one on the other side: how many leading and trailing characters agree. */
  refined: Map<number, { other: number; prefix: number; suffix: number }>;
  spans: Map<string, PyNode[]>;
}

function tokensOf(source: string): Token[] {
  return tokenizePython(source).lines.flatMap((l) => l.tokens);
}

/** What the alignment compares: a token's text, and for the first token of a logical line its indentation too. */
function alignmentKeys(source: string): string[] {
  return tokenizePython(source).lines.flatMap((l) => l.tokens.map((t, i) => (i === 0 ? `\u0001${l.indent}\u0001${t.text}` : t.text)));
}

function spansOf(root: PyNode): Map<string, PyNode[]> {
  const spans = new Map<string, PyNode[]>();
  walk(root, (n) => {
    if (!n.named || n.type === "comment") return true;
    const key = `${n.start}:${n.end}`;
    spans.set(key, [...(spans.get(key) ?? []), n]);
    return true;
  });
  return spans;
}

function tokenAt(toks: readonly Token[], offset: number): number {
  let lo = 0;
  let hi = toks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((toks[mid] as Token).start <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The node of `to` whose text corresponds to `node` of `from`: the same unchanged tokens around both. */
function counterpart(node: PyNode, from: Side, to: Side): PyNode | undefined {
  if (from.toks.length === 0 || to.toks.length === 0) return undefined;
  const first = tokenAt(from.toks, node.start);
  const last = tokenAt(from.toks, node.end - 1);
  const ft = from.toks[first] as Token;
  const lt = from.toks[last] as Token;
  let start: number | undefined;
  if (ft.start === node.start) {
    if ((from.map[first] ?? -1) >= 0) start = to.toks[from.map[first] as number]?.start;
    else if (first === 0) start = to.toks[0]?.start;
    else if ((from.map[first - 1] ?? -1) >= 0) start = to.toks[(from.map[first - 1] as number) + 1]?.start;
  } else {
    const r = from.refined.get(first);
    if (r && node.start - ft.start < r.prefix) start = (to.toks[r.other] as Token).start + (node.start - ft.start);
  }
  let end: number | undefined;
  if (lt.end === node.end) {
    if ((from.map[last] ?? -1) >= 0) end = to.toks[from.map[last] as number]?.end;
    else if (last === from.toks.length - 1) end = to.toks[to.toks.length - 1]?.end;
    else if ((from.map[last + 1] ?? -1) >= 0) end = to.toks[(from.map[last + 1] as number) - 1]?.end;
  } else {
    const r = from.refined.get(last);
    if (r && lt.end - node.end < r.suffix) end = (to.toks[r.other] as Token).end - (lt.end - node.end);
  }
  if (start === undefined || end === undefined || end <= start) return undefined;
  const found = to.spans.get(`${start}:${end}`);
  if (!found || found.length === 0) return undefined;
  return found.find((n) => n.type === node.type) ?? found[0];
}

function smallestCovering(root: PyNode, start: number, end: number): PyNode {
  let node = root;
  for (;;) {
    const child = node.children.find((c) => c.named && c.type !== "comment" && c.start <= start && end <= c.end && c.end > c.start);
    if (!child) return node;
    node = child;
  }
}

function acceptable(b: PyNode): boolean {
  if (!ANCHORS.has(b.type)) return false;
  // The callee of a call is not an anchor: the call is, so that its arguments can be kept apart.
  if (b.field === "function" && b.parent?.type === "call") return false;
  return true;
}

/** Climbs from `start` (on side `from`) to the smallest acceptable node pair; returns [before node, after node]. */
function anchorOf(start: PyNode, from: Side, to: Side, fromIsBefore: boolean): [PyNode, PyNode] | undefined {
  for (let node: PyNode | null = start; node && node.type !== "module"; node = node.parent) {
    const other = counterpart(node, from, to);
    if (!other) continue;
    const [b, a] = fromIsBefore ? [node, other] : [other, node];
    if (acceptable(b)) return [b, a];
  }
  return undefined;
}

function importNeeds(before: ParsedSource, after: ParsedSource): ImportNeed[] {
  const bindings = (p: ParsedSource): Map<string, ImportNeed> => {
    const out = new Map<string, ImportNeed>();
    for (const stmt of p.root.children) {
      if (stmt.type === "import_from_statement") {
        const module = field(stmt, "module_name");
        if (!module) continue;
        const mod = p.source.slice(module.start, module.end).replace(/\s+/g, "");
        for (const n of stmt.children.filter((c) => c.field === "name" && c.type === "dotted_name")) {
          const name = p.source.slice(n.start, n.end);
          out.set(`${mod}:${name}`, { module: mod, name });
        }
      } else if (stmt.type === "import_statement") {
        for (const n of stmt.children.filter((c) => c.field === "name" && c.type === "dotted_name")) {
          const mod = p.source.slice(n.start, n.end).replace(/\s+/g, "");
          out.set(mod, { module: mod });
        }
      }
    }
    return out;
  };
  const had = bindings(before);
  return [...bindings(after).entries()].filter(([key]) => !had.has(key)).map(([, need]) => need);
}

function insideImport(node: PyNode): boolean {
  for (let p: PyNode | null = node; p; p = p.parent) {
    if (p.type === "import_statement" || p.type === "import_from_statement" || p.type === "future_import_statement") return true;
  }
  return false;
}

function squash(text: string): string {
  return text.replace(/\s+/g, "");
}

class RuleBuilder {
  private readonly holeOf = new Map<string, string>();
  private readonly captured = new Set<PyNode>();
  private marks = 0;
  exceptAs: string | undefined;
  method = false;
  failure: string | undefined;

  private readonly aliases: Map<string, string>;

  constructor(
    private readonly nb: PyNode,
    private readonly b: ParsedSource,
    private readonly a: ParsedSource,
    private readonly names: NameClasses,
  ) {
    this.aliases = importAliases(b);
  }

  mark(): string {
    return `m${++this.marks}`;
  }

  private text(node: PyNode, side: ParsedSource): string {
    return side.source.slice(node.start, node.end);
  }

  /** A dotted name rooted at an import, a builtin or an Airflow API name: concrete in patterns. */
  concrete(node: PyNode, side: ParsedSource): boolean {
    if (node.type !== "identifier" && node.type !== "attribute") return false;
    const text = this.text(node, side);
    const dotted = /^[A-Za-z_][\w.\s]*$/.test(text) ? squash(text) : undefined;
    if (!dotted) return false;
    const root = dotted.split(".")[0] as string;
    if (root === "self" || root === "cls") return false;
    return this.names.imported.has(root) || (isApiName(root) && !this.names.local.has(root));
  }

  /** The B-side node with this text inside the anchor that a template may refer to by a hole. */
  private capturable(text: string): PyNode | undefined {
    const want = squash(text);
    let found: PyNode | undefined;
    walk(this.nb, (n) => {
      if (found) return false;
      if (!n.named || NOT_EXPRESSIONS.has(n.type)) return true;
      if (n.field === "attribute" && n.parent?.type === "attribute") return true;
      if (squash(this.text(n, this.b)) === want && !this.concrete(n, this.b) && !["true", "false", "none"].includes(n.type)) {
        found = n;
        return false;
      }
      return true;
    });
    return found;
  }

  private holeFor(node: PyNode): string {
    const key = squash(this.text(node, this.b));
    let name = this.holeOf.get(key);
    if (!name) {
      name = `$${this.holeOf.size + 1}`;
      this.holeOf.set(key, name);
    }
    this.captured.add(node);
    return name;
  }

  private exceptAlias(): string | undefined {
    for (let p = this.nb.parent; p; p = p.parent) {
      if (p.type === "function_definition" || p.type === "class_definition" || p.type === "lambda") return undefined;
      if (p.type !== "except_clause") continue;
      const value = p.children.find((c) => c.type === "as_pattern");
      const alias = value ? field(value, "alias") : undefined;
      const id = alias ? kidsOf(alias)[0] : undefined;
      return id ? this.text(id, this.b) : undefined;
    }
    return undefined;
  }

  /** A-side text from `start` to `end` as a template: what the anchor already held becomes its hole. */
  template(start: number, end: number): string {
    const replacements: { start: number; end: number; text: string }[] = [];
    const alias = this.exceptAlias();
    const visit = (n: PyNode): void => {
      if (n.end <= start || n.start >= end) return;
      const inside = n.start >= start && n.end <= end;
      if (inside && n.named && !NOT_EXPRESSIONS.has(n.type) && !(n.field === "attribute" && n.parent?.type === "attribute")) {
        const text = this.text(n, this.a);
        if (n.type === "identifier" && alias !== undefined && text === alias && !(n.field === "attribute" && n.parent?.type === "attribute")) {
          this.exceptAs = "$exc";
          replacements.push({ start: n.start, end: n.end, text: "$exc" });
          return;
        }
        if (!this.concrete(n, this.a) && !(n.type === "identifier" && isApiName(text))) {
          const source = this.capturable(text);
          if (source) {
            replacements.push({ start: n.start, end: n.end, text: this.holeFor(source) });
            return;
          }
        }
        if (n.type === "identifier" && !(n.field === "name" && n.parent?.type === "keyword_argument")) {
          if (text === "self" || text === "cls") this.method = true;
          else if (alias !== undefined && text === alias) {
            this.exceptAs = "$exc";
            replacements.push({ start: n.start, end: n.end, text: "$exc" });
            return;
          } else if (this.names.local.has(text) && !this.names.imported.has(text) && !isApiName(text)) {
            this.failure ??= `the fix refers to \`${text}\`, a name of the component that the pattern does not bind`;
          }
        }
      }
      for (const c of n.children) visit(c);
    };
    visit(this.a.root);
    let out = "";
    let at = start;
    for (const r of replacements.sort((x, y) => x.start - y.start)) {
      out += this.a.source.slice(at, r.start) + r.text;
      at = r.end;
    }
    out += this.a.source.slice(at, end);
    if (out.replace(/\$(exc|\d+)/g, "").includes("$")) this.failure ??= "the code contains `$`, which rule templates reserve for holes";
    return out;
  }

  /** The pattern of a B-side node; `strict` calls must have exactly their arguments. */
  gen(node: PyNode, strict = false): Pat {
    if (this.captured.has(node)) return { k: "hole", name: this.holeFor(node) };
    if (this.concrete(node, this.b)) {
      const text = squash(this.text(node, this.b));
      // Rooted at an import: the same API matches however a file imports it.
      return this.names.imported.has(text.split(".")[0] as string) ? { k: "text", text, canon: canonicalName(text, this.aliases) } : { k: "text", text };
    }
    if (node.type === "true" || node.type === "false" || node.type === "none") return { k: "text", text: this.text(node, this.b), type: node.type };
    if (node.type === "identifier") return { k: "any" };
    if (node.type === "attribute") {
      const object = field(node, "object");
      const attr = field(node, "attribute");
      const root = object ? squash(this.text(object, this.b)).split(".")[0] : undefined;
      if (!object || !attr || root === "self" || root === "cls") return { k: "any" };
      return { k: "node", type: "attribute", kids: [this.gen(object), { k: "text", text: this.text(attr, this.b) }], seps: separators(node, this.b.source) };
    }
    if (node.type === "call") {
      const fn = field(node, "function");
      const args = field(node, "arguments");
      if (!fn) return { k: "any" };
      if (!strict || !args || args.type !== "argument_list") {
        return { k: "call", fn: this.gen(fn), args: { positional: [], exactPositional: false, keywords: [], absent: [], exactKeywords: false } };
      }
      const list = kidsOf(args);
      return {
        k: "call",
        fn: this.gen(fn),
        args: {
          positional: list.filter((x) => x.type !== "keyword_argument").map((x) => this.gen(x)),
          exactPositional: true,
          keywords: list.filter((x) => x.type === "keyword_argument").map((kw) => ({ name: this.kwName(kw, this.b), value: this.genValue(kw) })),
          absent: [],
          exactKeywords: true,
        },
      };
    }
    if (["string", "concatenated_string", "integer", "float"].includes(node.type) || kidsOf(node).length === 0) return { k: "any" };
    return { k: "node", type: node.type, kids: kidsOf(node).map((k) => this.gen(k)), seps: separators(node, this.b.source) };
  }

  private genValue(kw: PyNode): Pat {
    const value = field(kw, "value");
    return value ? this.gen(value) : { k: "any" };
  }

  private kwName(kw: PyNode, side: ParsedSource): string {
    const name = field(kw, "name");
    return name ? this.text(name, side) : "";
  }

  /** Pattern and edits that turn `nb` into `na`; undefined where only a whole replacement will do. */
  diff(nb: PyNode, na: PyNode, edits: EditOp[]): Pat | undefined {
    if (squash(this.text(nb, this.b)) === squash(this.text(na, this.a))) return this.gen(nb);
    if (nb.type === "call" && na.type === "call") return this.diffCall(nb, na, edits);
    if (nb.type !== na.type) return undefined;
    const kb = kidsOf(nb);
    const ka = kidsOf(na);
    if (kb.length === ka.length) {
      const sepsB = separators(nb, this.b.source);
      const sepsA = separators(na, this.a.source);
      if (sepsB.join("\u0000") !== sepsA.join("\u0000")) return undefined;
      const kids: Pat[] = [];
      for (let i = 0; i < kb.length; i++) {
        const p = this.diff(kb[i] as PyNode, ka[i] as PyNode, edits);
        if (!p) {
          const at = this.mark();
          edits.push({ op: "replace", at, template: this.template((ka[i] as PyNode).start, (ka[i] as PyNode).end) });
          kids.push({ ...this.gen(kb[i] as PyNode, true), mark: at });
        } else kids.push(p);
      }
      return { k: "node", type: nb.type, kids, seps: sepsB };
    }
    if (kb.length < ka.length) {
      // Children added after the kept ones (`raise X(...)` → `raise X(...) from e`).
      const same = kb.every((k, i) => squash(this.text(k, this.b)) === squash(this.text(ka[i] as PyNode, this.a)));
      const last = kb[kb.length - 1];
      const lastA = ka[kb.length - 1];
      if (!same || !last || !lastA) return undefined;
      const at = this.mark();
      edits.push({ op: "insertAfter", at, template: this.template(lastA.end, na.end) });
      const kids = kb.map((k) => this.gen(k));
      kids[kids.length - 1] = { ...(kids[kids.length - 1] as Pat), mark: at };
      return { k: "node", type: nb.type, kids, seps: separators(nb, this.b.source) };
    }
    return undefined;
  }

  private diffCall(nb: PyNode, na: PyNode, edits: EditOp[]): Pat | undefined {
    const fnB = field(nb, "function");
    const fnA = field(na, "function");
    const argsB = field(nb, "arguments");
    const argsA = field(na, "arguments");
    if (!fnB || !fnA || argsB?.type !== "argument_list" || argsA?.type !== "argument_list") return undefined;
    let fn: Pat;
    const calleeChanged = squash(this.text(fnB, this.b)) !== squash(this.text(fnA, this.a));
    if (calleeChanged) {
      if (!this.concrete(fnB, this.b)) return undefined;
      const at = this.mark();
      edits.push({ op: "replace", at, template: this.template(fnA.start, fnA.end) });
      // The callee is rewritten as the fix spelled it: only that spelling may match.
      const spelled = this.gen(fnB);
      fn = { ...(spelled.k === "text" ? { k: "text" as const, text: spelled.text } : spelled), mark: at };
    } else fn = this.gen(fnB);
    const listB = kidsOf(argsB);
    const listA = kidsOf(argsA);
    if (listB.some((x) => x.type === "dictionary_splat" || x.type === "list_splat")) return undefined;
    const posB = listB.filter((x) => x.type !== "keyword_argument");
    const posA = listA.filter((x) => x.type !== "keyword_argument" && x.type !== "dictionary_splat");
    const kwB = listB.filter((x) => x.type === "keyword_argument");
    const kwA = listA.filter((x) => x.type === "keyword_argument");
    const argsMark = this.mark();
    const positional: Pat[] = [];
    let exactPositional = calleeChanged;
    let usedPositional = 0;
    for (let i = 0; i < posB.length; i++) {
      const b = posB[i] as PyNode;
      const a = posA[i];
      if (a && squash(this.text(b, this.b)) === squash(this.text(a, this.a))) {
        positional.push(this.gen(b));
        continue;
      }
      usedPositional = i + 1;
      const at = this.mark();
      if (a) edits.push({ op: "replace", at, template: this.template(a.start, a.end) });
      else {
        edits.push({ op: "dropArg", at });
        exactPositional = true;
      }
      positional.push({ ...this.gen(b, true), mark: at });
    }
    const addedPositional = posA.slice(posB.length);
    if (addedPositional.length > 0) {
      if (kwB.length > 0) return undefined;
      exactPositional = true;
      for (const a of addedPositional) edits.push({ op: "addArg", at: argsMark, template: this.template(a.start, a.end) });
    }
    const keywords: ArgsPat["keywords"] = [];
    const absent: string[] = [];
    for (const kb of kwB) {
      const name = this.kwName(kb, this.b);
      const ka = kwA.find((k) => this.kwName(k, this.a) === name);
      if (ka && squash(this.text(kb, this.b)) === squash(this.text(ka, this.a))) {
        if (calleeChanged) keywords.push({ name, value: this.genValue(kb) });
        continue;
      }
      const at = this.mark();
      if (ka) {
        const value = field(ka, "value");
        const valueB = field(kb, "value");
        if (!value || !valueB) return undefined;
        edits.push({ op: "replace", at, template: this.template(value.start, value.end) });
        keywords.push({ name, value: { ...this.gen(valueB, true), mark: at } });
      } else {
        edits.push({ op: "dropArg", at });
        keywords.push({ name, value: { k: "any" }, mark: at });
      }
    }
    for (const ka of kwA) {
      const name = this.kwName(ka, this.a);
      if (kwB.some((k) => this.kwName(k, this.b) === name)) continue;
      absent.push(name);
      edits.push({ op: "addArg", at: argsMark, template: this.template(ka.start, ka.end) });
    }
    if (listA.some((x) => x.type === "dictionary_splat") && !listB.some((x) => x.type === "dictionary_splat")) return undefined;
    const shown = exactPositional ? positional : positional.slice(0, usedPositional);
    return {
      k: "call",
      fn,
      args: { positional: shown, exactPositional, keywords, absent, exactKeywords: calleeChanged, mark: argsMark },
    };
  }
}

function keyOf(spec: TreeRuleSpec): string {
  return JSON.stringify({ p: spec.pattern, e: spec.edits, x: spec.exceptAs ?? null, m: spec.method ?? false, i: spec.imports });
}

/** Whether the spec, applied at `nb` of the before file, yields the human's text for that spot. */
function reproduces(spec: TreeRuleSpec, nb: PyNode, na: { start: number; end: number }, b: ParsedSource, a: ParsedSource): boolean {
  const match = matchTree({ ...spec, imports: [] }, b).find((m) => m.node === nb);
  if (!match) return false;
  const edits = editsOf(spec, match, b.source);
  if (!edits) return false;
  let out: string;
  try {
    out = applyEdits(b.source, edits);
  } catch {
    return false;
  }
  const expected = b.source.slice(0, nb.start) + a.source.slice(na.start, na.end) + b.source.slice(nb.end);
  return tokenTexts(out).join("\u0000") === tokenTexts(expected).join("\u0000");
}

function buildRule(nb: PyNode, na: PyNode, b: ParsedSource, a: ParsedSource, names: NameClasses): TreeRuleSpec | string {
  const attempt = (whole: boolean): TreeRuleSpec | string => {
    const builder = new RuleBuilder(nb, b, a, names);
    const edits: EditOp[] = [];
    let pattern = whole ? undefined : builder.diff(nb, na, edits);
    if (!pattern) {
      edits.length = 0;
      const at = builder.mark();
      const template = builder.template(na.start, na.end);
      pattern = { ...builder.gen(nb, true), mark: at };
      edits.push({ op: "replace", at, template });
    }
    if (builder.failure) return builder.failure;
    if (pattern.k === "any" || pattern.k === "hole" || !patternTexts(pattern)) return "the changed code has nothing fixed to recognise it by";
    const bound = new Set(patternHoles(pattern));
    if (builder.exceptAs) bound.add(builder.exceptAs);
    if (edits.some((e) => "template" in e && templateHoles(e.template).some((h) => !bound.has(h)))) return "the fix uses code the pattern does not bind";
    const spec: TreeRuleSpec = { version: 1, pattern, edits, imports: [] };
    if (builder.exceptAs) spec.exceptAs = builder.exceptAs;
    if (builder.method) spec.method = true;
    return reproduces(spec, nb, na, b, a) ? spec : "the rule drawn from it does not reproduce the change";
  };
  const first = attempt(false);
  if (typeof first !== "string") return first;
  const whole = attempt(true);
  return typeof whole === "string" ? first : whole;
}

/** Whole statements the fix added after a statement it kept (`response.raise_for_status()` after the request). */
interface Insertion {
  prevA: PyNode;
  prevB: PyNode;
  /** End of the last added statement in the fixed file. */
  end: number;
}

const INSERTABLE = new Set(["expression_statement", "assert_statement", "delete_statement"]);

function insertedStatements(r: { a0: number; a1: number }, ta: readonly Token[], a: ParsedSource, sideA: Side, sideB: Side): Insertion | undefined {
  const start = (ta[r.a0] as Token).start;
  const end = (ta[r.a1 - 1] as Token).end;
  let covering = smallestCovering(a.root, start, end);
  while (covering.parent && covering.parent.start === covering.start && covering.parent.end === covering.end) covering = covering.parent;
  const container = covering.type === "block" || covering.type === "module" ? covering : covering.parent;
  if (!container || (container.type !== "block" && container.type !== "module")) return undefined;
  const statements = kidsOf(container);
  const added = statements.filter((st) => st.start >= start && st.end <= end);
  const first = added[0];
  const last = added[added.length - 1];
  if (!first || !last || first.start !== start || last.end !== end || !added.every((st) => INSERTABLE.has(st.type))) return undefined;
  const prevA = statements[statements.indexOf(first) - 1];
  if (!prevA || prevA.end > start) return undefined;
  const prevB = counterpart(prevA, sideA, sideB);
  if (!prevB || prevB.type !== prevA.type) return undefined;
  return { prevA, prevB, end };
}

function buildInsertion(ins: Insertion, b: ParsedSource, a: ParsedSource, names: NameClasses): TreeRuleSpec | string {
  const builder = new RuleBuilder(ins.prevB, b, a, names);
  const at = builder.mark();
  const template = builder.template(ins.prevA.end, ins.end);
  const lineStart = a.source.lastIndexOf("\n", ins.prevA.start - 1) + 1;
  const indent = /^[ \t]*/.exec(a.source.slice(lineStart, ins.prevA.start))?.[0] ?? "";
  const pattern: Pat = { ...builder.gen(ins.prevB), mark: at };
  if (builder.failure) return builder.failure;
  if (!patternTexts(pattern)) return "the statement before the added one has nothing fixed to recognise it by";
  const bound = new Set(patternHoles(pattern));
  if (builder.exceptAs) bound.add(builder.exceptAs);
  if (templateHoles(template).some((h) => !bound.has(h))) return "the fix uses code the pattern does not bind";
  const spec: TreeRuleSpec = { version: 1, pattern, edits: [{ op: "insertAfter", at, template, indent }], imports: [] };
  if (builder.exceptAs) spec.exceptAs = builder.exceptAs;
  if (builder.method) spec.method = true;
  return reproduces(spec, ins.prevB, { start: ins.prevA.start, end: ins.end }, b, a) ? spec : "the rule drawn from it does not reproduce the change";
}

/** The tree rules one human fix teaches: `before` is the file as it was, `after` as the human left it. */
export async function learnTreeRules(before: string, after: string): Promise<TreeLesson> {
  const b = await parsePythonOrUndefined(before);
  const a = await parsePythonOrUndefined(after);
  if (!b || b.hasError) return { rules: [], skipped: [{ line: 1, reason: "the file before the fix does not parse" }] };
  if (!a || a.hasError) return { rules: [], skipped: [{ line: 1, reason: "the fixed file does not parse" }] };
  const names = classifyNames(a.root, after, classifyNames(b.root, before));
  const tb = tokensOf(before);
  const ta = tokensOf(after);
  const sideB: Side = { parsed: b, toks: tb, map: new Int32Array(tb.length).fill(-1), refined: new Map(), spans: spansOf(b.root) };
  const sideA: Side = { parsed: a, toks: ta, map: new Int32Array(ta.length).fill(-1), refined: new Map(), spans: spansOf(a.root) };
  const regions: { b0: number; b1: number; a0: number; a1: number }[] = [];
  let ib = 0;
  let ia = 0;
  for (const part of diffArrays(alignmentKeys(before), alignmentKeys(after))) {
    const n = part.value.length;
    if (!part.added && !part.removed) {
      for (let k = 0; k < n; k++) {
        sideB.map[ib + k] = ia + k;
        sideA.map[ia + k] = ib + k;
      }
      ib += n;
      ia += n;
      continue;
    }
    const last = regions[regions.length - 1];
    const open = last && last.b1 === ib && last.a1 === ia;
    const region = open ? last : { b0: ib, b1: ib, a0: ia, a1: ia };
    if (part.removed) region.b1 = ib += n;
    else region.a1 = ia += n;
    if (!open) regions.push(region);
  }
  for (const r of regions) {
    // One string changed inside (an f-string's interpolation): the characters that agree still correspond.
    if (r.b1 - r.b0 !== 1 || r.a1 - r.a0 !== 1) continue;
    const x = tb[r.b0] as Token;
    const y = ta[r.a0] as Token;
    if (x.type !== "string" || y.type !== "string") continue;
    let prefix = 0;
    while (prefix < x.text.length && prefix < y.text.length && x.text[prefix] === y.text[prefix]) prefix++;
    let suffix = 0;
    while (suffix < x.text.length - prefix && suffix < y.text.length - prefix && x.text[x.text.length - 1 - suffix] === y.text[y.text.length - 1 - suffix]) suffix++;
    sideB.refined.set(r.b0, { other: r.a0, prefix, suffix });
    sideA.refined.set(r.a0, { other: r.b0, prefix, suffix });
  }

  const needs = importNeeds(b, a);
  const skipped: TreeLesson["skipped"] = [];
  const insertions: Insertion[] = [];
  const anchors: [PyNode, PyNode][] = [];
  for (const r of regions) {
    const bStart = r.b1 > r.b0 ? (tb[r.b0] as Token).start : undefined;
    const aStart = r.a1 > r.a0 ? (ta[r.a0] as Token).start : undefined;
    const line = b.lines.line(bStart ?? (tb[Math.min(r.b0, tb.length - 1)]?.start ?? 0));
    let startB = bStart !== undefined ? smallestCovering(b.root, bStart, (tb[r.b1 - 1] as Token).end) : undefined;
    let startA = aStart !== undefined ? smallestCovering(a.root, aStart, (ta[r.a1 - 1] as Token).end) : undefined;
    const refined = sideB.refined.get(r.b0);
    if (refined && startB && startA) {
      const x = tb[r.b0] as Token;
      const y = ta[r.a0] as Token;
      startB = smallestCovering(b.root, x.start + refined.prefix, Math.max(x.start + refined.prefix, x.end - refined.suffix));
      startA = smallestCovering(a.root, y.start + refined.prefix, Math.max(y.start + refined.prefix, y.end - refined.suffix));
    }
    if ((startB && insideImport(startB)) || (startA && insideImport(startA))) {
      if ((!startB || insideImport(startB)) && (!startA || insideImport(startA))) continue;
    }
    const pair = startB ? anchorOf(startB, sideB, sideA, true) : startA ? anchorOf(startA, sideA, sideB, false) : undefined;
    const added = !pair && !startB && startA ? insertedStatements(r, ta, a, sideA, sideB) : undefined;
    if (added) {
      insertions.push(added);
      continue;
    }
    if (!pair) {
      skipped.push({ line, reason: "no expression or statement around the change corresponds in the fixed file" });
      continue;
    }
    anchors.push(pair);
  }
  // Regions inside one anchor are one edit; an anchor inside another is part of it.
  const outer = anchors.filter(([nb], i) => !anchors.some(([other], j) => j !== i && other !== nb && other.start <= nb.start && nb.end <= other.end));
  const unique = outer.filter(([nb], i) => outer.findIndex(([other]) => other === nb) === i);

  const byKey = new Map<string, LearnedTreeRule>();
  const items: { nb: PyNode; na: { start: number; end: number }; build: () => TreeRuleSpec | string }[] = [
    ...unique.map(([nb, na]) => ({ nb, na, build: () => buildRule(nb, na, b, a, names) })),
    ...insertions
      .filter((ins) => !unique.some(([nb]) => nb.start <= ins.prevB.start && ins.prevB.end <= nb.end))
      .map((ins) => ({ nb: ins.prevB, na: { start: ins.prevA.start, end: ins.end }, build: () => buildInsertion(ins, b, a, names) })),
  ];
  for (const { nb, na, build } of items) {
    const line = b.lines.line(nb.start);
    if (b.lines.line(nb.end) - line + 1 > MAX_TREE_RULE_LINES || nb.end - nb.start > MAX_TREE_RULE_CHARS) {
      skipped.push({ line, reason: `the changed expression is too large for a rule (at most ${MAX_TREE_RULE_LINES} lines and ${MAX_TREE_RULE_CHARS} characters)` });
      continue;
    }
    const built = build();
    if (typeof built === "string") {
      skipped.push({ line, reason: built });
      continue;
    }
    const templates = built.edits.map((e) => ("template" in e ? e.template : "")).join("\n");
    built.imports = needs.filter((n) => new RegExp(`(^|[^\\w.])${(n.name ?? n.module).replace(/\./g, "\\.")}\\b`).test(templates));
    const key = keyOf(built);
    const known = byKey.get(key);
    const lines = { start: line, end: b.lines.line(Math.max(nb.start, nb.end - 1)) };
    if (known) {
      known.sites++;
      known.siteLines.push(lines);
      continue;
    }
    const shown = describeTree(built);
    const context = contextOf(nb, before);
    byKey.set(key, {
      spec: built,
      key,
      sites: 1,
      context,
      before: shown.before,
      after: shown.after,
      description: `\`${shown.before.replace(/\s+\[.*$/, "")}\` → \`${shown.after.replace(/\s+\[.*$/, "").replace(/\n/g, "; ")}\``,
      example: { before: before.slice(nb.start, nb.end), after: after.slice(na.start, na.end), line },
      siteLines: [lines],
    });
  }
  // A rule that would change places of the same shape the human left alone is not what they meant.
  const rules: LearnedTreeRule[] = [];
  for (const rule of byKey.values()) {
    const extra = matchTree({ ...rule.spec, imports: [] }, b).length - rule.sites;
    if (extra > 0) skipped.push({ line: rule.example.line, reason: `the rule would also change ${extra} place${extra === 1 ? "" : "s"} of the same shape the fix left as ${extra === 1 ? "it was" : "they were"}` });
    else rules.push(rule);
  }
  return { rules, skipped: skipped.sort((x, y) => x.line - y.line) };
}

/** Whether a pattern holds any concrete code (an API name, a constant): a pattern of holes matches anything. */
function patternTexts(p: Pat): boolean {
  switch (p.k) {
    case "text":
      return true;
    case "node":
      return p.kids.some(patternTexts) || p.seps.some((sep) => /[A-Za-z]/.test(sep));
    case "call":
      return patternTexts(p.fn) || p.args.keywords.length > 0 || p.args.positional.some(patternTexts);
    default:
      return false;
  }
}

/**
 * Whether rules drawn from a file account for a hunk of its diff (`@@ -a,b …` and its lines): a site lies
 * in the hunk's old lines, or the hunk only changes imports and a rule brings imports along.
 */
export function rulesCoverHunk(rules: readonly Pick<LearnedTreeRule, "siteLines" | "spec">[], diff: string): boolean {
  const m = /^@@ -(\d+)(?:,(\d+))?/.exec(diff);
  if (!m) return false;
  const start = Number(m[1]);
  const end = start + Math.max(m[2] === undefined ? 1 : Number(m[2]), 1) - 1;
  if (rules.some((r) => r.siteLines.some((l) => l.start <= end && l.end >= start))) return true;
  const changed = diff
    .split("\n")
    .slice(1)
    .filter((l) => l.startsWith("+") || l.startsWith("-"))
    .map((l) => l.slice(1).trim())
    .filter((l) => l !== "");
  return changed.length > 0 && changed.every((l) => /^(from\s+\S+\s+import\b|import\s)/.test(l)) && rules.some((r) => r.spec.imports.length > 0);
}
