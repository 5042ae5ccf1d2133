/**
 * Which names in a human's fix are the component's own (parameters, attributes, locals, its class name)
 * and which belong to Python, Airflow or a library. The first become holes, so the fix applies to other
 * components; the second stay literal, since they are what the fix is about.
 */
import type { PyNode } from "../../python/parser.js";
import { BUILTIN_NAMES } from "../../python/stdlib.js";
import { walk } from "../../python/tree.js";
import type { Token } from "./tokens.js";
import { tokenizePython } from "./tokens.js";

/** Airflow's component API: methods, class attributes and arguments whose names carry the meaning. */
export const AIRFLOW_API_NAMES: ReadonlySet<string> = new Set([
  "template_fields", "template_ext", "template_fields_renderers", "ui_color", "ui_fgcolor", "execute", "execute_complete",
  "poke", "on_kill", "pre_execute", "post_execute", "render_template_fields", "context", "event", "defer", "trigger",
  "method_name", "timeout", "mode", "poke_interval", "soft_fail", "exponential_backoff", "max_wait", "deferrable",
  "conn_name_attr", "default_conn_name", "conn_type", "hook_name", "get_conn", "get_connection", "get_hook",
  "get_connection_form_widgets", "get_ui_field_behaviour", "test_connection", "log", "xcom_push", "xcom_pull", "task_id",
  "dag", "task", "ti", "task_instance", "logical_date", "data_interval_start", "data_interval_end", "serialize", "run",
  "retries", "retry_delay", "owner", "pool", "queue", "do_xcom_push", "params", "extra_dejson", "host", "login",
  "password", "schema", "port", "extra", "conn_id",
]);

/** Conventions and language names that are never a component's own choice. */
export function isApiName(name: string): boolean {
  return (
    AIRFLOW_API_NAMES.has(name) ||
    BUILTIN_NAMES.has(name) ||
    name === "self" ||
    name === "cls" ||
    name === "args" ||
    name === "kwargs" ||
    /^__\w+__$/.test(name)
  );
}

export interface NameClasses {
  /** Names the file binds: classes, functions, parameters, assignment targets, `self.<attr>` attributes. */
  local: Set<string>;
  /** Names brought in by imports. */
  imported: Set<string>;
}

const TARGET_WRAPPERS = new Set(["pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "parenthesized_expression", "list_splat_pattern"]);

function isBindingIdentifier(id: PyNode, source: string): boolean {
  const parent = id.parent;
  if (!parent) return false;
  switch (parent.type) {
    case "function_definition":
    case "class_definition":
      return id.field === "name";
    case "parameters":
    case "lambda_parameters":
    case "list_splat_pattern":
    case "dictionary_splat_pattern":
    case "global_statement":
    case "nonlocal_statement":
    case "as_pattern_target":
      return true;
    case "typed_parameter":
      return id.field === null && parent.children.find((c) => c.type === "identifier") === id;
    case "default_parameter":
    case "typed_default_parameter":
    case "named_expression":
      return id.field === "name";
    default:
      break;
  }
  let target: PyNode = id;
  if (parent.type === "attribute" && id.field === "attribute") {
    const object = parent.children.find((c) => c.field === "object");
    const objectName = object?.type === "identifier" ? source.slice(object.start, object.end) : undefined;
    if (objectName !== "self" && objectName !== "cls") return false;
    target = parent;
  }
  while (target.parent && TARGET_WRAPPERS.has(target.parent.type)) target = target.parent;
  const holder = target.parent;
  if (!holder) return false;
  return (
    target.field === "left" &&
    (holder.type === "assignment" || holder.type === "augmented_assignment" || holder.type === "for_statement" || holder.type === "for_in_clause")
  );
}

export function classifyNames(root: PyNode, source: string, into: NameClasses = { local: new Set(), imported: new Set() }): NameClasses {
  walk(root, (node) => {
    if (node.type === "import_statement" || node.type === "import_from_statement" || node.type === "future_import_statement") {
      walk(node, (inner) => {
        if (inner.type === "identifier") into.imported.add(source.slice(inner.start, inner.end));
      });
      return false;
    }
    if (node.type === "identifier" && isBindingIdentifier(node, source)) into.local.add(source.slice(node.start, node.end));
    return true;
  });
  return into;
}

function abstractable(tokens: readonly Token[], k: number, names: NameClasses): boolean {
  const t = tokens[k] as Token;
  if (t.type !== "name" && t.type !== "strname") return false;
  if (isApiName(t.text) || names.imported.has(t.text) || !names.local.has(t.text)) return false;
  // After a dot only the component's own attributes (`self.x`) are its names; `hook.run` is the library's.
  if (t.type === "name" && tokens[k - 1]?.text === ".") {
    const owner = tokens[k - 2];
    return owner !== undefined && (owner.text === "self" || owner.text === "cls") && tokens[k - 3]?.text !== ".";
  }
  return true;
}

/** Text with token spans replaced and comments removed, dedented by its first line's indentation. */
function rewriteText(text: string, replacements: readonly { start: number; end: number; text: string }[], firstIndent: string): string {
  const edits = [...replacements].sort((a, b) => a.start - b.start);
  let out = "";
  let at = 0;
  for (const e of edits) {
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  out += text.slice(at);
  return out
    .split("\n")
    .map((line) => (line.startsWith(firstIndent) ? line.slice(firstIndent.length) : line.trimStart()).trimEnd())
    .join("\n")
    .replace(/^\n+|\n+$/g, "");
}

export interface AbstractedPair {
  before: string;
  after: string;
  holes: number;
}

/**
 * Replaces the component's own names in `before` by `$1`, `$2`… in order of first appearance, and the
 * same names in `after` by the same holes. Names that appear only in `after` stay literal: the fix
 * introduced them, and a rule can only fill holes its `before` bound.
 */
export function abstractPair(beforeText: string, afterText: string, names: NameClasses): AbstractedPair {
  const holes = new Map<string, string>();
  const abstractSide = (text: string, assign: boolean): string => {
    const { lines, comments } = tokenizePython(text);
    const replacements: { start: number; end: number; text: string }[] = comments.map((c) => ({ ...c, text: "" }));
    for (const line of lines) {
      line.tokens.forEach((t, k) => {
        if (!abstractable(line.tokens, k, names)) return;
        let hole = holes.get(t.text);
        if (hole === undefined && assign) {
          hole = `$${holes.size + 1}`;
          holes.set(t.text, hole);
        }
        if (hole !== undefined) replacements.push({ start: t.start, end: t.end, text: hole });
      });
    }
    const firstIndent = lines[0] ? text.slice(lines[0].lineStart, lines[0].start) : "";
    return rewriteText(text, replacements, firstIndent);
  };
  const before = abstractSide(beforeText, true);
  const after = abstractSide(afterText, false);
  return { before, after, holes: holes.size };
}
