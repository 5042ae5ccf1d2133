import type { ParsedFailure } from "../types.js";

/** A failure a parser found, with the line range it was read from. */
export interface Found {
  failure: ParsedFailure;
  start: number;
  end: number;
}

/** Line ranges (inclusive) already explained by a more specific parser. */
export class LineRanges {
  private ranges: Array<[number, number]> = [];
  private sorted = true;

  add(start: number, end: number): void {
    const last = this.ranges[this.ranges.length - 1];
    if (last && start <= last[1]) this.sorted = false;
    this.ranges.push([start, end]);
  }

  /** Whether line `index` lies in a range: a binary search, since a log can hold thousands of ranges. */
  has(index: number): boolean {
    if (!this.sorted) this.normalize();
    let low = 0;
    let high = this.ranges.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const [start, end] = this.ranges[mid]!;
      if (index < start) high = mid - 1;
      else if (index > end) low = mid + 1;
      else return true;
    }
    return false;
  }

  /** Sorts and merges overlapping ranges so the binary search holds. */
  private normalize(): void {
    const sorted = [...this.ranges].sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const [start, end] of sorted) {
      const last = merged[merged.length - 1];
      if (last && start <= last[1] + 1) last[1] = Math.max(last[1], end);
      else merged.push([start, end]);
    }
    this.ranges = merged;
    this.sorted = true;
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
