/**
 * Python source files as bytes: the encoding CPython would use (PEP 263 coding line, UTF-8 BOM, else UTF-8),
 * decoded strictly, and encoded back the same way. A file that does not decode, or whose text would not
 * encode back to the very same bytes, is never rewritten.
 */

const UTF8_BOM = [0xef, 0xbb, 0xbf];
/** PEP 263: `# -*- coding: latin-1 -*-`, `# vim: set fileencoding=utf-8 :` on line 1 or 2. */
const CODING_LINE = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;

export type SourceEncoding = "utf-8" | "latin-1" | "ascii" | { other: string };

export type DecodedSource =
  | {
      ok: true;
      text: string;
      encoding: SourceEncoding;
      bom: boolean;
      /** Whether `encodeSource` can write text back in this encoding (and the original bytes round-trip). */
      writable: boolean;
    }
  | { ok: false; line: number; column: number; message: string };

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/_/g, "-");
}

function encodingOf(name: string): SourceEncoding | undefined {
  const n = normalizeName(name);
  if (n === "utf-8" || n === "utf8" || n.startsWith("utf-8-") || n === "u8") return "utf-8";
  if (["latin-1", "latin1", "iso-8859-1", "iso8859-1", "8859", "cp819", "l1", "iso-latin-1"].includes(n) || n.startsWith("latin-1-") || n.startsWith("iso-8859-1-")) return "latin-1";
  if (n === "ascii" || n === "us-ascii" || n === "646") return "ascii";
  try {
    new TextDecoder(n);
    return { other: n };
  } catch {
    return undefined;
  }
}

/** The declared encoding name of the first two lines, as CPython's tokenizer looks for it. */
function declaredEncoding(bytes: Uint8Array): { name: string; line: number } | undefined {
  let start = 0;
  for (let line = 1; line <= 2 && start < bytes.length; line++) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    const text = Buffer.from(bytes.subarray(start, end)).toString("latin1");
    const match = CODING_LINE.exec(text);
    if (match?.[1]) return { name: match[1], line };
    // Line 2 counts only when line 1 is blank or a comment.
    if (line === 1 && !/^[ \t\f]*(#.*)?\r?$/.test(text)) return undefined;
    start = end + 1;
  }
  return undefined;
}

function lineAndColumn(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstBadUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return Math.max(0, bytes.length - 1);
}

export function encodeSource(text: string, encoding: SourceEncoding, bom: boolean): Buffer | undefined {
  if (encoding === "utf-8") {
    const body = Buffer.from(text, "utf8");
    return bom ? Buffer.concat([Buffer.from(UTF8_BOM), body]) : body;
  }
  if (encoding === "latin-1") {
    // eslint-disable-next-line no-control-regex
    return /^[\u0000-\u00ff]*$/.test(text) ? Buffer.from(text, "latin1") : undefined;
  }
  if (encoding === "ascii") {
    // eslint-disable-next-line no-control-regex
    return /^[\u0000-\u007f]*$/.test(text) ? Buffer.from(text, "latin1") : undefined;
  }
  return undefined;
}

/** Decodes a Python file's bytes as CPython would, or says (as CPython does) why it cannot. */
export function decodeSource(bytes: Uint8Array): DecodedSource {
  const bom = UTF8_BOM.every((b, i) => bytes[i] === b);
  const body = bom ? bytes.subarray(3) : bytes;
  const declared = declaredEncoding(body);
  let encoding: SourceEncoding = "utf-8";
  if (declared !== undefined) {
    const known = encodingOf(declared.name);
    if (known === undefined) return { ok: false, line: declared.line, column: 1, message: `SyntaxError: unknown encoding: ${declared.name}` };
    if (bom && known !== "utf-8") return { ok: false, line: 1, column: 1, message: `SyntaxError: encoding problem: ${declared.name} with BOM` };
    encoding = known;
  }
  let text: string;
  if (encoding === "latin-1") text = Buffer.from(body).toString("latin1");
  else {
    const label = encoding === "utf-8" ? "utf-8" : encoding === "ascii" ? "utf-8" : encoding.other;
    try {
      text = new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(body);
    } catch {
      const at = encoding === "utf-8" || encoding === "ascii" ? firstBadUtf8(body) : 0;
      const { line, column } = lineAndColumn(body, at);
      const byte = `\\x${(body[at] ?? 0).toString(16).padStart(2, "0")}`;
      const message =
        declared === undefined
          ? `SyntaxError: Non-UTF-8 code starting with '${byte}' on line ${line}, but no encoding declared; see https://peps.python.org/pep-0263/ for details`
          : `SyntaxError: (unicode error) '${normalizeName(declared.name)}' codec can't decode byte 0x${(body[at] ?? 0).toString(16).padStart(2, "0")} on line ${line}`;
      return { ok: false, line, column, message };
    }
    // eslint-disable-next-line no-control-regex
    if (encoding === "ascii" && !/^[\u0000-\u007f]*$/.test(text)) {
      const at = body.findIndex((b) => b > 0x7f);
      const { line, column } = lineAndColumn(body, at);
      return { ok: false, line, column, message: `SyntaxError: (unicode error) 'ascii' codec can't decode byte 0x${(body[at] ?? 0).toString(16)} on line ${line}` };
    }
  }
  const again = encodeSource(text, encoding, bom);
  const writable = again !== undefined && Buffer.compare(again, Buffer.from(bytes)) === 0;
  return { ok: true, text, encoding, bom, writable };
}
