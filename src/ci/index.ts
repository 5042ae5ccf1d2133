/** Reading CI results of a commit into normalized failures. */
export type { AnnotationInput, CheckRunInput, CheckRunOutputInput, CiFailure, CiFailureKind, CiOctokit, ParsedFailure } from "./types.js";
export { failureFingerprint, fingerprintSetHash, stripLiterals } from "./fingerprint.js";
export { cleanLines, DEFAULT_LOG_TAIL_BYTES, repoRelativePath, tailBytes } from "./log-text.js";
export { DEFAULT_MAX_FAILURES, FAILING_CONCLUSIONS, normalizeCheckRun, parseFailureText, type NormalizeInput } from "./normalize.js";
export {
  actionsJobId,
  DEFAULT_EMPTY_SUITE_GRACE_MS,
  DEFAULT_IGNORED_CHECK_NAMES,
  failsOnBase,
  readBaseFailures,
  readCiFailures,
  readFailures,
  summarizeChecks,
  type BaseFailures,
  type CheckRunInfo,
  type CheckSuiteInfo,
  type ChecksState,
  type ChecksSummary,
  type FailsOnBaseOptions,
  type OwnApp,
  type ReadFailuresOptions,
  type ReadFailuresResult,
  type ReadNote,
  type SummarizeChecksOptions,
} from "./read.js";
