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
