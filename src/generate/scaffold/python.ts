/** Rendering plain data as Python source text that always compiles. */

const PYTHON_KEYWORDS = new Set([
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
  "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
  "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
]);

/** A valid Python identifier from a spec name: non-word characters become `_`, keywords get a trailing `_`. */
export function pyIdentifier(name: string): string {
  let id = name.trim().replace(/[^A-Za-z0-9_]/g, "_");
  if (id === "") id = "value";
  if (/^[0-9]/.test(id)) id = `_${id}`;
  if (PYTHON_KEYWORDS.has(id)) id = `${id}_`;
  return id;
}

/** A Python string literal (JSON's escapes are all valid Python escapes). */
export function pyString(text: string): string {
  return JSON.stringify(text);
}

/** A Python literal for JSON-like data: str, int/float, bool, None, list, dict. */
export function pyLiteral(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "string") return pyString(value);
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return 'float("nan")';
    if (!Number.isFinite(value)) return value > 0 ? 'float("inf")' : '-float("inf")';
    return String(value);
  }
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return `[${value.map(pyLiteral).join(", ")}]`;
  if (value instanceof Date) return pyString(value.toISOString());
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyString(k)}: ${pyLiteral(v)}`);
    return `{${entries.join(", ")}}`;
  }
  return pyString(String(value));
}

export function isMutableValue(value: unknown): boolean {
  return Array.isArray(value) || (value !== null && typeof value === "object" && !(value instanceof Date));
}

/** Text safe inside a `"""` docstring: backslashes doubled, no closing quotes. */
export function docstringText(text: string): string {
  let escaped = text.replace(/\\/g, "\\\\").replace(/"""/g, '\\"\\"\\"').replace(/\r\n?/g, "\n");
  if (escaped.endsWith('"')) escaped = `${escaped.slice(0, -1)}\\"`;
  return escaped;
}

/** One-line text for a `#` comment. */
export function commentText(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

const TYPE_WORDS: Record<string, string> = {
  string: "str",
  text: "str",
  integer: "int",
  number: "float",
  boolean: "bool",
  object: "dict",
  array: "list",
};

const TYPING_NAMES = [
  "Any", "Dict", "List", "Optional", "Union", "Tuple", "Set", "FrozenSet", "Sequence", "Mapping", "Iterable",
  "Callable", "Literal", "Type", "MutableMapping", "MutableSequence",
];

export interface Annotation {
  /** Text to write after `name: `. */
  text: string;
  /** Names to import from `typing`. */
  typingImports: string[];
  /** True when the spec's type could not be used as written. */
  replaced: boolean;
}

function bracketsBalanced(text: string): boolean {
  let depth = 0;
  for (const ch of text) {
    if (ch === "[") depth += 1;
    if (ch === "]") depth -= 1;
    if (depth < 0) return false;
  }
  return depth === 0;
}

/**
 * The spec's type as a Python annotation. Modules start with `from __future__ import annotations`, so an
 * annotation is never evaluated; it only has to parse. Text that would not parse becomes `Any`.
 */
export function pyAnnotation(type: string): Annotation {
  const trimmed = type.trim();
  const word = TYPE_WORDS[trimmed.toLowerCase()];
  const text = word ?? trimmed;
  const looksValid =
    text !== "" &&
    /^[A-Za-z_][A-Za-z0-9_.]*(\s*\[[A-Za-z0-9_.,\s[\]|"']*\])?(\s*\|\s*[A-Za-z_][A-Za-z0-9_.]*(\[[A-Za-z0-9_.,\s[\]|"']*\])?)*$/.test(
      text,
    ) &&
    bracketsBalanced(text) &&
    !/\[\s*\]/.test(text) &&
    !/,\s*[\],]/.test(text) &&
    !/\[\s*,/.test(text) &&
    // Quotes must pair up, or the annotation would not parse.
    (text.match(/"/g) ?? []).length % 2 === 0 &&
    (text.match(/'/g) ?? []).length % 2 === 0;
  if (!looksValid) return { text: "Any", typingImports: ["Any"], replaced: trimmed !== "Any" };
  const used = TYPING_NAMES.filter((name) => new RegExp(`(^|[^A-Za-z0-9_.])${name}(?![A-Za-z0-9_])`).test(text));
  return { text, typingImports: used, replaced: false };
}

/** The outer type of an annotation with `Optional[...]` removed: `Optional[Dict[str, Any]]` → `Dict[str, Any]`. */
export function baseType(annotation: string): string {
  const match = /^Optional\[(.*)\]$/.exec(annotation.trim());
  if (match?.[1]) return match[1].trim();
  const union = annotation.split("|").map((p) => p.trim()).filter((p) => p !== "None");
  return union[0] ?? annotation;
}

export function indent(lines: string[], level: number): string[] {
  const pad = "    ".repeat(level);
  return lines.map((line) => (line === "" ? "" : `${pad}${line}`));
}
