/** What the prompt is told about each dependency of a spec: how it fared in CI and what to use instead. */
import type { Kysely } from "kysely";
import type { Tables } from "../../db/schema.js";
import type { AirflowMajor } from "./names.js";
import { requirementLibrary } from "./names.js";
import type { AlternativeKind } from "./seed.js";
import type { CompatibilityScore, Confidence, ScoreOptions } from "./score.js";
import { compatibilityScore } from "./score.js";
import type { LibraryAlternative } from "./store.js";
import type { LearningScope } from "../scope.js";
import { libraryCounts, listAlternatives, listLibraryNotes } from "./store.js";

export type LibraryVerdict = "compatible" | "incompatible" | "mixed" | "unknown";

export interface PreferredAlternative {
  kind: AlternativeKind;
  name: string;
  /** Requirement to add to the spec's dependencies; null for the stdlib. */
  package: string | null;
  importLine: string | null;
  /** Stdlib fallbacks only: code that needs no third-party import. */
  snippet: string | null;
  note: string | null;
}

export interface LibraryPromptNote {
  /** PEP 503 normalized. */
  library: string;
  verdict: LibraryVerdict;
  /** null below the minimum number of observations. */
  confidence: Confidence | null;
  score: CompatibilityScore;
  sentence: string;
  alternative?: PreferredAlternative;
}

export interface LibraryNotesInput {
  /** PEP 508 requirement strings, as in the spec's `dependencies`. */
  dependencies: string[];
  /** "both" adds up what was seen on Airflow 2 and 3. */
  airflowMajor: AirflowMajor | "both";
  score?: ScoreOptions;
}

function verdictOf(score: CompatibilityScore): LibraryVerdict {
  if (score.confidence === "High") return "compatible";
  if (score.confidence === "Low") return "incompatible";
  if (score.confidence === "Neutral") return "mixed";
  return "unknown";
}

function recordText(verdict: LibraryVerdict, score: CompatibilityScore, failures: string): string {
  switch (verdict) {
    case "compatible":
      return `works in CI; ${score.label}`;
    case "incompatible":
      return `fails in CI (${failures}); ${score.label}`;
    case "mixed":
      return `mixed CI results, ${score.successes} ok and ${score.failures} failed, no verdict; ${score.label}`;
    default:
      return score.n === 0 ? "no CI results yet" : `${score.label}${score.failures > 0 ? `; failed so far: ${failures}` : ""}`;
  }
}

function alternativeText(alt: LibraryAlternative, failed: boolean): string {
  const why = failed ? "Use instead" : "Prefer";
  if (alt.kind === "stdlib") return `${why} the stdlib: ${alt.name}()${alt.note ? ` (${alt.note})` : ""}, no third-party import needed.`;
  const pkg = alt.package ? ` (add ${alt.package} to dependencies)` : "";
  const line = alt.importLine ? `: \`${alt.importLine}\`` : "";
  return `${why} ${alt.name}${pkg}${line}${alt.note ? ` — ${alt.note}` : ""}.`;
}

/**
 * One note per dependency (apache-airflow itself skipped), in the spec's order. An alternative is attached
 * when the library has failed on this Airflow major, or when a provider hook exists for it.
 */
export async function libraryNotes(db: Kysely<Tables>, scope: LearningScope, input: LibraryNotesInput): Promise<LibraryPromptNote[]> {
  const majors: AirflowMajor[] = input.airflowMajor === "both" ? ["2", "3"] : [input.airflowMajor];
  if (input.airflowMajor !== "both" && input.airflowMajor !== "2" && input.airflowMajor !== "3") {
    throw new Error(`airflowMajor should be "2", "3" or "both", got ${JSON.stringify(input.airflowMajor)}`);
  }
  const where = input.airflowMajor === "both" ? "Airflow 2 and 3" : `Airflow ${input.airflowMajor}`;
  const notes: LibraryPromptNote[] = [];
  const seen = new Set<string>();
  for (const [i, requirement] of input.dependencies.entries()) {
    const library = typeof requirement === "string" ? requirementLibrary(requirement) : undefined;
    if (library === undefined) {
      throw new Error(`dependencies[${i}]: ${JSON.stringify(requirement)} is not a PEP 508 requirement (e.g. "requests>=2.31")`);
    }
    if (library === "apache-airflow" || seen.has(library)) continue;
    seen.add(library);
    // The scope's own CI record; alternatives and pin notes are curated knowledge shared by all.
    const counts = await libraryCounts(db, scope, library, majors);
    const score = compatibilityScore(counts, input.score);
    const verdict = verdictOf(score);
    const failureParts = [
      counts.importFailed > 0 ? `import failed ${counts.importFailed}×` : "",
      counts.conflict > 0 ? `dependency conflict ${counts.conflict}×` : "",
      counts.execFailed > 0 ? `failed while running ${counts.execFailed}×` : "",
    ].filter((p) => p !== "");
    // A library that keeps working despite an old failure only gets the provider hook suggestion.
    const failed = score.failures > 0 && verdict !== "compatible";
    const alternatives = await listAlternatives(db, library, majors);
    const preferred = failed ? alternatives[0] : alternatives.find((a) => a.kind === "provider_hook");
    const pins = (await listLibraryNotes(db, library, majors)).map((n) => `Note: ${n.note}.`);
    const sentence = [
      `${library} on ${where}: ${recordText(verdict, score, failureParts.join(", "))}.`,
      ...pins,
      ...(preferred === undefined ? [] : [alternativeText(preferred, failed)]),
    ].join(" ");
    const note: LibraryPromptNote = { library, verdict, confidence: score.confidence, score, sentence };
    if (preferred !== undefined) {
      note.alternative = {
        kind: preferred.kind,
        name: preferred.name,
        package: preferred.package,
        importLine: preferred.importLine,
        snippet: preferred.snippet,
        note: preferred.note,
      };
    }
    notes.push(note);
  }
  return notes;
}
