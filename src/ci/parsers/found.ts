import type { ParsedFailure } from "../types.js";

/** A failure a parser found, with the line range it was read from. */
export interface Found {
  failure: ParsedFailure;
  start: number;
  end: number;
}

/** Line ranges (inclusive) already explained by a more specific parser. */
export class LineRanges {
  private readonly ranges: Array<[number, number]> = [];

  add(start: number, end: number): void {
    this.ranges.push([start, end]);
  }

  /** Whether line `index` lies in a range. Ranges are few (one per pytest report), so a scan is cheap. */
  has(index: number): boolean {
    for (const [start, end] of this.ranges) if (index >= start && index <= end) return true;
    return false;
  }
}

/** Copies only the defined optional fields, so results compare cleanly and never hold `undefined`. */
export function failure(fields: {
  kind: ParsedFailure["kind"];
  message: string;
  excerpt: string;
  exceptionType?: string | undefined;
  file?: string | undefined;
  line?: number | undefined;
  ruleCode?: string | undefined;
}): ParsedFailure {
  const out: ParsedFailure = { kind: fields.kind, message: fields.message, excerpt: fields.excerpt };
  if (fields.exceptionType) out.exceptionType = fields.exceptionType;
  if (fields.file) out.file = fields.file;
  if (fields.line !== undefined && Number.isSafeInteger(fields.line) && fields.line > 0) out.line = fields.line;
  if (fields.ruleCode) out.ruleCode = fields.ruleCode;
  return out;
}
