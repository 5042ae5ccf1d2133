/**
 * Stored rules as plain data (what a worker thread can be handed) and back as the repair engine's rules:
 * tree rules and line-pattern rules alike.
 */
import type { RewriteRule } from "../../python/rewrite.js";
import { learnedRulesReady, toRewriteRule } from "./rewrite-rule.js";
import type { StoredRule } from "./store.js";
import type { TreeRuleSpec } from "./tree/pattern.js";
import { toTreeRewriteRule } from "./tree/rule.js";

export interface LearnedRuleData {
  id: number;
  engine: "lines" | "tree";
  description: string;
  before: string;
  after: string;
  context: string;
  tree: TreeRuleSpec | null;
}

export function ruleData(rule: StoredRule): LearnedRuleData {
  return { id: rule.id, engine: rule.engine, description: rule.description, before: rule.before, after: rule.after, context: rule.context, tree: rule.tree };
}

/** The repair engine's rules for stored rules; line-pattern rules need the parser loaded first. */
export async function engineRules(rules: readonly LearnedRuleData[]): Promise<RewriteRule[]> {
  if (rules.some((r) => r.engine !== "tree" || !r.tree)) await learnedRulesReady();
  return rules.map((r) =>
    r.engine === "tree" && r.tree
      ? toTreeRewriteRule({ id: r.id, spec: r.tree, description: r.description })
      : toRewriteRule({ id: r.id, before: r.before, after: r.after, context: r.context, description: r.description }),
  );
}
