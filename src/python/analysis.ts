/** One analysed source file: the scan, the plain tree, the module facts and lazily the scopes. */
import type { ClassFact, ModuleFacts } from "./facts.js";
import { collectFacts } from "./facts.js";
import type { ParsedSource, PyNode } from "./parser.js";
import { LineIndex, ParseAbortedError, parsePython } from "./parser.js";
import type { ScanResult } from "./scan.js";
import { scanSource } from "./scan.js";
import type { ScopeAnalysis } from "./scope.js";
import { analyzeScopes } from "./scope.js";
import type { AirflowTarget, ComponentKind, FileKind, ValidateOptions } from "./types.js";

export interface ResolvedOptions extends ValidateOptions {
  kind: FileKind;
  airflowVersion: AirflowTarget;
}

export interface ComponentClass {
  cls: ClassFact;
  type: ComponentKind;
}

export interface Analysis {
  source: string;
  options: ResolvedOptions;
  lines: LineIndex;
  scan: ScanResult;
  /** Absent when the input cannot be handed to the parser (NUL bytes, nesting past CPython's limit) or parsing gave up. */
  parsed?: ParsedSource;
  parseFailure?: string;
  /** Set when the file is over the size limit: nothing of it was scanned or parsed. */
  tooLarge?: string;
  facts?: ModuleFacts;
  /** Classes deriving (by name) from an Airflow operator, sensor or hook base. */
  components: ComponentClass[];
  scopes(): ScopeAnalysis;
  /** Named nodes of the given types, in source order (empty without a tree). */
  nodes(...types: string[]): PyNode[];
  position(offset: number): { line: number; column: number };
  text(node: PyNode): string;
  /**
   * A value derived from this analysis, computed on first use and kept with it. Kept here rather than in a
   * module-level WeakMap: the young-generation collector treats such a map's values as live, so a cached
   * value pointing into the tree kept every analysed tree alive until a full collection.
   */
  memo<T>(key: MemoKey<T>, compute: () => T): T;
}

/** Names one memoised value (and its type); compared by identity. */
export interface MemoKey<T> {
  readonly description: string;
  /** Only carries the type. */
  readonly type?: T;
}

export function resolveOptions(options: ValidateOptions = {}): ResolvedOptions {
  return { ...options, kind: options.kind ?? "component", airflowVersion: options.airflowVersion ?? "both" };
}

/** Which kind of component a base class name implies, judged by its last dotted segment. */
export function componentKindOfBase(base: string): ComponentKind | undefined {
  const last = base.split(".").pop() ?? base;
  if (/Sensor(Operator)?$/.test(last) || last === "BaseSensorOperator") return "sensor";
  if (/Hook$/.test(last)) return "hook";
  if (/Operator$/.test(last)) return "operator";
  return undefined;
}

export function componentKindOfClass(cls: ClassFact): ComponentKind | undefined {
  for (const base of cls.bases) {
    const kind = componentKindOfBase(base);
    if (kind) return kind;
  }
  return undefined;
}

/** Generated components are a few hundred lines; anything this large is not one and would only cost seconds. */
export const MAX_SOURCE_CHARS = 5_000_000;

export async function analyze(source: string, options: ValidateOptions = {}): Promise<Analysis> {
  const resolved = resolveOptions(options);
  const limit = options.maxSourceChars ?? MAX_SOURCE_CHARS;
  // Over the limit nothing is scanned or parsed: the cost stays flat however large the file.
  const tooLarge =
    source.length > limit ? `the file has ${source.length.toLocaleString("en-US")} characters; opforge analyses files up to ${limit.toLocaleString("en-US")}` : undefined;
  const scan = scanSource(tooLarge === undefined ? source : "");
  let parsed: ParsedSource | undefined;
  let parseFailure: string | undefined;
  const blocked = scan.blockParse;
  if (!blocked && tooLarge === undefined) {
    try {
      parsed = await parsePython(source);
    } catch (err) {
      if (!(err instanceof ParseAbortedError)) throw err;
      parseFailure = err.message;
    }
  }
  // The parser indexes line starts too; without a tree the index is built here.
  const lines = parsed?.lines ?? new LineIndex(tooLarge === undefined ? source : "");
  const facts = parsed ? collectFacts((type) => parsed?.byType.get(type) ?? [], source) : undefined;
  const components: ComponentClass[] = [];
  for (const cls of facts?.classes ?? []) {
    const type = componentKindOfClass(cls);
    if (type) components.push({ cls, type });
  }
  let scopes: ScopeAnalysis | undefined;
  const memos = new Map<MemoKey<unknown>, unknown>();
  return {
    source,
    options: resolved,
    lines,
    scan,
    parsed,
    parseFailure,
    ...(tooLarge === undefined ? {} : { tooLarge }),
    facts,
    components,
    scopes: () => {
      if (!parsed) throw new Error("no syntax tree to analyse");
      scopes ??= analyzeScopes(parsed.root, source);
      return scopes;
    },
    nodes: (...types) => {
      if (!parsed) return [];
      if (types.length === 1) return parsed.byType.get(types[0] ?? "") ?? [];
      return mergeBySource(types.map((t) => parsed.byType.get(t) ?? []));
    },
    position: (offset) => lines.position(offset),
    text: (node) => source.slice(node.start, node.end),
    memo: <T>(key: MemoKey<T>, compute: () => T): T => {
      if (memos.has(key)) return memos.get(key) as T;
      const value = compute();
      memos.set(key, value);
      return value;
    },
  };
}

/**
 * Merges lists that are each in source order into one list ordered by start offset; nodes starting at the
 * same offset keep the order of the lists they come from (what a stable sort of the concatenation gives).
 */
export function mergeBySource(lists: PyNode[][]): PyNode[] {
  const out: PyNode[] = [];
  const at = lists.map(() => 0);
  for (;;) {
    let best = -1;
    let bestStart = Number.POSITIVE_INFINITY;
    for (let i = 0; i < lists.length; i++) {
      const node = (lists[i] as PyNode[])[at[i] as number];
      if (node && node.start < bestStart) {
        best = i;
        bestStart = node.start;
      }
    }
    if (best === -1) return out;
    out.push((lists[best] as PyNode[])[at[best] as number] as PyNode);
    at[best] = (at[best] as number) + 1;
  }
}
