/** Bounds on learned rules, shared by learning and by anti-unification. */

/** A rewrite of a whole method is a different design, not a repeatable fix. */
export const MAX_RULE_LINES = 12;
export const MAX_RULE_TOKENS = 160;
/** A rule's `before` needs this much literal code, or it would match far too much. */
export const MIN_FIXED_TOKENS = 5;
/** …of which at least this many are names, keywords or literals rather than punctuation. */
export const MIN_ANCHOR_TOKENS = 1;
