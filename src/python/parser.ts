/**
 * Python parsing on tree-sitter (WASM grammar shipped in `tree-sitter-python`).
 *
 * The WASM tree is copied once into plain JS objects (`PyNode`) with a single cursor walk: every property
 * read on a web-tree-sitter node is a call into WASM, so rules that inspect the tree many times are far
 * cheaper on plain objects. The copy is built iteratively, so deeply nested input cannot overflow the stack.
 */
import { createRequire } from "node:module";
import { Language, Parser } from "web-tree-sitter";
import type { TreeCursor } from "web-tree-sitter";

export interface PyNode {
  type: string;
  /** UTF-16 offsets into the source string, as JS `slice` expects. */
  start: number;
  end: number;
  /** Field name under the parent (`name`, `body`, `left`, ...), or null. */
  field: string | null;
  named: boolean;
  missing: boolean;
  parent: PyNode | null;
  children: PyNode[];
}

export interface ParsedSource {
  source: string;
  root: PyNode;
  /** True when tree-sitter found an ERROR or MISSING node anywhere. */
  hasError: boolean;
  lines: LineIndex;
}

/** Maps UTF-16 offsets to 1-based line and column. */
export class LineIndex {
  readonly starts: number[];
  constructor(source: string) {
    const starts = [0];
    let at = source.indexOf("\n");
    while (at !== -1) {
      starts.push(at + 1);
      at = source.indexOf("\n", at + 1);
    }
    this.starts = starts;
  }
  /** 1-based line of an offset. */
  line(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number } {
    const line = this.line(offset);
    return { line, column: offset - (this.starts[line - 1] ?? 0) + 1 };
  }
  /** Offset of the first character of a 1-based line. */
  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line - 1, this.starts.length - 1))] ?? 0;
  }
}

interface Grammar {
  parser: Parser;
  typeNames: string[];
  typeNamed: boolean[];
  fieldNames: (string | null)[];
}

let grammarPromise: Promise<Grammar> | undefined;

/** Initialises web-tree-sitter and the Python grammar once per process; later calls share the result. */
export function loadGrammar(): Promise<Grammar> {
  grammarPromise ??= (async () => {
    const require = createRequire(import.meta.url);
    await Parser.init();
    const language = await Language.load(require.resolve("tree-sitter-python/tree-sitter-python.wasm"));
    const parser = new Parser();
    parser.setLanguage(language);
    const typeNames: string[] = [];
    const typeNamed: boolean[] = [];
    for (let id = 0; id < language.nodeTypeCount; id++) {
      typeNames.push(language.nodeTypeForId(id) ?? "");
      typeNamed.push(language.nodeTypeIsNamed(id));
    }
    return { parser, typeNames, typeNamed, fieldNames: language.fields };
  })();
  return grammarPromise;
}

/** Parsing gives up after this long; the caller reports the file as too complex instead of hanging. */
const PARSE_BUDGET_MS = 10_000;

export class ParseAbortedError extends Error {}

/** Parses Python source into a plain tree. Throws ParseAbortedError when the parse exceeds its time budget. */
export async function parsePython(source: string): Promise<ParsedSource> {
  const grammar = await loadGrammar();
  const deadline = Date.now() + PARSE_BUDGET_MS;
  const tree = grammar.parser.parse(source, null, { progressCallback: () => Date.now() > deadline });
  if (!tree) {
    grammar.parser.reset();
    throw new ParseAbortedError(`parsing gave up after ${PARSE_BUDGET_MS / 1000} s`);
  }
  try {
    const hasError = tree.rootNode.hasError;
    const root = copyTree(tree.walk(), grammar, hasError);
    return { source, root, hasError, lines: new LineIndex(source) };
  } finally {
    tree.delete();
  }
}

const ERROR_SYMBOL = 0xffff;

function copyTree(cursor: TreeCursor, grammar: Grammar, withMissing: boolean): PyNode {
  const { typeNames, typeNamed, fieldNames } = grammar;
  const make = (parent: PyNode | null): PyNode => {
    const typeId = cursor.nodeTypeId;
    const fieldId = cursor.currentFieldId;
    const node: PyNode = {
      // ERROR nodes carry the reserved symbol 0xFFFF, outside the grammar's own type table.
      type: typeNames[typeId] ?? (typeId === ERROR_SYMBOL ? "ERROR" : ""),
      start: cursor.startIndex,
      end: cursor.endIndex,
      field: fieldId ? (fieldNames[fieldId] ?? null) : null,
      named: typeNamed[typeId] ?? typeId === ERROR_SYMBOL,
      missing: withMissing ? cursor.nodeIsMissing : false,
      parent,
      children: [],
    };
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
