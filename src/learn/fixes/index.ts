/** Human fixes: rewrite rules learned from merged edits, stored with their outcomes, applied or offered as guidance. */
export { analyzeMerge, learnFromMerge } from "./learn.js";
export type { FileDiff, HumanFix, HunkView, LearnedRuleCandidate, MergeInput, MergeLessons, RuleSource } from "./learn.js";
export {
  activeRules,
  archiveWeakRules,
  confidenceOf,
  DEFAULT_AUTO_APPLY_THRESHOLD,
  discardRules,
  getRule,
  listRules,
  promoteRules,
  recordRuleOutcome,
  ruleSourceText,
  saveRuleCandidates,
} from "./store.js";
export type { ActiveRules, ActiveRulesOptions, Guidance, RuleStatus, SavedRule, SaveOutcome, StoredRule } from "./store.js";
export { learnedRuleId, learnedRulesReady, toRewriteRule, unboundHoles } from "./rewrite-rule.js";
export type { RulePatternsWithId } from "./rewrite-rule.js";
export { antiUnify, generalizes } from "./unify.js";
export type { RulePatterns, UnifyResult } from "./unify.js";
export { renderLessonsComment, LESSONS_MARKER } from "./comment.js";
export { ruleConfidence } from "./confidence.js";
export { MAX_RULE_LINES, MAX_RULE_TOKENS, MIN_ANCHOR_TOKENS, MIN_FIXED_TOKENS } from "./limits.js";
