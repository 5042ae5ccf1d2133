import { parse as parseYaml } from "yaml";
import { MAX_ALIAS_COUNT } from "./limits.js";
import { scanNesting } from "./yaml-source.js";

/** A Python type annotation read from spec text: `Optional[Dict[str, Any]]` → name + args. */
export interface Annotation {
  name: string;
  args: Annotation[];
}

/**
 * Reads a Python annotation as written in the spec (`str`, `Optional[int]`, `Dict[str, Any]`,
 * `list[str] | None`, `pd.DataFrame`). Returns an error message when it is not a valid annotation.
 */
export function parseAnnotation(text: string): { ok: true; annotation: Annotation } | { ok: false; message: string } {
  const tokens = text.match(/[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*|"[^"]*"|'[^']*'|-?\d+(?:\.\d+)?|\.\.\.|\S/g) ?? [];
  let position = 0;
  const peek = (): string | undefined => tokens[position];

  const parseUnion = (): Annotation => {
    const parts = [parseAtom()];
    while (peek() === "|") {
      position += 1;
      parts.push(parseAtom());
    }
    return parts.length === 1 ? parts[0]! : { name: "Union", args: parts };
  };
  const parseAtom = (): Annotation => {
    const token = peek();
    if (token === undefined) throw new Error("ends too early");
    if (token === "[") {
      // A bare list of types, as in Callable[[int, str], bool].
      position += 1;
      const args = parseList("]");
      return { name: "__list__", args };
    }
    if (!/^[A-Za-z_"'\-\d.]/.test(token)) throw new Error(`unexpected "${token}"`);
    position += 1;
    const name = token.replace(/^["']|["']$/g, "");
    if (peek() === "[") {
      position += 1;
      return { name, args: parseList("]") };
    }
    return { name, args: [] };
  };
  const parseList = (close: string): Annotation[] => {
    const args: Annotation[] = [];
    if (peek() === close) {
      position += 1;
      return args;
    }
    for (;;) {
      args.push(parseUnion());
      const next = peek();
      position += 1;
      if (next === close) return args;
      if (next !== ",") throw new Error(next === undefined ? `"[" is never closed` : `unexpected "${next}"`);
    }
  };

  if (tokens.length === 0) return { ok: false, message: "type is empty" };
  try {
    const annotation = parseUnion();
    if (position < tokens.length) throw new Error(`unexpected "${tokens[position]}"`);
    return { ok: true, annotation };
  } catch (error) {
    return { ok: false, message: `"${text}" is not a Python type annotation: ${(error as Error).message}` };
  }
}

/** Outcome of checking a default against its declared type. */
export interface CoercedDefault {
  value: unknown;
  /** `warning` when a string default could not be read as the type (kept as written); `error` when a non-string value has the wrong type. */
  problem?: { severity: "error" | "warning"; message: string };
  /** True when a string was converted to the declared type. */
  coerced?: boolean;
}

type Kind = "str" | "int" | "float" | "bool" | "list" | "dict" | "none" | "any" | "union";

function kindOf(annotation: Annotation): Kind {
  const name = annotation.name.replace(/^typing\./, "");
  switch (name) {
    case "str":
      return "str";
    case "int":
      return "int";
    case "float":
      return "float";
    case "bool":
      return "bool";
    case "list":
    case "List":
    case "Sequence":
    case "tuple":
    case "Tuple":
    case "set":
    case "Set":
    case "frozenset":
    case "FrozenSet":
    case "Iterable":
      return "list";
    case "dict":
    case "Dict":
    case "Mapping":
    case "MutableMapping":
      return "dict";
    case "None":
    case "NoneType":
      return "none";
    case "Optional":
    case "Union":
      return "union";
    default:
      return "any";
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the text ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

const TRUE_WORDS = new Set(["true", "yes", "on", "1"]);
const FALSE_WORDS = new Set(["false", "no", "off", "0"]);

/** Reads `"true"`, `"False"`, `"yes"` … as booleans; undefined when the text is not one. */
export function parseBoolText(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

/** Reads a string as a list or mapping: JSON first, then YAML flow (`{'a': 1}` as Python would write it). */
function parseStructured(text: string): unknown {
  // The same shape bounds as a spec text: a default like "[[[[..." must not cost more than the spec did.
  if (scanNesting(text)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    try {
      return parseYaml(text, { maxAliasCount: MAX_ALIAS_COUNT });
    } catch {
      return undefined;
    }
  }
}

/** Checks one value against an annotation; never coerces (used for list and dict members). */
function coerceTo(value: unknown, annotation: Annotation, typeText: string, depth: number): CoercedDefault {
  const kind = kindOf(annotation);
  const mismatch = (): CoercedDefault =>
    typeof value === "string"
      ? { value, problem: { severity: "warning", message: `default ${describe(value)} cannot be read as ${typeText}; kept as written` } }
      : { value, problem: { severity: "error", message: `default is ${describe(value)}, which is not ${typeText}` } };
  if (depth > 8) return { value };

  switch (kind) {
    case "any":
      return { value };
    case "none":
      return value === null ? { value } : mismatch();
    case "str":
      if (typeof value === "string") return { value };
      if (typeof value === "number" || typeof value === "boolean") {
        return {
          value: String(value),
          coerced: true,
          problem: { severity: "warning", message: `default ${describe(value)} is not a str; read as ${JSON.stringify(String(value))} (quote it to be explicit)` },
        };
      }
      return mismatch();
    case "int":
      if (typeof value === "number") return Number.isInteger(value) ? { value } : mismatch();
      if (typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value)) return { value: Number.parseInt(value, 10), coerced: true };
      return mismatch();
    case "float":
      if (typeof value === "number") return { value };
      if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return { value: Number(value), coerced: true };
      return mismatch();
    case "bool": {
      if (typeof value === "boolean") return { value };
      if (typeof value === "string") {
        const parsed = parseBoolText(value);
        if (parsed !== undefined) return { value: parsed, coerced: true };
      }
      return mismatch();
    }
    case "list": {
      let list = value;
      let coerced = false;
      if (typeof value === "string") {
        list = parseStructured(value);
        coerced = true;
      }
      if (!Array.isArray(list)) return mismatch();
      const member = annotation.args[0];
      const variadicTuple = annotation.args.length === 2 && annotation.args[1]?.name === "...";
      const tupleLike = /^(tuple|Tuple)$/.test(annotation.name) && annotation.args.length > 1 && !variadicTuple;
      const out: unknown[] = [];
      for (const [index, item] of list.entries()) {
        const itemType = tupleLike ? annotation.args[index] : member;
        if (!itemType) {
          out.push(item);
          continue;
        }
        const checked = coerceTo(item, itemType, annotationText(itemType), depth + 1);
        if (checked.problem?.severity === "error" || (checked.problem && !coerced)) {
          return { value, problem: { severity: checked.problem.severity, message: `default[${index}]: ${checked.problem.message}` } };
        }
        out.push(checked.value);
      }
      return coerced ? { value: out, coerced: true } : { value: out };
    }
    case "dict": {
      let map = value;
      let coerced = false;
      if (typeof value === "string") {
        map = parseStructured(value);
        coerced = true;
      }
      if (map === null || typeof map !== "object" || Array.isArray(map)) return mismatch();
      const valueType = annotation.args[1];
      if (valueType) {
        for (const [key, item] of Object.entries(map)) {
          const checked = coerceTo(item, valueType, annotationText(valueType), depth + 1);
          if (checked.problem?.severity === "error") {
            return { value, problem: { severity: "error", message: `default["${key}"]: ${checked.problem.message}` } };
          }
        }
      }
      return coerced ? { value: map, coerced: true } : { value: map };
    }
    case "union": {
      const members = annotation.name.endsWith("Optional") ? [...annotation.args, { name: "None", args: [] }] : annotation.args;
      const allowsNull = members.some((member) => kindOf(member) === "none");
      if (value === null && allowsNull) return { value };
      // Older specs write `default: ""` for "unset"; for an Optional that is None, unless str is allowed.
      if (value === "" && allowsNull && !members.some((member) => kindOf(member) === "str" || kindOf(member) === "any")) {
        return { value: null, coerced: true };
      }
      // An exact match wins over a coercion: `Union[int, str]` keeps "3" as text.
      const attempts = members.map((member) => coerceTo(value, member, typeText, depth + 1));
      const exact = attempts.find((attempt) => !attempt.problem && !attempt.coerced);
      if (exact) return exact;
      const coercedMatch = attempts.find((attempt) => !attempt.problem);
      if (coercedMatch) return coercedMatch;
      return mismatch();
    }
  }
}

export function annotationText(annotation: Annotation): string {
  if (annotation.args.length === 0) return annotation.name;
  const inner = annotation.args.map(annotationText).join(", ");
  return annotation.name === "__list__" ? `[${inner}]` : `${annotation.name}[${inner}]`;
}

/**
 * Checks (and, for strings, converts) a default value against a Python annotation. A `null` default for
 * a type that does not allow None is reported as a warning: Python accepts it, type checkers do not.
 */
export function coerceDefault(value: unknown, annotation: Annotation, typeText: string): CoercedDefault {
  if (value === null && !allowsNone(annotation)) {
    return { value, problem: { severity: "warning", message: `default is null but type ${typeText} does not allow None; write Optional[${typeText}]` } };
  }
  return coerceTo(value, annotation, typeText, 0);
}

export function allowsNone(annotation: Annotation): boolean {
  const kind = kindOf(annotation);
  if (kind === "any" || kind === "none") return true;
  if (kind !== "union") return false;
  return annotation.name.endsWith("Optional") || annotation.args.some(allowsNone);
}

/** Guesses an annotation from a default value, for inputs that give no type. */
export function annotationForValue(value: unknown): string {
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  if (Array.isArray(value)) return "List[Any]";
  if (value !== null && typeof value === "object") return "Dict[str, Any]";
  if (value === null) return "Optional[Any]";
  return "str";
}
