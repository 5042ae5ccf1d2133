/**
 * "Did you mean …?": the real names closest to a name that does not exist. A case-only difference wins
 * outright; then edit distance (typos, `upload_string` → `load_string`); then shared words
 * (`AirflowTimeoutError` → `AirflowTaskTimeout`, `AirflowSensorTimeout`).
 */
import { distance } from "fastest-levenshtein";

export interface Suggestion {
  names: string[];
  /** The correction is unique and certain (a case-only difference): safe to apply mechanically. */
  certain: boolean;
}

/** `AirflowTimeoutError` → airflow, timeout, error; `load_string` → load, string. */
export function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[\s_.]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

function wordOverlap(a: string[], b: string[]): number {
  const setB = new Set(b);
  const shared = new Set(a.filter((w) => setB.has(w))).size;
  const union = new Set([...a, ...b]).size;
  return union === 0 ? 0 : shared / union;
}

export function closestNames(name: string, candidates: Iterable<string>, max = 3): Suggestion {
  const pool = [...new Set(candidates)].filter((c) => c !== name);
  const lower = name.toLowerCase();
  const caseOnly = pool.filter((c) => c.toLowerCase() === lower);
  if (caseOnly.length > 0) return { names: caseOnly.slice(0, max), certain: caseOnly.length === 1 };
  const limit = Math.max(2, Math.floor(name.length / 3));
  const byDistance = pool
    .map((c) => ({ c, d: distance(lower, c.toLowerCase()) }))
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c));
  if (byDistance.length > 0) {
    const best = byDistance[0]?.d ?? 0;
    return { names: byDistance.filter((x) => x.d <= best + 1).slice(0, max).map((x) => x.c), certain: false };
  }
  const mine = words(name);
  const byWords = pool
    .map((c) => ({ c, s: wordOverlap(mine, words(c)) }))
    .filter((x) => x.s >= 0.4)
    .sort((x, y) => y.s - x.s || x.c.length - y.c.length || x.c.localeCompare(y.c));
  const top = byWords[0]?.s ?? 0;
  return { names: byWords.filter((x) => x.s >= top - 0.1).slice(0, max).map((x) => x.c), certain: false };
}

/** " (did you mean X?)"-style clause: "; did you mean X?" / "; did you mean X or Y?", or "" with no candidate. */
export function didYouMean(s: Suggestion): string {
  if (s.names.length === 0) return "";
  const quoted = s.names;
  const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]}`;
  return `; did you mean ${list}?`;
}
