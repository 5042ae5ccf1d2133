/** The pattern store of the learning layer: extraction, storage, confidence, retrieval. */
export type { PatternCandidate, PatternComponentType, PatternKind, PatternMeta, PatternRole, RankedPattern } from "./types.js";
export { PATTERN_KINDS } from "./types.js";
export { extractPatterns, fingerprintOf, PatternExtractionError } from "./extract.js";
export type { ArchiveOptions, StoredPattern, StoreOptions } from "./store.js";
export {
  archiveWeakPatterns,
  getPattern,
  getPatternByFingerprint,
  markUsed,
  recordMergedPatterns,
  recordPatternOutcome,
  upsertPatterns,
} from "./store.js";
export type { RetrieveOptions } from "./retrieve.js";
export { retrievePatterns } from "./retrieve.js";
export type { BetaPosterior, Confidence, ConfidenceOptions, DecayedCounts, ResolvedConfidenceOptions } from "./confidence.js";
export {
  addObservation,
  betaCdf,
  betaMean,
  betaQuantile,
  confidenceOf,
  decayTo,
  decayWeight,
  DEFAULT_CONFIDENCE,
  posterior,
  resolveConfidence,
  sampleBeta,
  sampleGamma,
  seededRandom,
} from "./confidence.js";
export { ftsQuery, words } from "./text.js";
