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
import type { Tree, TreeCursor } from "web-tree-sitter";

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

/**
 * The WASM functions behind web-tree-sitter's TreeCursor. Its JS methods copy the cursor's four words into
 * a shared transfer buffer before every call and back after every move; a whole-tree walk that keeps the
 * cursor in that buffer between calls skips both copies, which is most of the cost of reading a tree.
 */
interface CursorExports {
  _ts_init(): number;
  _ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  _ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  _ts_tree_cursor_goto_parent_wasm(tree: number): number;
  _ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  _ts_tree_cursor_current_field_id_wasm(tree: number): number;
  _ts_tree_cursor_current_node_is_missing_wasm(tree: number): number;
  _ts_tree_cursor_start_index_wasm(tree: number): number;
  _ts_tree_cursor_end_index_wasm(tree: number): number;
  getValue(ptr: number, type: string): number;
}

const CURSOR_EXPORTS = [
  "_ts_init",
  "_ts_tree_cursor_goto_first_child_wasm",
  "_ts_tree_cursor_goto_next_sibling_wasm",
  "_ts_tree_cursor_goto_parent_wasm",
  "_ts_tree_cursor_current_node_type_id_wasm",
  "_ts_tree_cursor_current_field_id_wasm",
  "_ts_tree_cursor_current_node_is_missing_wasm",
  "_ts_tree_cursor_start_index_wasm",
  "_ts_tree_cursor_end_index_wasm",
  "getValue",
] as const;

interface Grammar {
  parser: Parser;
  typeNames: string[];
  typeNamed: boolean[];
  fieldNames: (string | null)[];
  /** Node types that have named fields; children of any other type need no field lookup. */
  typesWithFields: Set<string>;
  /** Direct cursor calls, when the binding exposes them (it does when this module initialised it). */
  direct?: { exports: CursorExports; transferBuffer: number };
}

let grammarPromise: Promise<Grammar> | undefined;

/** Initialises web-tree-sitter and the Python grammar once per process; later calls share the result. */
export function loadGrammar(): Promise<Grammar> {
  grammarPromise ??= (async () => {
    const require = createRequire(import.meta.url);
    // Emscripten fills the options object in as the module itself: the handle to the cursor functions.
    const binding: Record<string, unknown> = {};
    await Parser.init(binding as Parameters<typeof Parser.init>[0]);
    const hasExports = CURSOR_EXPORTS.every((name) => typeof binding[name] === "function");
    const exports = hasExports ? (binding as unknown as CursorExports) : undefined;
    const language = await Language.load(require.resolve("tree-sitter-python/tree-sitter-python.wasm"));
    const parser = new Parser();
    parser.setLanguage(language);
    const typeNames: string[] = [];
    const typeNamed: boolean[] = [];
    for (let id = 0; id < language.nodeTypeCount; id++) {
      typeNames.push(internalized(language.nodeTypeForId(id) ?? ""));
      typeNamed.push(language.nodeTypeIsNamed(id));
    }
    const nodeTypes = JSON.parse(readFileSync(require.resolve("tree-sitter-python/src/node-types.json"), "utf8")) as { type: string; fields?: Record<string, unknown> }[];
    const typesWithFields = new Set(nodeTypes.filter((t) => t.fields && Object.keys(t.fields).length > 0).map((t) => t.type));
    const direct = exports ? { exports, transferBuffer: exports._ts_init() } : undefined;
    const fieldNames = language.fields.map((name) => (name === null ? null : internalized(name)));
    return { parser, typeNames, typeNamed, fieldNames, typesWithFields, direct };
  })();
  return grammarPromise;
}

/**
 * The same string as the engine's shared copy of it. Names read out of WASM memory are fresh strings, so
 * every `node.type === "call"` in the rules compared characters; property keys are always the engine's
 * shared (internalized) strings, which compare by identity with the literals in the code.
 */
function internalized(name: string): string {
  const [key] = Object.keys({ [name]: true });
  return key === name ? key : name;
}

/** Parsing gives up after this long; the caller reports the file as too complex instead of hanging. */
const PARSE_BUDGET_MS = 10_000;

export class ParseAbortedError extends Error {}

export interface ParseOptions {
  /**
   * Copy through web-tree-sitter's own TreeCursor methods instead of the direct calls into the binding
   * (what happens anyway when the binding was initialised elsewhere); slower, the same tree.
   */
  publicCursor?: boolean;
}

/** Parses Python source into a plain tree. Throws ParseAbortedError when the parse exceeds its time budget. */
/** The parse, or undefined when the parser gives up on the input (ParseAbortedError): "no tree" to callers that can do without one. */
export async function parsePythonOrUndefined(source: string): Promise<ParsedSource | undefined> {
  try {
    return await parsePython(source);
  } catch (err) {
    if (err instanceof ParseAbortedError) return undefined;
    throw err;
  }
}

export async function parsePython(source: string, options: ParseOptions = {}): Promise<ParsedSource> {
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
    const cursor = options.publicCursor ? new PublicCursor(tree.walk()) : cursorOps(tree, grammar);
    const root = copyTree(source, cursor, grammar, hasError, byType);
    return { source, root, hasError, byType, lines: new LineIndex(source) };
  } finally {
    tree.delete();
  }
}

const ERROR_SYMBOL = 0xffff;

/** The cursor moves and reads a whole-tree copy needs; `close` frees the cursor. */
interface CursorOps {
  firstChild(): boolean;
  nextSibling(): boolean;
  parent(): boolean;
  typeId(): number;
  fieldId(): number;
  missing(): boolean;
  startIndex(): number;
  endIndex(): number;
  close(): void;
}

function cursorOps(tree: Tree, grammar: Grammar): CursorOps {
  const cursor = tree.walk();
  const direct = grammar.direct;
  const treeAddress = (tree as unknown as { 0: number })[0];
  const handles = (cursor as unknown as { handles?: number[] }).handles;
  if (!direct || typeof treeAddress !== "number" || !Array.isArray(handles) || handles.length !== 4) return new PublicCursor(cursor);
  return new DirectCursor(direct.exports, direct.transferBuffer, treeAddress, cursor, handles);
}

/**
 * Calls the binding's cursor functions on the cursor held in the transfer buffer: tree.walk() left the new
 * cursor there, and nothing else calls into the binding until close(). A class (not closures made per parse)
 * keeps every call site monomorphic, so the engine can inline the calls.
 */
class DirectCursor implements CursorOps {
  constructor(
    private readonly x: CursorExports,
    private readonly transferBuffer: number,
    private readonly tree: number,
    private readonly cursor: TreeCursor,
    private readonly handles: number[],
  ) {}
  firstChild(): boolean {
    return this.x._ts_tree_cursor_goto_first_child_wasm(this.tree) === 1;
  }
  nextSibling(): boolean {
    return this.x._ts_tree_cursor_goto_next_sibling_wasm(this.tree) === 1;
  }
  parent(): boolean {
    return this.x._ts_tree_cursor_goto_parent_wasm(this.tree) === 1;
  }
  typeId(): number {
    return this.x._ts_tree_cursor_current_node_type_id_wasm(this.tree);
  }
  fieldId(): number {
    return this.x._ts_tree_cursor_current_field_id_wasm(this.tree);
  }
  missing(): boolean {
    return this.x._ts_tree_cursor_current_node_is_missing_wasm(this.tree) === 1;
  }
  startIndex(): number {
    return this.x._ts_tree_cursor_start_index_wasm(this.tree);
  }
  endIndex(): number {
    return this.x._ts_tree_cursor_end_index_wasm(this.tree);
  }
  close(): void {
    // Moves may have reallocated the cursor's stack: hand the current words back before freeing it.
    for (let i = 0; i < 4; i++) this.handles[i] = this.x.getValue(this.transferBuffer + 4 * i, "i32");
    this.cursor.delete();
  }
}

class PublicCursor implements CursorOps {
  constructor(private readonly cursor: TreeCursor) {}
  firstChild(): boolean {
    return this.cursor.gotoFirstChild();
  }
  nextSibling(): boolean {
    return this.cursor.gotoNextSibling();
  }
  parent(): boolean {
    return this.cursor.gotoParent();
  }
  typeId(): number {
    return this.cursor.nodeTypeId;
  }
  fieldId(): number {
    return this.cursor.currentFieldId;
  }
  missing(): boolean {
    return this.cursor.nodeIsMissing;
  }
  startIndex(): number {
    return this.cursor.startIndex;
  }
  endIndex(): number {
    return this.cursor.endIndex;
  }
  close(): void {
    this.cursor.delete();
  }
}

/** Parents whose keyword tokens some rule reads (`async def`). */
const KEEP_TOKENS_OF = new Set(["function_definition"]);

/** Named node types that never have children: no need to ask the cursor to descend. */
const LEAF_TYPES = new Set([
  "identifier", "integer", "float", "string_start", "string_content", "string_end", "escape_sequence", "comment",
  "true", "false", "none", "ellipsis", "type_conversion", "line_continuation", "keyword_separator",
  "positional_separator", "wildcard_import", "import_prefix",
]);

/** What the copy needs to know of each node type, by type id: looked up per node, so arrays rather than sets. */
interface TypeTable {
  names: string[];
  named: boolean[];
  hasFields: boolean[];
  leaf: boolean[];
  keepTokens: boolean[];
  /** The first id of each type name (aliases share a name): the slot its `byType` list lives in. */
  slot: number[];
  identifier: boolean[];
  string: boolean[];
}

const typeTables = new WeakMap<Grammar, TypeTable>();

function typeTable(grammar: Grammar): TypeTable {
  const known = typeTables.get(grammar);
  if (known) return known;
  const names = [...grammar.typeNames, "ERROR"];
  const named = [...grammar.typeNamed, true];
  const firstId = new Map<string, number>();
  const table: TypeTable = {
    names,
    named,
    hasFields: names.map((name) => grammar.typesWithFields.has(name)),
    leaf: names.map((name) => LEAF_TYPES.has(name)),
    keepTokens: names.map((name) => KEEP_TOKENS_OF.has(name)),
    identifier: names.map((name) => name === "identifier"),
    string: names.map((name) => name === "string"),
    slot: names.map((name, id) => {
      const first = firstId.get(name) ?? id;
      firstId.set(name, first);
      return first;
    }),
  };
  typeTables.set(grammar, table);
  return table;
}

/** Shared by every leaf, so that most nodes allocate no array of their own; replaced on the first child. */
const NO_CHILDREN: PyNode[] = [];

/** End of an ASCII identifier starting at `start`, or -1 when it runs into other characters (the cursor knows). */
function asciiIdentifierEnd(source: string, start: number): number {
  let at = start;
  for (;;) {
    const c = source.charCodeAt(at);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95) at++;
    else if (c >= 128) return -1;
    else return at;
  }
}

/** A string literal whose prefix makes it an f-string or t-string (the only strings that hold expressions). */
function isTemplateString(source: string, start: number): boolean {
  for (let at = start; at < start + 3; at++) {
    const c = source.charCodeAt(at);
    if (c === 102 || c === 70 || c === 116 || c === 84) return true;
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90))) return false;
  }
  return false;
}

/**
 * Copies the tree with one cursor walk. Tokens (anonymous nodes) are leaves; they are copied only where a rule
 * reads them, or everywhere when the tree has errors (MISSING tokens name what is missing).
 */
function copyTree(source: string, cursor: CursorOps, grammar: Grammar, withMissing: boolean, byType: Map<string, PyNode[]>): PyNode {
  const table = typeTable(grammar);
  const { names, named: namedById, hasFields, leaf, keepTokens, slot, identifier, string } = table;
  const { fieldNames } = grammar;
  const errorId = names.length - 1;
  const lists: (PyNode[] | undefined)[] = [];
  const listOrder: number[] = [];
  /** Type ids of the open ancestors, innermost last. */
  const parentIds: number[] = [];
  // Children of the open nodes wait here and move into an array of their exact size when their parent
  // closes: arrays grown by push keep spare capacity, and the whole tree stays alive through the rules.
  const pending: PyNode[] = [];
  let pendingTop = 0;
  const marks: number[] = [];
  const close = (node: PyNode): void => {
    const mark = marks.pop() ?? 0;
    if (pendingTop > mark) {
      node.children = pending.slice(mark, pendingTop);
      pendingTop = mark;
    }
  };
  let parent: PyNode | null = null;
  let parentId = -1;
  let root: PyNode | undefined;
  for (;;) {
    // ERROR nodes carry the reserved symbol 0xFFFF, outside the grammar's own type table.
    const typeId = cursor.typeId();
    const id = typeId < errorId ? typeId : typeId === ERROR_SYMBOL ? errorId : -1;
    const named = parent === null || (id >= 0 && (namedById[id] as boolean));
    if (named || withMissing || (parentId >= 0 && keepTokens[parentId])) {
      // Rules never ask for the field of a punctuation or keyword token; skipping it saves a WASM call per token.
      const fieldId = named && parentId >= 0 && hasFields[parentId] ? cursor.fieldId() : 0;
      const type = id >= 0 ? (names[id] as string) : "";
      const start = cursor.startIndex();
      // Identifiers and tokens end where their text does: reading that from the source saves a WASM call each.
      let end = -1;
      if (id >= 0 && identifier[id]) end = asciiIdentifierEnd(source, start + 1);
      else if (!named && !withMissing) end = start + type.length;
      if (end < 0) end = cursor.endIndex();
      const node: PyNode = {
        type,
        start,
        end,
        field: fieldId ? (fieldNames[fieldId] ?? null) : null,
        named,
        missing: withMissing ? cursor.missing() : false,
        parent,
        children: NO_CHILDREN,
      };
      if (parent) pending[pendingTop++] = node;
      else root = node;
      if (named) {
        const at = slot[id] as number;
        const list = lists[at];
        if (list) list.push(node);
        else {
          lists[at] = [node];
          listOrder.push(at);
        }
      }
      // A string without interpolation is read from its text; only f-strings (and t-strings) hold expressions.
      const isLeaf = (id >= 0 && leaf[id]) || (id >= 0 && string[id] && !withMissing && !isTemplateString(source, start));
      if ((named || !parent) && !isLeaf && cursor.firstChild()) {
        marks.push(pendingTop);
        parentIds.push(parentId);
        parent = node;
        parentId = id;
        continue;
      }
    }
    if (!parent) break;
    let done = false;
    while (!cursor.nextSibling()) {
      if (!parent.parent || !cursor.parent()) {
        done = true;
        break;
      }
      close(parent);
      parent = parent.parent;
      parentId = parentIds.pop() ?? -1;
    }
    if (done) break;
  }
  cursor.close();
  for (let open: PyNode | null = parent; open; open = open.parent) close(open);
  for (const at of listOrder) byType.set(names[at] as string, lists[at] as PyNode[]);
  return root as PyNode;
}
