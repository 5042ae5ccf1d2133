/** Turning raw CI text (job logs, check run output) into clean lines the parsers read. */

/** Longest line a parser looks at; longer lines are cut so no pattern sees unbounded input. */
export const MAX_LINE_CHARS = 4000;

/** Default number of bytes read from the end of a job log. */
export const DEFAULT_LOG_TAIL_BYTES = 512 * 1024;

const ACTIONS_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z ?/;
const ACTIONS_MARKER = /^##\[(group|endgroup|error|warning|notice|debug|command|section)\]/;
// CSI sequences (colours, cursor moves) that pytest and ruff emit when colour is forced.
const ANSI_ESCAPE = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;?]{0,32}[A-Za-z]`, "g");

/** A line of CI text after timestamps, markers and colour codes are removed. */
export interface LogLine {
  text: string;
  /** The Actions marker the line carried (`error` for `##[error]...`), if any. */
  marker?: string;
}

/**
 * The last `maxBytes` bytes of `text` (UTF-8), starting at a line boundary so no parser sees a cut line.
 * Text that already fits is returned unchanged.
 */
export function tailBytes(text: string, maxBytes: number): string {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new Error(`logTailBytes must be a positive integer, got ${String(maxBytes)}`);
  }
  // A UTF-8 character takes at most 4 bytes, so a string this short always fits.
  if (text.length * 4 <= maxBytes) return text;
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  const newline = bytes.indexOf(0x0a, start - 1);
  if (newline !== -1 && newline + 1 < bytes.length) start = newline + 1;
  return bytes.subarray(start).toString("utf8");
}

/** Splits CI text into lines, stripping Actions timestamps, `##[...]` markers, a BOM and ANSI colours. */
export function cleanLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  let start = 0;
  const length = text.length;
  while (start <= length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = length;
    let raw = text.slice(start, end);
    start = end + 1;
    if (raw.endsWith("\r")) raw = raw.slice(0, -1);
    if (raw.length > MAX_LINE_CHARS) raw = raw.slice(0, MAX_LINE_CHARS);
    if (raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
    raw = raw.replace(ACTIONS_TIMESTAMP, "");
    if (raw.includes("\u001b")) raw = raw.replace(ANSI_ESCAPE, "");
    let marker: string | undefined;
    const markerMatch = ACTIONS_MARKER.exec(raw);
    if (markerMatch) {
      marker = markerMatch[1];
      raw = raw.slice(markerMatch[0].length);
    }
    out.push(marker === undefined ? { text: raw } : { text: raw, marker });
    if (end === length) break;
  }
  return out;
}

/**
 * Maps a path from a runner's checkout to a repository-relative one:
 * `/home/runner/work/r/r/ops/x.py` → `ops/x.py`. Paths outside a known checkout stay as they are.
 */
export function repoRelativePath(path: string): string {
  let p = path.trim().replace(/\\/g, "/");
  const checkout = /^(?:\/home\/runner\/work|\/__w|[A-Za-z]:\/a)\/[^/]+\/[^/]+\//.exec(p);
  if (checkout) p = p.slice(checkout[0].length);
  else if (p.startsWith("/github/workspace/")) p = p.slice("/github/workspace/".length);
  while (p.startsWith("./")) p = p.slice(2);
  return p;
}

/** True for paths inside the interpreter or installed packages, which are rarely where a bug lives. */
export function isLibraryPath(path: string): boolean {
  return (
    path.startsWith("<") ||
    path.includes("/site-packages/") ||
    path.includes("/dist-packages/") ||
    path.includes("/hostedtoolcache/") ||
    /\/lib\/python\d/.test(path)
  );
}

/** Joins lines into an excerpt of at most `maxLines` lines and `maxChars` characters. */
export function excerptOf(lines: readonly string[], maxLines = 40, maxChars = 4000): string {
  const kept = lines.length > maxLines ? lines.slice(lines.length - maxLines) : lines;
  let text = kept.join("\n").replace(/\s+$/, "");
  if (text.length > maxChars) text = text.slice(text.length - maxChars);
  return text;
}
