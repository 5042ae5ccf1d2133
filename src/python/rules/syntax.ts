/** Syntax rules: what `python -m py_compile` rejects, in CPython's own words. */
import type { Analysis } from "../analysis.js";
import type { PyNode } from "../parser.js";
import { enclosingFunction, field, isAsyncDef, walk } from "../tree.js";
import type { Hit, Rule } from "./rule.js";
import { hitAt } from "./rule.js";

const MAX_TREE_ERRORS = 5;

function treeErrors(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const issue of a.scan.issues) {
    if (issue.kind !== "indentation") hits.push({ line: issue.line, column: issue.column, message: `SyntaxError: ${issue.message}` });
  }
  if (a.parseFailure) hits.push({ line: 1, column: 1, message: `not analysed: ${a.parseFailure}` });
  const parsed = a.parsed;
  if (!parsed) return hits;
  // Python 2 statements that tree-sitter's grammar still accepts.
  for (const node of a.nodes("print_statement", "exec_statement")) {
    const word = node.type === "print_statement" ? "print" : "exec";
    hits.push(hitAt(a, node, `SyntaxError: Missing parentheses in call to '${word}'. Did you mean ${word}(...)?`));
  }
  if (!parsed.hasError || hits.length > 0) return hits.length > 0 ? hits : [...hits, ...compilerErrors(a)];
  // CPython stops at the first error: parser errors after an indentation error are its consequences.
  const indentLine = Math.min(...a.scan.issues.map((i) => i.line));
  const seenLines = new Set<number>();
  walk(parsed.root, (node) => {
    if (hits.length >= MAX_TREE_ERRORS) return false;
    if (!node.missing && node.type !== "ERROR") return;
    // Recovery wraps good code around the mistake: the innermost error is where it is (the root can be ERROR too).
    if (node.type === "ERROR" && hasNestedError(node)) return;
    const pos = a.position(node.start);
    if (pos.line >= indentLine) return false;
    // Error recovery can wrap a long stretch of good code in one ERROR node whose start says nothing about the
    // mistake; next to a tokenizer finding, only a one-line error is trusted.
    if (indentLine !== Number.POSITIVE_INFINITY && a.lines.line(node.end) !== pos.line) return;
    if (seenLines.has(pos.line)) return false;
    seenLines.add(pos.line);
    let message = "invalid syntax";
    if (node.missing) message = node.type === ":" ? "expected ':'" : node.type === "identifier" ? "invalid syntax" : `expected '${node.type}'`;
    else {
      const colon = missingColon(a, node.start);
      if (colon) {
        hits.push({ ...colon, message: "SyntaxError: expected ':'" });
        return false;
      }
      const text = a.source.slice(node.start, Math.min(node.end, node.start + 40)).split("\n")[0] ?? "";
      if (text.trim()) message = `invalid syntax near '${text.trim()}'`;
    }
    hits.push({ ...pos, message: `SyntaxError: ${message}` });
    return false;
  });
  return hits;
}

function hasNestedError(error: PyNode): boolean {
  let found = false;
  walk(error, (d) => {
    if (found) return false;
    if (d !== error && (d.type === "ERROR" || d.missing)) {
      found = true;
      return false;
    }
    return undefined;
  });
  return found;
}

const FUTURE_FEATURES = new Set(["nested_scopes", "generators", "division", "absolute_import", "with_statement", "print_function", "unicode_literals", "barry_as_FLUFL", "generator_stop", "annotations"]);

/** Errors CPython's compiler raises on trees tree-sitter accepts: argument order in calls, __future__ imports. */
function compilerErrors(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const call of a.facts?.calls ?? []) {
    // Only a keyword argument or ** unpacking can be followed by a misplaced positional one.
    if (call.keywords.length === 0 && !call.args.some((arg) => arg.type === "dictionary_splat")) continue;
    const args = field(call.node, "arguments");
    if (args?.type !== "argument_list") continue;
    let keyword: "keyword argument" | "keyword argument unpacking" | undefined;
    for (const arg of args.children) {
      if (!arg.named || arg.type === "comment") continue;
      if (arg.type === "keyword_argument") keyword ??= "keyword argument";
      else if (arg.type === "dictionary_splat") keyword = "keyword argument unpacking";
      else if (arg.type !== "list_splat" && keyword) {
        hits.push(hitAt(a, arg, `SyntaxError: positional argument follows ${keyword}; pass it before the keyword arguments or by name`));
        break;
      }
    }
  }
  // tree-sitter accepts a try whose handlers went missing (a deleted line); CPython does not.
  for (const node of a.nodes("try_statement")) {
    if (!node.children.some((c) => c.type === "except_clause" || c.type === "except_group_clause" || c.type === "finally_clause")) {
      hits.push(hitAt(a, node, "SyntaxError: expected 'except' or 'finally' block"));
    }
  }
  const body = a.parsed ? a.parsed.root.children.filter((c) => c.named && c.type !== "comment") : [];
  let leading = true;
  for (const [i, stmt] of body.entries()) {
    const first = stmt.children[0]?.type;
    // A docstring may be an implicit concatenation ("a" "b"): still a docstring to CPython.
    const isDoc = i === 0 && stmt.type === "expression_statement" && (first === "string" || first === "concatenated_string");
    if (stmt.type === "future_import_statement") {
      if (!leading) hits.push(hitAt(a, stmt, "SyntaxError: from __future__ imports must occur at the beginning of the file"));
      for (const n of stmt.children.filter((c) => c.field === "name")) {
        const name = a.text(n.type === "aliased_import" ? (field(n, "name") ?? n) : n);
        if (!FUTURE_FEATURES.has(name)) hits.push(hitAt(a, n, `SyntaxError: future feature ${name} is not defined`));
      }
    } else if (!isDoc) leading = false;
  }
  return hits;
}

const COMPOUND_HEADER = /^\s*(async\s+)?(def|class|if|elif|else|for|while|with|try|except|finally|match|case)\b/;

/** A compound statement header whose line lacks its ':' (CPython 3.10+: "expected ':'"), at the end of that line. */
function missingColon(a: Analysis, offset: number): { line: number; column: number } | undefined {
  const lineStart = a.source.lastIndexOf("\n", offset - 1) + 1;
  const lineEnd = a.source.indexOf("\n", offset);
  const line = a.source.slice(lineStart, lineEnd === -1 ? undefined : lineEnd).replace(/#.*$/, "").trimEnd();
  if (!COMPOUND_HEADER.test(line) || line.endsWith(":")) return undefined;
  const open = (line.match(/[([{]/g) ?? []).length;
  const close = (line.match(/[)\]}]/g) ?? []).length;
  if (open !== close) return undefined;
  return { line: a.lines.line(lineStart), column: line.length + 1 };
}

/** Node types tree-sitter gives the statements of a module or block. */
const STATEMENT_PARENTS = new Set(["module", "block"]);

/**
 * Two statements on one line with no ';' between them (`from x import a b`, `import ab import c` after a
 * lost newline): tree-sitter reads them as two statements, CPython raises "invalid syntax".
 */
function statementsRunTogether(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  // tree-sitter flags such a line (hasError) without an ERROR node, so the tree-error rule says nothing of it.
  if (!a.parsed) return hits;
  walk(a.parsed.root, (node) => {
    if (hits.length >= MAX_TREE_ERRORS) return false;
    if (!STATEMENT_PARENTS.has(node.type)) return undefined;
    let previous: PyNode | undefined;
    for (const stmt of node.children) {
      if (!stmt.named || stmt.type === "comment") continue;
      if (previous !== undefined && a.lines.line(previous.end) === a.lines.line(stmt.start)) {
        const between = a.source.slice(previous.end, stmt.start);
        // A statement that opens with '(', '[' or '.' continues the one before as CPython reads it (a call,
        // a subscript, an attribute of an annotation tree-sitter closed early): not two statements.
        const opens = a.source[stmt.start] ?? "";
        if (!between.includes(";") && !between.includes("\n") && !"([.".includes(opens)) {
          const near = a.source.slice(stmt.start, Math.min(stmt.end, stmt.start + 40)).split("\n")[0]?.trim() ?? "";
          hits.push(hitAt(a, stmt, `SyntaxError: invalid syntax near '${near}': two statements on one line need a ';' or a new line between them`));
        }
      }
      previous = stmt;
    }
    return undefined;
  });
  return hits;
}

/** `def f(*, **kwargs)` or `def f(a, *)`: a bare '*' must be followed by a keyword-only parameter. */
function bareStar(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const fn of a.facts?.functions ?? []) {
    fn.params.forEach((p, i) => {
      if (p.kind !== "bare-star") return;
      const next = fn.params[i + 1];
      if (next === undefined || next.kind === "kwargs") {
        hits.push(hitAt(a, p.node, `SyntaxError: named arguments must follow bare * in ${fn.name}(); add a keyword-only parameter after '*' or remove the '*'`));
      }
    });
  }
  return hits;
}

function paramOrder(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const fn of functionsAndLambdas(a)) {
    let seenDefault: string | undefined;
    let seenKwargs = false;
    let positional = true;
    for (const p of fn.params) {
      if (seenKwargs) {
        hits.push(
          hitAt(a, p.node, `SyntaxError: arguments cannot follow var-keyword argument: '${p.name}' comes after '**' in ${fn.label}; put **kwargs last`),
        );
        break;
      }
      if (p.kind === "kwargs") seenKwargs = true;
      if (p.kind === "args" || p.kind === "bare-star") positional = false;
      if (!positional || p.kind !== "plain") continue;
      if (p.defaultNode) seenDefault = p.name;
      else if (seenDefault !== undefined) {
        hits.push(
          hitAt(
            a,
            p.node,
            `SyntaxError: parameter without a default follows parameter with a default (Python 3.12+; 3.11 says "non-default argument follows default argument"): '${p.name}' follows '${seenDefault}' in ${fn.label}; put required parameters first or make them keyword-only after '*'`,
          ),
        );
        break;
      }
    }
  }
  return hits;
}

interface ParamOwner {
  label: string;
  params: { name: string; node: PyNode; kind: string; defaultNode?: PyNode }[];
}

function functionsAndLambdas(a: Analysis): ParamOwner[] {
  const out: ParamOwner[] = [];
  for (const fn of a.facts?.functions ?? []) out.push({ label: `${fn.name}()`, params: fn.params });
  return out;
}

function duplicateParams(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const fn of a.facts?.functions ?? []) {
    const seen = new Set<string>();
    for (const p of fn.params) {
      if (p.kind === "bare-star" || p.kind === "slash") continue;
      if (seen.has(p.name)) hits.push(hitAt(a, p.node, `SyntaxError: duplicate argument '${p.name}' in function definition ${fn.name}(); rename one of them`));
      seen.add(p.name);
    }
  }
  return hits;
}

function outsideFunction(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  if (!a.parsed) return hits;
  for (const node of a.nodes("return_statement", "yield")) {
    const fn = enclosingFunction(node);
    const word = node.type === "return_statement" ? "return" : "yield";
    if (!fn) hits.push(hitAt(a, node, `SyntaxError: '${word}' outside function; '${word}' is only valid inside a def`));
  }
  return hits;
}

function awaitOutsideAsync(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  if (!a.parsed) return hits;
  for (const node of a.nodes("await")) {
    const fn = enclosingFunction(node);
    if (!fn) hits.push(hitAt(a, node, "SyntaxError: 'await' outside function; use it inside an 'async def'"));
    else if (!isAsyncDef(fn)) hits.push(hitAt(a, node, "SyntaxError: 'await' outside async function; make the enclosing function 'async def'"));
  }
  return hits;
}

function loopControl(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  if (!a.parsed) return hits;
  for (const node of a.nodes("break_statement", "continue_statement")) {
    let inLoop = false;
    for (let p = node.parent; p; p = p.parent) {
      if (p.type === "function_definition" || p.type === "class_definition" || p.type === "lambda") break;
      if ((p.type === "for_statement" || p.type === "while_statement") && field(p, "body") && isInside(node, field(p, "body"))) {
        inLoop = true;
        break;
      }
    }
    if (!inLoop) {
      hits.push(
        hitAt(a, node, node.type === "break_statement" ? "SyntaxError: 'break' outside loop" : "SyntaxError: 'continue' not properly in loop"),
      );
    }
  }
  return hits;
}

function isInside(node: PyNode, container: PyNode | undefined): boolean {
  return !!container && node.start >= container.start && node.end <= container.end;
}

function indentation(a: Analysis): Hit[] {
  const issues = a.scan.issues.filter((i) => i.kind === "indentation");
  if (issues.length === 0) return [];
  // A syntax error on an earlier line comes first (a header missing its ':' makes the next line look over-indented).
  const earlier = treeErrors(a).filter((h) => h.line < (issues[0]?.line ?? 0));
  if (earlier.length > 0) return [];
  return issues
    .map((i) => ({
      line: i.line,
      column: i.column,
      message: `${i.message.startsWith("inconsistent") ? "TabError" : "IndentationError"}: ${i.message}`,
    }));
}

export const syntaxRules: Rule[] = [
  {
    id: "file-too-large",
    category: "limits",
    severity: "error",
    description: "The file is over the size opforge analyses (5,000,000 characters): it is not checked at all.",
    fixable: false,
    check: (a) => (a.tooLarge === undefined ? [] : [{ line: 1, column: 1, message: `not analysed: ${a.tooLarge}; split the module or check it with other tools` }]),
  },
  {
    id: "syntax-error",
    category: "syntax",
    severity: "error",
    description: "The file does not parse as Python 3 (CPython's SyntaxError).",
    fixable: false,
    check: treeErrors,
  },
  {
    id: "indentation",
    category: "syntax",
    severity: "error",
    description: "Unexpected indent, a block with no indented body, or an unindent that matches no outer level (CPython's IndentationError/TabError).",
    fixable: false,
    check: indentation,
  },
  {
    id: "param-order",
    category: "syntax",
    severity: "error",
    description: "A parameter without a default follows one with a default, or a parameter follows **kwargs.",
    fixable: true,
    check: paramOrder,
  },
  {
    id: "statements-on-one-line",
    category: "syntax",
    severity: "error",
    description: "Two statements on one line without ';' between them (a lost newline, a stray word after an import).",
    fixable: false,
    check: statementsRunTogether,
  },
  {
    id: "bare-star",
    category: "syntax",
    severity: "error",
    description: "A bare '*' in a parameter list with no keyword-only parameter after it.",
    fixable: false,
    check: bareStar,
  },
  {
    id: "duplicate-param",
    category: "syntax",
    severity: "error",
    description: "The same parameter name appears twice in one function definition.",
    fixable: false,
    check: duplicateParams,
  },
  {
    id: "return-outside-function",
    category: "syntax",
    severity: "error",
    description: "'return' or 'yield' at module or class level.",
    fixable: false,
    check: outsideFunction,
  },
  {
    id: "await-outside-async",
    category: "syntax",
    severity: "error",
    description: "'await' outside an 'async def'.",
    fixable: false,
    check: awaitOutsideAsync,
  },
  {
    id: "loop-control-outside-loop",
    category: "syntax",
    severity: "error",
    description: "'break' or 'continue' outside a loop.",
    fixable: false,
    check: loopControl,
  },
];
