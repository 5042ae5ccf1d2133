/**
 * Tree helpers for pattern extraction: the analysis layer's own (iterative, source-based) plus the two
 * extraction needs on the full-token tree.
 */
import type { PyNode } from "../../python/parser.js";
import { walk } from "../../python/tree.js";

export { dottedName, field, namedChildren, statements, stringValue, walk } from "../../python/tree.js";

/** Every descendant of one of the given types, in source order. */
export function descendants(root: PyNode, types: string | readonly string[]): PyNode[] {
  const wanted = typeof types === "string" ? [types] : types;
  const found: PyNode[] = [];
  walk(root, (node) => {
    if (node !== root && wanted.includes(node.type)) found.push(node);
  });
  return found;
}

/** Every node of the tree indexed by type, in source order: the shape the analysis layer's facts API reads. */
export function nodesByType(root: PyNode): (type: string) => PyNode[] {
  const byType = new Map<string, PyNode[]>();
  walk(root, (node) => {
    const list = byType.get(node.type);
    if (list) list.push(node);
    else byType.set(node.type, [node]);
  });
  return (type) => byType.get(type) ?? [];
}
