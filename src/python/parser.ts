/**
 * Python parsing on tree-sitter (WASM grammar shipped in `tree-sitter-python`).
 *
 * The WASM tree is copied once into plain JS objects (`PyNode`) with a single cursor walk: every property
 * read on a web-tree-sitter node is a call into WASM, so rules that inspect the tree many times are far
 * cheaper on plain objects. The copy is built iteratively, so deeply nested input cannot overflow the stack.
 */
import { readFileSync } from "node:fs";
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
  /** Every node by type, in source order: rules look nodes up here instead of walking the tree again. */
  byType: Map<string, PyNode[]>;
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
  /** Node types that have named fields; children of any other type need no field lookup. */
  typesWithFields: Set<string>;
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
    const nodeTypes = JSON.parse(readFileSync(require.resolve("tree-sitter-python/src/node-types.json"), "utf8")) as { type: string; fields?: Record<string, unknown> }[];
    const typesWithFields = new Set(nodeTypes.filter((t) => t.fields && Object.keys(t.fields).length > 0).map((t) => t.type));
    return { parser, typeNames, typeNamed, fieldNames: language.fields, typesWithFields };
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
    const byType = new Map<string, PyNode[]>();
    const root = copyTree(source, tree.walk(), grammar, hasError, byType);
    return { source, root, hasError, byType, lines: new LineIndex(source) };
  } finally {
    tree.delete();
  }
}

const ERROR_SYMBOL = 0xffff;

/** Parents whose keyword tokens some rule reads (`async def`). */
const KEEP_TOKENS_OF = new Set(["function_definition"]);

/** Named node types that never have children: no need to ask the cursor to descend. */
const LEAF_TYPES = new Set([
  "identifier", "integer", "float", "string_start", "string_content", "string_end", "escape_sequence", "comment",
  "true", "false", "none", "ellipsis", "type_conversion", "line_continuation", "keyword_separator",
  "positional_separator", "wildcard_import", "import_prefix",
]);

/**
 * Copies the tree with one cursor walk. Tokens (anonymous nodes) are leaves; they are copied only where a rule
 * reads them, or everywhere when the tree has errors (MISSING tokens name what is missing).
 */
/** Shared by every leaf, so that most nodes allocate no array of their own; replaced on the first child. */
const NO_CHILDREN: PyNode[] = [];

const IDENTIFIER_TAIL = /[\p{ID_Continue}\u00B7\u0387\u1369-\u1371\u19DA]*/uy;

function copyTree(source: string, cursor: TreeCursor, grammar: Grammar, withMissing: boolean, byType: Map<string, PyNode[]>): PyNode {
  const { typeNames, typeNamed, fieldNames, typesWithFields } = grammar;
  const make = (parent: PyNode | null, typeId: number, named: boolean): PyNode => {
    // Rules never ask for the field of a punctuation or keyword token; skipping it saves a WASM call per token.
    const fieldId = named && parent && typesWithFields.has(parent.type) ? cursor.currentFieldId : 0;
    // ERROR nodes carry the reserved symbol 0xFFFF, outside the grammar's own type table.
    const type = typeNames[typeId] ?? (typeId === ERROR_SYMBOL ? "ERROR" : "");
    const start = cursor.startIndex;
    // Identifiers and tokens end where their text does: reading that from the source saves a WASM call each.
    let end: number;
    if (type === "identifier") {
      IDENTIFIER_TAIL.lastIndex = start + 1;
      IDENTIFIER_TAIL.exec(source);
      end = IDENTIFIER_TAIL.lastIndex;
    } else if (!named && !withMissing) end = start + type.length;
    else end = cursor.endIndex;
    const node: PyNode = {
      type,
      start,
      end,
      field: fieldId ? (fieldNames[fieldId] ?? null) : null,
      named,
      missing: withMissing ? cursor.nodeIsMissing : false,
      parent,
      children: NO_CHILDREN,
    };
    if (parent) {
      if (parent.children === NO_CHILDREN) parent.children = [node];
      else parent.children.push(node);
    }
    if (named) {
      const list = byType.get(node.type);
      if (list) list.push(node);
      else byType.set(node.type, [node]);
    }
    return node;
  };
  const rootType = cursor.nodeTypeId;
  const root = make(null, rootType, true);
  let parent = root;
  if (!cursor.gotoFirstChild()) {
    cursor.delete();
    return root;
  }
  for (;;) {
    const typeId = cursor.nodeTypeId;
    const named = typeNamed[typeId] ?? typeId === ERROR_SYMBOL;
    if (named || withMissing || KEEP_TOKENS_OF.has(parent.type)) {
      const node = make(parent, typeId, named);
      // A string without interpolation is read from its text; only f-strings (and t-strings) hold expressions.
      const leaf = LEAF_TYPES.has(node.type) || (node.type === "string" && !withMissing && !/^[A-Za-z]*[fFtT]/.test(source.slice(node.start, node.start + 3)));
      if (named && !leaf && cursor.gotoFirstChild()) {
        parent = node;
        continue;
      }
    }
    while (!cursor.gotoNextSibling()) {
      if (parent === root || !cursor.gotoParent()) {
        cursor.delete();
        return root;
      }
      parent = parent.parent ?? root;
    }
  }
}
