/**
 * A full syntax tree for pattern rendering. The analysis layer's tree keeps only the tokens its rules
 * read; a pattern is rendered back to code, so it needs every keyword and punctuation token. This copies
 * the tree-sitter tree with all of them, into the same `PyNode` shape the facts API reads, using the
 * grammar the analysis layer has already loaded (web-tree-sitter must be initialised once per process).
 */
import type { TreeCursor } from "web-tree-sitter";
import type { PyNode } from "../../python/parser.js";
import { LineIndex, loadGrammar } from "../../python/parser.js";

export interface FullTree {
  root: PyNode;
  hasError: boolean;
  /** Offset of the first ERROR or MISSING node, when there is one. */
  firstErrorAt: number | undefined;
  lines: LineIndex;
}

/** Parsing gives up after this long, as the analysis layer's does. */
const PARSE_BUDGET_MS = 10_000;

export async function parseWithTokens(source: string): Promise<FullTree> {
  const { parser } = await loadGrammar();
  const deadline = Date.now() + PARSE_BUDGET_MS;
  const tree = parser.parse(source, null, { progressCallback: () => Date.now() > deadline });
  if (!tree) {
    parser.reset();
    throw new Error(`parsing gave up after ${PARSE_BUDGET_MS / 1000} s`);
  }
  try {
    const hasError = tree.rootNode.hasError;
    const state = { firstErrorAt: undefined as number | undefined };
    const root = copyTree(tree.walk(), state);
    return { root, hasError, firstErrorAt: state.firstErrorAt, lines: new LineIndex(source) };
  } finally {
    tree.delete();
  }
}

function copyTree(cursor: TreeCursor, state: { firstErrorAt: number | undefined }): PyNode {
  const make = (parent: PyNode | null): PyNode => {
    const node: PyNode = {
      type: cursor.nodeType,
      start: cursor.startIndex,
      end: cursor.endIndex,
      field: cursor.currentFieldName,
      named: cursor.nodeIsNamed,
      missing: cursor.nodeIsMissing,
      parent,
      children: [],
    };
    if (state.firstErrorAt === undefined && (node.type === "ERROR" || node.missing)) state.firstErrorAt = node.start;
    if (parent) parent.children.push(node);
    return node;
  };
  const root = make(null);
  let current = root;
  for (;;) {
    if (cursor.gotoFirstChild()) {
      current = make(current);
      continue;
    }
    for (;;) {
      if (cursor.gotoNextSibling()) {
        current = make(current.parent);
        break;
      }
      if (!cursor.gotoParent()) {
        cursor.delete();
        return root;
      }
      current = current.parent ?? root;
    }
  }
}
