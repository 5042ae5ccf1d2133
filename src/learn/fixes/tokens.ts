/**
 * A Python-aware tokenizer for rewrite patterns and the sources they match: logical lines (brackets and
 * backslashes join physical lines, as Python's tokenizer does), comments set aside, and plain strings
 * whose content is one name split into quote, name, quote so a hole can stand for the name inside
 * (`template_fields = ("$1",)`). Patterns add one token type: `$1`, `$2`… holes.
 */

export type TokenType = "name" | "keyword" | "number" | "string" | "op" | "hole" | "quote" | "strname";

export interface Token {
  type: TokenType;
  text: string;
  /** UTF-16 offsets into the tokenized text. */
  start: number;
  end: number;
}

export interface LogicalLine {
  /** Indentation width of the line's first physical line (tabs to the next multiple of 8). */
  indent: number;
  indentText: string;
  /** Offset where the line's physical line begins (before the indentation). */
  lineStart: number;
  /** Offset of the first token and just past the last. */
  start: number;
  end: number;
  tokens: Token[];
}

export interface Tokenized {
  lines: LogicalLine[];
  comments: { start: number; end: number }[];
}

export const PYTHON_KEYWORDS: ReadonlySet<string> = new Set([
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
  "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or",
  "pass", "raise", "return", "try", "while", "with", "yield",
]);

const OPERATORS = [
  "**=", "//=", ">>=", "<<=", "...", "->", ":=", "**", "//", "<<", ">>", "<=", ">=", "==", "!=", "+=", "-=", "*=", "/=",
  "%=", "&=", "|=", "^=", "@=",
];

const IDENTIFIER = /[A-Za-z_\u00AA-\uFFFF][\w\u00AA-\uFFFF]*/y;
const NUMBER = /(?:0[xX][\da-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?)/y;
const HOLE = /\$\d+/y;
const STRING_PREFIX = /(?:[rRbBuUfF]{1,2})?(?='|")/y;
const SPLITTABLE_CONTENT = /^(?:[A-Za-z_]\w*|\$\d+)$/;

function indentWidth(text: string): number {
  let width = 0;
  for (const ch of text) width = ch === "\t" ? width + 8 - (width % 8) : width + 1;
  return width;
}

/** End offset of the string literal whose quote starts at `at` (past the closing quote, or at the line end). */
function stringEnd(text: string, at: number): number {
  const quote = text[at] as string;
  const triple = text.startsWith(quote.repeat(3), at);
  let i = at + (triple ? 3 : 1);
  while (i < text.length) {
    const ch = text[i];
    if (ch === "\\") {
      i += 2;
      continue;
    }
    if (triple) {
      if (text.startsWith(quote.repeat(3), i)) return i + 3;
    } else {
      if (ch === quote) return i + 1;
      if (ch === "\n") return i;
    }
    i++;
  }
  return text.length;
}

export function tokenizePython(text: string): Tokenized {
  const lines: LogicalLine[] = [];
  const comments: { start: number; end: number }[] = [];
  let depth = 0;
  let current: LogicalLine | undefined;
  let atLineStart = true;
  let pendingIndent = { text: "", lineStart: 0 };
  let i = 0;

  const push = (token: Token): void => {
    if (!current) {
      current = {
        indent: indentWidth(pendingIndent.text),
        indentText: pendingIndent.text,
        lineStart: pendingIndent.lineStart,
        start: token.start,
        end: token.end,
        tokens: [],
      };
    }
    current.tokens.push(token);
    current.end = token.end;
  };
  const endLine = (): void => {
    if (current) lines.push(current);
    current = undefined;
    depth = 0;
  };

  while (i < text.length) {
    if (atLineStart) {
      const lineStart = i;
      while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\f")) i++;
      pendingIndent = { text: text.slice(lineStart, i), lineStart };
      atLineStart = false;
      continue;
    }
    const ch = text[i] as string;
    if (ch === " " || ch === "\t" || ch === "\f" || ch === "\r") {
      i++;
      continue;
    }
    if (ch === "\\" && (text[i + 1] === "\n" || (text[i + 1] === "\r" && text[i + 2] === "\n"))) {
      i += text[i + 1] === "\n" ? 2 : 3;
      continue;
    }
    if (ch === "\n") {
      i++;
      if (depth === 0) {
        endLine();
        atLineStart = true;
      }
      continue;
    }
    if (ch === "#") {
      const nl = text.indexOf("\n", i);
      const end = nl === -1 ? text.length : nl;
      comments.push({ start: i, end });
      i = end;
      continue;
    }

    STRING_PREFIX.lastIndex = i;
    const prefix = STRING_PREFIX.exec(text);
    if (prefix) {
      const quoteAt = i + prefix[0].length;
      const end = stringEnd(text, quoteAt);
      const quote = text[quoteAt] as string;
      const triple = text.startsWith(quote.repeat(3), quoteAt);
      const content = text.slice(quoteAt + 1, end - 1);
      if (prefix[0] === "" && !triple && end - 1 > quoteAt && text[end - 1] === quote && SPLITTABLE_CONTENT.test(content)) {
        push({ type: "quote", text: quote, start: quoteAt, end: quoteAt + 1 });
        push({ type: content.startsWith("$") ? "hole" : "strname", text: content, start: quoteAt + 1, end: end - 1 });
        push({ type: "quote", text: quote, start: end - 1, end });
      } else {
        push({ type: "string", text: text.slice(i, end), start: i, end });
      }
      i = end;
      continue;
    }

    HOLE.lastIndex = i;
    const hole = HOLE.exec(text);
    if (hole) {
      push({ type: "hole", text: hole[0], start: i, end: i + hole[0].length });
      i += hole[0].length;
      continue;
    }
    IDENTIFIER.lastIndex = i;
    const ident = IDENTIFIER.exec(text);
    if (ident) {
      push({ type: PYTHON_KEYWORDS.has(ident[0]) ? "keyword" : "name", text: ident[0], start: i, end: i + ident[0].length });
      i += ident[0].length;
      continue;
    }
    if (/\d/.test(ch) || (ch === "." && /\d/.test(text[i + 1] ?? ""))) {
      NUMBER.lastIndex = i;
      const num = NUMBER.exec(text);
      const len = num ? num[0].length : 1;
      push({ type: "number", text: text.slice(i, i + len), start: i, end: i + len });
      i += len;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i)) ?? ch;
    if (op === "(" || op === "[" || op === "{") depth++;
    if ((op === ")" || op === "]" || op === "}") && depth > 0) depth--;
    push({ type: "op", text: op, start: i, end: i + op.length });
    i += op.length;
  }
  endLine();
  return { lines, comments };
}

/** Token texts of a text, comments and layout left out: two texts with equal lists differ only in those. */
export function tokenTexts(text: string): string[] {
  return tokenizePython(text).lines.flatMap((line) => [`\n${line.indent}`, ...line.tokens.map((t) => t.text)]);
}
