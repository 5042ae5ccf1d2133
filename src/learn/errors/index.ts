/** Error signatures: classification of failures, and the store of their occurrences and fix outcomes. */
export { errorSignature } from "./classify.js";
export type { ErrorKind, ErrorSignature, FailureLike, SignatureInput, ValidatorFindingLike } from "./classify.js";
export {
  bestFixes,
  frequentSignatures,
  getSignature,
  instructionRef,
  posteriorMean,
  recordFailures,
  recordFixAttempt,
  resolveFixAttempts,
} from "./store.js";
export type {
  BestFix,
  BestFixQuery,
  FailureContext,
  FailureSource,
  FixKind,
  FixOutcome,
  FrequentQuery,
  FrequentSignature,
  NewFixAttempt,
  RecordableFailure,
  ResolvedFixAttempt,
  ResolveInput,
  StoredSignature,
} from "./store.js";
