/**
 * A light tokenizer that finds what tree-sitter forgives: indentation (CPython's IndentationError and
 * TabError), bracket nesting and pairing, unterminated strings and NUL bytes. It also guards the parser:
 * input nested deeper than CPython allows is rejected here, before tree-sitter builds a very deep tree.
 * Messages use CPython's own words (3.10+).
 */

export interface ScanIssue {
  line: number;
  column: number;
  message: string;
  kind: "indentation" | "bracket" | "string" | "null-byte" | "colon";
}

export interface ScanResult {
  issues: ScanIssue[];
  /** True when the scan stopped at an error after which the rest of the file cannot be trusted. */
  fatal: boolean;
  /** The input must not reach the parser (NUL bytes, nesting deeper than CPython allows). */
  blockParse: boolean;
}

/** CPython's tokenizer limits (Parser/tokenizer.h: MAXLEVEL, MAXINDENT). */
const MAX_BRACKET_DEPTH = 200;
const MAX_INDENT_LEVELS = 100;
const TOO_DEEP = "too many nested parentheses";

const STRING_PREFIXES = new Set(["r", "u", "b", "f", "t", "br", "rb", "fr", "rf", "tr", "rt"]);
const OPENERS: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

interface LogicalLine {
  line: number;
  col: number;
  altCol: number;
  firstWord: string;
  secondWord: string;
  endsWithColon: boolean;
  /** A ':' outside brackets (a compound statement's header colon, or a one-line body's). */
  hasTopColon: boolean;
  /** Where the logical line's last token ends, for "expected ':'". */
  endLine: number;
  endColumn: number;
}

interface Bracket {
  ch: string;
  line: number;
  column: number;
}

export function scanSource(source: string): ScanResult {
  const nul = source.indexOf("\0");
  if (nul !== -1) {
    const line = countLines(source, nul);
    return {
      issues: [{ line, column: nul - source.lastIndexOf("\n", nul - 1), message: "source code cannot contain null bytes", kind: "null-byte" }],
      fatal: true,
      blockParse: true,
    };
  }
  const scanner = new Scanner(source);
  scanner.run();
  const indentIssues: ScanIssue[] = [];
  checkIndentation(scanner.logicalLines, indentIssues, scanner.line);
  const colon = missingColon(scanner.logicalLines);
  if (colon && (!indentIssues[0] || colon.line < indentIssues[0].line)) indentIssues.splice(0, indentIssues.length, colon);
  const [other] = scanner.issues;
  const [first] = indentIssues;
  const blockParse = scanner.issues.some((i) => i.message === TOO_DEEP);
  if (!other) return { issues: indentIssues, fatal: indentIssues.length > 0, blockParse };
  if (!first) return { issues: scanner.issues, fatal: true, blockParse };
  return { issues: [firstReported(first, other)], fatal: true, blockParse };
}

/**
 * Which of two errors CPython reports (Parser/pegen_errors.c). Errors the parser raises in its second pass
 * ("expected ':'", "expected an indented block") give way to a tokenizer error anywhere after them, and to a
 * bracket left open before them; "unexpected indent" and the tokenizer's own indentation errors stand.
 */
function firstReported(indent: ScanIssue, other: ScanIssue): ScanIssue {
  const overridable = indent.kind === "colon" || indent.message.startsWith("expected an indented block");
  if (other.message.endsWith("was never closed")) return overridable && other.line < indent.line ? other : indent;
  if (other.line < indent.line) return other;
  return overridable ? other : indent;
}

function countLines(source: string, upTo: number): number {
  let line = 1;
  for (let i = source.indexOf("\n"); i !== -1 && i < upTo; i = source.indexOf("\n", i + 1)) line++;
  return line;
}

class Scanner {
  readonly issues: ScanIssue[] = [];
  readonly logicalLines: LogicalLine[] = [];
  fatal = false;
  line = 1;
  private i = 0;
  private lineStart = 0;
  private readonly brackets: Bracket[] = [];
  private current: LogicalLine | null = null;
  private lastToken = "";

  constructor(private readonly src: string) {}

  private fail(issue: Omit<ScanIssue, "kind">, kind: ScanIssue["kind"]): void {
    this.issues.push({ ...issue, kind });
    this.fatal = true;
  }

  private col(offset: number): number {
    return offset - this.lineStart + 1;
  }

  /** Records where the current logical line's last token ends. */
  private markEnd(): void {
    if (!this.current) return;
    this.current.endLine = this.line;
    this.current.endColumn = this.i - this.lineStart + 1;
  }

  private newline(at: number): void {
    this.line++;
    this.lineStart = at + 1;
  }

  run(): void {
    const src = this.src;
    const n = src.length;
    let atLineStart = true;
    while (this.i < n && !this.fatal) {
      if (atLineStart) {
        atLineStart = false;
        let col = 0;
        let alt = 0;
        let j = this.i;
        for (; j < n; j++) {
          const c = src[j];
          if (c === " ") {
            col++;
            alt++;
          } else if (c === "\t") {
            col = (Math.floor(col / 8) + 1) * 8;
            alt++;
          } else if (c === "\f") {
            col = 0;
            alt = 0;
          } else break;
        }
        this.i = j;
        const c = src[j];
        if (c === undefined || c === "\n" || c === "\r" || c === "#") {
          // Blank or comment-only line: no indentation meaning.
          const eol = src.indexOf("\n", j);
          if (eol === -1) {
            this.i = n;
            break;
          }
          this.newline(eol);
          this.i = eol + 1;
          atLineStart = true;
          continue;
        }
        this.current = { line: this.line, col, altCol: alt, firstWord: "", secondWord: "", endsWithColon: false, hasTopColon: false, endLine: this.line, endColumn: col + 1 };
        this.logicalLines.push(this.current);
        this.lastToken = "";
      }
      const c = src[this.i] ?? "";
      if (c === "\n") {
        if (this.brackets.length === 0) {
          if (this.current) this.current.endsWithColon = this.lastToken === ":";
          atLineStart = true;
        }
        this.newline(this.i);
        this.i++;
        continue;
      }
      if (c === "#") {
        const eol = src.indexOf("\n", this.i);
        this.i = eol === -1 ? n : eol;
        continue;
      }
      if (c === "\\") {
        const next = src[this.i + 1];
        if (next === "\n") {
          this.newline(this.i + 1);
          this.i += 2;
          continue;
        }
        if (next === "\r" && src[this.i + 2] === "\n") {
          this.newline(this.i + 2);
          this.i += 3;
          continue;
        }
        this.i++;
        this.lastToken = "\\";
        continue;
      }
      if (c === " " || c === "\t" || c === "\r" || c === "\f") {
        this.i++;
        continue;
      }
      if (c === '"' || c === "'") {
        this.scanString(this.i, "", 0);
        this.lastToken = "string";
        this.markEnd();
        continue;
      }
      if (isIdentStart(c)) {
        let j = this.i + 1;
        while (j < n && isIdentChar(src[j] ?? "")) j++;
        const word = src.slice(this.i, j);
        const q = src[j];
        if ((q === '"' || q === "'") && STRING_PREFIXES.has(word.toLowerCase())) {
          this.scanString(j, word.toLowerCase(), 0);
          this.lastToken = "string";
          this.markEnd();
          continue;
        }
        if (this.current && this.brackets.length === 0) {
          // Only the line's very first token names the statement (`"x" if y else z` is an expression).
          if (!this.current.firstWord && this.lastToken === "") this.current.firstWord = word;
          else if (!this.current.secondWord && this.lastToken === this.current.firstWord && this.current.firstWord) this.current.secondWord = word;
        }
        this.lastToken = word;
        this.i = j;
        this.markEnd();
        continue;
      }
      if (c === "(" || c === "[" || c === "{") {
        this.brackets.push({ ch: c, line: this.line, column: this.col(this.i) });
        if (this.brackets.length > MAX_BRACKET_DEPTH) {
          this.fail({ line: this.line, column: this.col(this.i), message: TOO_DEEP }, "bracket");
          return;
        }
        this.lastToken = c;
        this.i++;
        this.markEnd();
        continue;
      }
      if (c === ")" || c === "]" || c === "}") {
        const open = this.brackets.pop();
        if (!open) {
          this.fail({ line: this.line, column: this.col(this.i), message: `unmatched '${c}'` }, "bracket");
          return;
        }
        if (open.ch !== OPENERS[c]) {
          const where = open.line !== this.line ? ` on line ${open.line}` : "";
          this.fail(
            { line: this.line, column: this.col(this.i), message: `closing parenthesis '${c}' does not match opening parenthesis '${open.ch}'${where}` },
            "bracket",
          );
          return;
        }
        this.lastToken = c;
        this.i++;
        this.markEnd();
        continue;
      }
      if (c === ":" && src[this.i + 1] === "=") {
        this.lastToken = ":=";
        this.i += 2;
        this.markEnd();
        continue;
      }
      if (c === ":" && this.brackets.length === 0 && this.current) this.current.hasTopColon = true;
      this.lastToken = c;
      this.i++;
      this.markEnd();
    }
    if (this.fatal) return;
    if (this.current && this.brackets.length === 0) this.current.endsWithColon = this.lastToken === ":";
    const open = this.brackets[this.brackets.length - 1];
    if (open) this.fail({ line: open.line, column: open.column, message: `'${open.ch}' was never closed` }, "bracket");
  }

  /**
   * Scans a string literal whose opening quote is at `q`; leaves `this.i` after its closing quote.
   * f-strings: replacement fields may hold nested strings of any quote (Python 3.12, PEP 701).
   */
  private scanString(q: number, prefix: string, depth: number): void {
    const src = this.src;
    const quote = src[q] ?? '"';
    const triple = src[q + 1] === quote && src[q + 2] === quote;
    const startLine = this.line;
    const startCol = this.col(q);
    const formatted = (prefix.includes("f") || prefix.includes("t")) && depth < 20;
    let i = q + (triple ? 3 : 1);
    let braces = 0;
    const n = src.length;
    while (i < n) {
      const c = src[i];
      if (c === "\\") {
        const next = src[i + 1];
        if (next === "\n") this.newline(i + 1);
        i += 2;
        continue;
      }
      if (c === "\n") {
        if (!triple && braces === 0) break;
        this.newline(i);
        i++;
        continue;
      }
      if (formatted) {
        if (c === "{") {
          if (braces === 0 && src[i + 1] === "{") {
            i += 2;
            continue;
          }
          braces++;
          i++;
          continue;
        }
        if (c === "}") {
          if (braces === 0 && src[i + 1] === "}") {
            i += 2;
            continue;
          }
          if (braces > 0) braces--;
          i++;
          continue;
        }
        if (braces > 0 && (c === '"' || c === "'")) {
          // Inside a replacement field every quote opens a nested literal (Python 3.12, PEP 701).
          this.i = i;
          this.scanString(i, "", depth + 1);
          if (this.fatal) return;
          i = this.i;
          continue;
        }
        if (braces > 0 && c === "#") {
          const eol = src.indexOf("\n", i);
          i = eol === -1 ? n : eol;
          continue;
        }
      }
      if (c === quote) {
        if (!triple) {
          this.i = i + 1;
          return;
        }
        if (src[i + 1] === quote && src[i + 2] === quote) {
          this.i = i + 3;
          return;
        }
      }
      i++;
    }
    this.i = i;
    if (triple) {
      this.fail({ line: startLine, column: startCol, message: `unterminated triple-quoted string literal (detected at line ${this.line})` }, "string");
    } else {
      this.fail({ line: startLine, column: startCol, message: `unterminated string literal (detected at line ${this.line})` }, "string");
    }
  }
}

function isIdentStart(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_" || c > "\x7f";
}

function isIdentChar(c: string): boolean {
  return isIdentStart(c) || (c >= "0" && c <= "9");
}

/** Statements whose header must end in ':' (soft keywords match/case excluded: they can start expressions). */
const NEEDS_COLON = new Set(["def", "class", "if", "elif", "else", "for", "while", "with", "try", "except", "finally"]);

/** The first compound statement header without a ':' outside brackets (CPython 3.10+: "expected ':'"). */
function missingColon(lines: LogicalLine[]): ScanIssue | undefined {
  for (const ll of lines) {
    const word = ll.firstWord === "async" ? ll.secondWord : ll.firstWord;
    if (!NEEDS_COLON.has(word) || ll.hasTopColon) continue;
    return { line: ll.endLine, column: ll.endColumn, message: "expected ':'", kind: "colon" };
  }
  return undefined;
}

function describeOpener(first: string, second: string): string {
  const word = first === "async" ? second : first;
  if (word === "def") return "function definition";
  if (word === "class") return "class definition";
  if (["if", "elif", "else", "for", "while", "with", "try", "except", "finally", "match", "case"].includes(word)) {
    return `'${word}' statement`;
  }
  return "";
}

function checkIndentation(lines: LogicalLine[], issues: ScanIssue[], lastLine: number): void {
  const stack = [0];
  const altStack = [0];
  let opener: LogicalLine | null = null;
  const expected = (at: LogicalLine | { line: number; col: number }, header: LogicalLine): ScanIssue => {
    const what = describeOpener(header.firstWord, header.secondWord);
    return {
      line: at.line,
      column: at.col + 1,
      message: what ? `expected an indented block after ${what} on line ${header.line}` : "expected an indented block",
      kind: "indentation",
    };
  };
  for (const ll of lines) {
    const top = stack[stack.length - 1] ?? 0;
    const altTop = altStack[altStack.length - 1] ?? 0;
    if (opener) {
      if (ll.col <= top) {
        issues.push(expected(ll, opener));
        return;
      }
      if (ll.altCol <= altTop) {
        issues.push({ line: ll.line, column: 1, message: "inconsistent use of tabs and spaces in indentation", kind: "indentation" });
        return;
      }
      stack.push(ll.col);
      altStack.push(ll.altCol);
      if (stack.length > MAX_INDENT_LEVELS) {
        issues.push({ line: ll.line, column: ll.col + 1, message: "too many levels of indentation", kind: "indentation" });
        return;
      }
    } else if (ll.col > top) {
      issues.push({ line: ll.line, column: ll.col + 1, message: "unexpected indent", kind: "indentation" });
      return;
    } else if (ll.col < top) {
      while (stack.length > 1 && ll.col < (stack[stack.length - 1] ?? 0)) {
        stack.pop();
        altStack.pop();
      }
      if (ll.col !== stack[stack.length - 1]) {
        issues.push({ line: ll.line, column: ll.col + 1, message: "unindent does not match any outer indentation level", kind: "indentation" });
        return;
      }
      if (ll.altCol !== altStack[altStack.length - 1]) {
        issues.push({ line: ll.line, column: 1, message: "inconsistent use of tabs and spaces in indentation", kind: "indentation" });
        return;
      }
    } else if (ll.altCol !== altTop) {
      issues.push({ line: ll.line, column: 1, message: "inconsistent use of tabs and spaces in indentation", kind: "indentation" });
      return;
    }
    opener = ll.endsWithColon ? ll : null;
  }
  if (opener) issues.push(expected({ line: Math.max(opener.line + 1, lastLine), col: 0 }, opener));
}
