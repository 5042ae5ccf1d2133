/**
 * "Did you mean …?": the real names closest to a name that does not exist. In order: a case-only difference
 * (certain); names holding every word of it (`conn_id` → `http_conn_id`, `host` → `remote_host`); edit distance
 * (typos, `upload_string` → `load_string`); then shared words, where an acronym stands for the words it
 * abbreviates (`GoogleCloudStorageHook` → `GCSHook`) and verbs that name the same action match
 * (`upload_file` → `store_file`).
 */
import { distance } from "fastest-levenshtein";

export interface Suggestion {
  names: string[];
  /** The correction is unique and certain (a case-only difference): safe to apply mechanically. */
  certain: boolean;
}

/** `AirflowTimeoutError` → airflow, timeout, error; `load_string` → load, string; `GCSHook` → gcs, hook. */
export function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[\s_.]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** Verbs API names use for one action; each maps to the first of its group. */
const SAME_ACTION: readonly string[][] = [
  ["store", "upload", "put", "push", "send", "write", "load"],
  ["retrieve", "download", "fetch", "pull", "read"],
  ["delete", "remove", "drop"],
  ["list", "ls"],
  ["run", "execute", "exec", "trigger", "submit", "start"],
  ["exists", "exist", "check"],
];
const ACTION = new Map(SAME_ACTION.flatMap((group) => group.map((w) => [w, group[0] as string] as const)));

/** Replaces an acronym word of `candidate` by the words of `name` it abbreviates (`gcs` → google, cloud, storage). */
function expandAcronyms(candidate: string[], name: string[]): string[] {
  const out: string[] = [];
  for (const w of candidate) {
    let expanded: string[] | undefined;
    if (w.length >= 2 && w.length <= 5) {
      for (let i = 0; i + w.length <= name.length && !expanded; i++) {
        const run = name.slice(i, i + w.length);
        if (run.map((x) => x[0]).join("") === w) expanded = run;
      }
    }
    out.push(...(expanded ?? [w]));
  }
  return out;
}

function wordOverlap(a: string[], b: string[]): number {
  const norm = (ws: string[]): Set<string> => new Set(ws.map((w) => ACTION.get(w) ?? w));
  const setA = norm(a);
  const setB = norm(b);
  const shared = [...setA].filter((w) => setB.has(w)).length;
  const union = new Set([...setA, ...setB]).size;
  return union === 0 ? 0 : shared / union;
}

export function closestNames(name: string, candidates: Iterable<string>, max = 3): Suggestion {
  const pool = [...new Set(candidates)].filter((c) => c !== name);
  const lower = name.toLowerCase();
  const caseOnly = pool.filter((c) => c.toLowerCase() === lower);
  if (caseOnly.length > 0) return { names: caseOnly.slice(0, max), certain: caseOnly.length === 1 };
  const mine = words(name);
  const containing = pool
    .filter((c) => {
      const theirs = new Set(words(c));
      return mine.length > 0 && mine.every((w) => theirs.has(w));
    })
    .sort((x, y) => x.length - y.length || x.localeCompare(y));
  if (containing.length > 0 && containing.length <= max) return { names: containing, certain: false };
  const limit = Math.max(2, Math.floor(name.length / 3));
  const byDistance = pool
    .map((c) => ({ c, d: distance(lower, c.toLowerCase()) }))
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c));
  if (byDistance.length > 0) {
    const best = byDistance[0]?.d ?? 0;
    return { names: byDistance.filter((x) => x.d <= best + 1).slice(0, max).map((x) => x.c), certain: false };
  }
  const byWords = pool
    .map((c) => ({ c, s: wordOverlap(mine, expandAcronyms(words(c), mine)) }))
    .filter((x) => x.s >= 0.4)
    .sort((x, y) => y.s - x.s || x.c.length - y.c.length || x.c.localeCompare(y.c));
  const top = byWords[0]?.s ?? 0;
  return { names: byWords.filter((x) => x.s >= top - 0.1).slice(0, max).map((x) => x.c), certain: false };
}

/** "; did you mean X?" / "; did you mean X or Y?", or "" without a candidate. */
export function didYouMean(s: Suggestion): string {
  if (s.names.length === 0) return "";
  const list = s.names.length === 1 ? s.names[0] : `${s.names.slice(0, -1).join(", ")} or ${s.names[s.names.length - 1]}`;
  return `; did you mean ${list}?`;
}
