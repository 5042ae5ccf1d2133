/** The library store: per PyPI name and Airflow major, how imports and runs fared in CI, and what to use instead. */
export type { AirflowMajor } from "./names.js";
export { distributionForImport, importNamesFor, isNotALibrary, normalizeLibraryName, requirementLibrary } from "./names.js";
export type { CompatibilityScore, Confidence, LibraryOutcomeKind, OutcomeCounts, ScoreOptions } from "./score.js";
export { compatibilityScore, DEFAULT_MIN_OBSERVATIONS, emptyCounts, observationsOf } from "./score.js";
export type { SourceFile } from "./imports.js";
export { importedLibraries } from "./imports.js";
export type { CiLibraryOutcome } from "./ci.js";
export { libraryOutcomesFromCi } from "./ci.js";
export type { AlternativeKind, SeedAlternative, SeedLibrary, SeedResult, StdlibFallback } from "./seed.js";
export { SEED_LIBRARIES, seedLibraries, STDLIB_FALLBACKS } from "./seed.js";
export type { LibraryAlternative, LibraryNote, LibraryOutcome, LibraryOutcomeInput, LibrarySummary, LibraryVersionSummary } from "./store.js";
export {
  libraryCounts,
  listAlternatives,
  listLibraryNotes,
  listLibraryOutcomes,
  listLibrarySummaries,
  listLibraryVersionSummaries,
  OUTCOME_KINDS,
  recordLibraryOutcome,
  recordLibraryOutcomes,
} from "./store.js";
export type { LibraryNotesInput, LibraryPromptNote, LibraryVerdict, PreferredAlternative } from "./notes.js";
export { libraryNotes } from "./notes.js";
export type { ConstraintSeedResult, ConstraintVersion } from "./constraints.js";
export { libraryVersionFor, listConstraintVersions, seedConstraintVersions, versionedOutcomes } from "./constraints.js";
