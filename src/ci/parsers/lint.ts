import { excerptOf, repoRelativePath, type LogLine } from "../log-text.js";
import { failure, type Found } from "./found.js";

const CODE = "[A-Z]{1,4}\\d{1,4}";
const PY_PATH = "\\S{1,1000}?\\.(?:py|pyi|ipynb)";
/** ruff's concise (and pre-0.5 default) format, and flake8: `path:line:col: CODE [*] message`. */
const CONCISE = new RegExp(`^(${PY_PATH}):(\\d{1,9}):(\\d{1,9}): (${CODE}) (?:\\[\\*\\] )?(.*)$`);
/** ruff ≥ 0.5 for unparsable files: `path:line:col: SyntaxError: message`. */
const CONCISE_SYNTAX = new RegExp(`^(${PY_PATH}):(\\d{1,9}):(\\d{1,9}): (?:(E999) )?SyntaxError: (.*)$`);
/** ruff's rustc-style full format: `CODE [*] message` then ` --> path:line:col`. */
const FULL_HEAD = new RegExp(`^(${CODE}|invalid-syntax|SyntaxError):? (?:\\[\\*\\] )?(.+)$`);
const FULL_ARROW = /^\s*--> (\S{1,1000}?):(\d{1,9}):(\d{1,9})\s*$/;
/** GitHub workflow command: `::error title=Ruff (S602),file=...,line=12,col=9::message`. */
const WORKFLOW_COMMAND = /^::(error|warning) ([^:]{0,2000})::(.*)$/;
const RULE_TITLE = new RegExp(`\\((${CODE})\\)`);
const LEADING_CODE = new RegExp(`^(${CODE}) (?:\\[\\*\\] )?(.*)$`);
/** mypy: `path:line: error: message  [code]`. */
const MYPY = /^(\S{1,1000}?\.pyi?):(\d{1,9})(?::\d{1,9})?: error: (.*)$/;
const MYPY_CODE = /\s\s\[([a-z][a-z-]{0,60})\]$/;

/** ruff (old, concise, full and `github` formats), flake8 and mypy diagnostics. */
export function parseLint(lines: readonly LogLine[]): Found[] {
  const found: Found[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.text;
    if (text.length < 8) continue;
    const result = readLine(lines, i, text);
    if (result) {
      found.push(result);
      i = result.end;
    }
  }
  return found;
}

function readLine(lines: readonly LogLine[], i: number, text: string): Found | undefined {
  const syntax = CONCISE_SYNTAX.exec(text);
  if (syntax) {
    return single(i, text, {
      kind: "syntax",
      exceptionType: "SyntaxError",
      ruleCode: syntax[4],
      message: syntax[5]!.trim(),
      file: syntax[1]!,
      line: Number(syntax[2]),
    });
  }
  const concise = CONCISE.exec(text);
  if (concise) {
    return single(i, text, { kind: "lint", ruleCode: concise[4], message: concise[5]!.trim(), file: concise[1]!, line: Number(concise[2]) });
  }
  if (text.startsWith("::")) return readWorkflowCommand(i, text);
  const head = FULL_HEAD.exec(text);
  if (head && i + 1 < lines.length) {
    const arrow = FULL_ARROW.exec(lines[i + 1]!.text);
    if (arrow) return readFull(lines, i, head[1]!, head[2]!, arrow);
  }
  const mypy = MYPY.exec(text);
  if (mypy) {
    const message = mypy[3]!;
    const code = MYPY_CODE.exec(message);
    return single(i, text, {
      kind: mypyKind(code?.[1]),
      ruleCode: code?.[1],
      message: (code ? message.slice(0, code.index) : message).trim(),
      file: mypy[1]!,
      line: Number(mypy[2]),
    });
  }
  return undefined;
}

function mypyKind(code: string | undefined): "type" | "attribute" | "name" | "import" {
  if (code === "attr-defined" || code === "union-attr") return "attribute";
  if (code === "name-defined") return "name";
  if (code === "import-not-found" || code === "import-untyped" || code === "import") return "import";
  return "type";
}

function readFull(lines: readonly LogLine[], i: number, code: string, message: string, arrow: RegExpExecArray): Found {
  // The code frame that follows runs until the first blank line.
  let end = i + 1;
  while (end + 1 < lines.length && end < i + 15 && lines[end + 1]!.text.trim() !== "") end++;
  const isSyntax = code === "invalid-syntax" || code === "SyntaxError";
  return {
    failure: failure({
      kind: isSyntax ? "syntax" : "lint",
      exceptionType: isSyntax ? "SyntaxError" : undefined,
      ruleCode: isSyntax ? undefined : code,
      message: message.trim(),
      file: repoRelativePath(arrow[1]!),
      line: Number(arrow[2]),
      excerpt: excerptOf(lines.slice(i, end + 1).map((l) => l.text)),
    }),
    start: i,
    end,
  };
}

function readWorkflowCommand(i: number, text: string): Found | undefined {
  const command = WORKFLOW_COMMAND.exec(text);
  if (!command) return undefined;
  const params = new Map<string, string>();
  for (const part of command[2]!.split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const body = command[3]!.trim();
  const concise = CONCISE.exec(body);
  const leading = concise ? undefined : LEADING_CODE.exec(body);
  const code = concise?.[4] ?? leading?.[1] ?? RULE_TITLE.exec(params.get("title") ?? "")?.[1];
  if (!code) return undefined;
  const message = (concise?.[5] ?? leading?.[2] ?? body).trim();
  const file = params.get("file") ?? concise?.[1];
  const line = Number(params.get("line") ?? concise?.[2]);
  return single(i, text, { kind: "lint", ruleCode: code, message, file, line });
}

function single(
  i: number,
  text: string,
  fields: {
    kind: "lint" | "syntax" | "type" | "attribute" | "name" | "import";
    message: string;
    exceptionType?: string | undefined;
    ruleCode?: string | undefined;
    file?: string | undefined;
    line?: number | undefined;
  },
): Found {
  return {
    failure: failure({ ...fields, file: fields.file === undefined ? undefined : repoRelativePath(fields.file), excerpt: text }),
    start: i,
    end: i,
  };
}
