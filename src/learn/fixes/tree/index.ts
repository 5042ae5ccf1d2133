/** Tree rules: learned fixes as edits of syntax subtrees (see pattern.ts). */
export { learnTreeRules, rulesCoverHunk } from "./learn.js";
export type { LearnedTreeRule, TreeLesson } from "./learn.js";
export { describeTree, matchTree, specificity } from "./pattern.js";
export type { ArgsPat, EditOp, ImportNeed, Pat, TreeRuleSpec } from "./pattern.js";
export { toTreeRewriteRule } from "./rule.js";
export type { TreeRuleWithId } from "./rule.js";
export { recordRuleReverted, REVERTS_TO_ARCHIVE, saveTreeRules } from "./store.js";
export type { SavedTreeRule, TreeRuleOrigin } from "./store.js";
export { antiUnifyTree, treeGeneralizes } from "./unify.js";
