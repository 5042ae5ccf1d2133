/**
 * Characters a terminal would act on or that reorder what is displayed: C0 and C1 controls (tab and
 * newline excepted), DEL, and the bidirectional marks and overrides (U+202E and kin). A file name or a
 * source snippet holding one is printed escaped, so output reads as what the bytes are.
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with each such character written as `\xNN` (below U+0100) or `\uNNNN`. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
