/** A tree rule as the repair engine's `RewriteRule`: every match in a file, its imports added once. */
import type { RewriteMatch, RewriteRule } from "../../../python/rewrite.js";
import type { TreeRuleSpec } from "./pattern.js";
import { editsOf, importEdits, matchTree } from "./pattern.js";

export interface TreeRuleWithId {
  id: number;
  spec: TreeRuleSpec;
  description: string;
}

export function toTreeRewriteRule(rule: TreeRuleWithId): RewriteRule {
  const id = `learned/${rule.id}`;
  const find: RewriteRule["find"] = (analysis) => {
    const parsed = analysis.parsed;
    if (!parsed) return [];
    const found: RewriteMatch[] = [];
    let imports = importEdits(rule.spec.imports, parsed);
    for (const match of matchTree(rule.spec, parsed)) {
      const edits = editsOf(rule.spec, match, parsed.source);
      if (!edits || edits.length === 0) continue;
      const { line } = analysis.position(match.node.start);
      // The imports go with the first match, so that they are added once however many places change.
      found.push({ rule: id, start: match.node.start, end: match.node.end, description: `${rule.description} (line ${line})`, edits: [...edits, ...imports] });
      imports = [];
    }
    return found;
  };
  return {
    id,
    description: rule.description,
    source: "learned",
    find,
    rewrite: (match, analysis) => match.edits ?? find(analysis).find((m) => m.start === match.start)?.edits ?? [],
  };
}
