/** Text helpers for fixers: lines, indentation and removal of whole lines. */

export function lineStart(source: string, offset: number): number {
  return source.lastIndexOf("\n", offset - 1) + 1;
}

/** Offset just past the newline that ends the line holding `offset` (or the end of the source). */
export function lineEndInclusive(source: string, offset: number): number {
  const nl = source.indexOf("\n", offset);
  return nl === -1 ? source.length : nl + 1;
}

/** Leading whitespace of the line holding `offset`. */
export function indentAt(source: string, offset: number): string {
  const start = lineStart(source, offset);
  return /^[ \t]*/.exec(source.slice(start, start + 200))?.[0] ?? "";
}

/** The whole lines spanning [start, end), newline included, when nothing else shares them; else just the span. */
export function wholeLines(source: string, start: number, end: number): { start: number; end: number } {
  const ls = lineStart(source, start);
  const le = lineEndInclusive(source, Math.max(start, end - 1));
  const before = source.slice(ls, start);
  const after = source.slice(end, le).replace(/\s*#.*$/, "");
  if (before.trim() === "" && after.trim() === "") return { start: ls, end: le };
  return { start, end };
}

/**
 * Edits that append `item` to a bracketed list (parameters, call arguments) after `last`, in the list's own
 * layout: `(a, b)` → `(a, b, item)`; one item per line → a new line `item,` before the closing bracket.
 */
export function appendToList(
  source: string,
  closeBracket: number,
  last: { start: number; end: number } | undefined,
  item: string,
): { start: number; end: number; text: string }[] {
  if (!last) return [{ start: closeBracket, end: closeBracket, text: item }];
  const between = source.slice(last.end, closeBracket);
  const multiLine = between.includes("\n");
  if (!multiLine) {
    const comma = /^\s*,/.exec(between);
    return comma ? [{ start: closeBracket, end: closeBracket, text: ` ${item}` }] : [{ start: last.end, end: last.end, text: `, ${item}` }];
  }
  const edits: { start: number; end: number; text: string }[] = [];
  if (!/^\s*,/.test(between)) edits.push({ start: last.end, end: last.end, text: "," });
  const at = lineStart(source, closeBracket);
  edits.push({ start: at, end: at, text: `${indentAt(source, last.start)}${item},\n` });
  return edits;
}
