/**
 * Statement units of a parsed file: simple statements whole, compound statements by their header only
 * (`def f(...):`, `if x:`, `except E as e:`), so a change inside a function body anchors on the changed
 * statements and not on the whole function.
 */
import type { ParsedSource, PyNode } from "../../python/parser.js";
import { field, walk } from "../../python/tree.js";
import { isApiName } from "./abstract.js";

export interface Unit {
  node: PyNode;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
}

const SIMPLE = new Set([
  "expression_statement", "return_statement", "pass_statement", "import_statement", "import_from_statement",
  "future_import_statement", "raise_statement", "assert_statement", "delete_statement", "global_statement",
  "nonlocal_statement", "break_statement", "continue_statement", "print_statement", "exec_statement",
  "type_alias_statement", "decorator",
]);

const COMPOUND = new Set([
  "function_definition", "class_definition", "if_statement", "elif_clause", "else_clause", "for_statement",
  "while_statement", "try_statement", "except_clause", "except_group_clause", "finally_clause", "with_statement",
  "match_statement", "case_clause",
]);

/** End offset of a compound statement's header: its `:` before the first block. */
function headerEnd(node: PyNode): number {
  const blockAt = node.children.findIndex((c) => c.type === "block");
  const upTo = blockAt === -1 ? node.children : node.children.slice(0, blockAt);
  const colon = [...upTo].reverse().find((c) => c.type === ":");
  return colon ? colon.end : (upTo[upTo.length - 1]?.end ?? node.end);
}

export function statementUnits(parsed: ParsedSource): Unit[] {
  const units: Unit[] = [];
  const lineOf = (offset: number): number => parsed.lines.line(offset);
  walk(parsed.root, (node) => {
    if (SIMPLE.has(node.type)) {
      units.push({ node, startLine: lineOf(node.start), endLine: lineOf(Math.max(node.start, node.end - 1)) });
      return false;
    }
    if (COMPOUND.has(node.type)) {
      const end = headerEnd(node);
      units.push({ node, startLine: lineOf(node.start), endLine: lineOf(Math.max(node.start, end - 1)) });
    }
    return true;
  });
  return units.sort((a, b) => a.startLine - b.startLine || a.endLine - b.endLine);
}

/** The deepest node that contains `offset`. */
export function nodeAt(root: PyNode, offset: number): PyNode {
  let node = root;
  for (;;) {
    const child = node.children.find((c) => c.start <= offset && offset < c.end);
    if (!child) return node;
    node = child;
  }
}

/**
 * Where a statement sits, as a rule's context: `def <name>` inside a function with an API name
 * (`def __init__`, `def execute`), `def *` inside any other function, `class *` in a class body, ''
 * at module level. A compound statement's own header does not count as its context.
 */
export function contextOf(node: PyNode, source: string): string {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type !== "function_definition" && p.type !== "class_definition") continue;
    const body = field(p, "body");
    if (!body || node.start < body.start) continue;
    if (p.type === "class_definition") return "class *";
    const name = field(p, "name");
    const text = name ? source.slice(name.start, name.end) : "";
    return isApiName(text) ? `def ${text}` : "def *";
  }
  return "";
}

/** The context of the statement at `offset` in a parsed source (see {@link contextOf}). */
export function contextAt(root: PyNode, offset: number, source: string): string {
  return contextOf(nodeAt(root, offset), source);
}
