/**
 * Tree rules in the rewrite-rule store (`engine = 'tree'`): saved with their provenance, folded with a rule
 * that makes the same edits into a more general one, found again as "known" when a stored rule covers them,
 * and archived when humans keep reverting what a trusted rule did.
 */
import type { Database } from "better-sqlite3";
import { ruleConfidence } from "../confidence.js";
import type { SaveOutcome, StoredRule } from "../store.js";
import type { LearningScope } from "../../scope.js";
import { checkScope, installationScope } from "../../scope.js";
import { getRule, promoteRules } from "../store.js";
import type { LearnedTreeRule } from "./learn.js";
import type { TreeRuleSpec } from "./pattern.js";
import { describeTree, patternHoles } from "./pattern.js";
import { antiUnifyTree, treeGeneralizes } from "./unify.js";

export interface TreeRuleOrigin {
  /** The installation the fix was taught in: the rule is that installation's alone. */
  installationId: number;
  /** `owner/name`, or a local label (`local`, a repository path) for fixes taught on the command line. */
  repo: string;
  /** The PR the fix was merged in; 0 for a commit of a repository's history or a fix given by hand. */
  prNumber: number;
  commitSha: string;
  path: string;
  author?: string;
  committedAt?: string;
}

export interface SavedTreeRule {
  rule: StoredRule;
  learned: LearnedTreeRule;
  origin: TreeRuleOrigin;
  outcome: SaveOutcome;
  mergedWith?: number;
}

interface TreeRow {
  id: number;
  status: StoredRule["status"];
  tree_json: string;
  sites: number;
}

type SourceFields = Omit<TreeRuleOrigin, "installationId">;

function addOrigin(db: Database, ruleId: number, origin: SourceFields, now: number): void {
  db.prepare(
    `INSERT INTO rule_sources (rule_id, repo, pr_number, commit_sha, path, added_at, author, committed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  ).run(ruleId, origin.repo, origin.prNumber, origin.commitSha, origin.path, now, origin.author ?? null, origin.committedAt ?? null);
}

function linkSignatures(db: Database, ruleId: number, signatureIds: readonly number[]): void {
  // Only signatures of the rule's own installation are linked.
  const link = db.prepare(
    `INSERT INTO rule_signatures (rule_id, signature_id)
     SELECT r.id, s.id FROM rewrite_rules r JOIN error_signatures s ON s.installation_id = r.installation_id
      WHERE r.id = ? AND s.id = ? ON CONFLICT DO NOTHING`,
  );
  for (const id of signatureIds) link.run(ruleId, id);
}

function describe(spec: TreeRuleSpec): { before: string; after: string; description: string } {
  const shown = describeTree(spec);
  const strip = (text: string): string => text.replace(/\s+\[.*$/, "");
  return { ...shown, description: `\`${strip(shown.before)}\` → \`${strip(shown.after).replace(/\n/g, "; ")}\`` };
}

function insertTree(db: Database, spec: TreeRuleSpec, context: string, sites: number, origin: TreeRuleOrigin, now: number, counts = { successes: 0, failures: 0, applications: 0 }): number {
  const shown = describe(spec);
  const json = JSON.stringify(spec);
  const installationId = origin.installationId;
  const existing = db
    .prepare("SELECT id FROM rewrite_rules WHERE installation_id = ? AND engine = 'tree' AND tree_json = ?")
    .get(installationId, json) as { id: number } | undefined;
  if (existing) return existing.id;
  // Two different specs may read the same; the spec text keeps their readable rows apart.
  const clash = db
    .prepare("SELECT id FROM rewrite_rules WHERE installation_id = ? AND before_pattern = ? AND after_pattern = ? AND context = ?")
    .get(installationId, shown.before, shown.after, context);
  const info = db
    .prepare(
      `INSERT INTO rewrite_rules (installation_id, before_pattern, after_pattern, context, holes, description, source_pr, repo, commit_sha,
         status, successes, failures, applications, created_at, updated_at, engine, tree_json, sites)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'candidate', ?, ?, ?, ?, ?, 'tree', ?, ?)`,
    )
    .run(
      installationId,
      shown.before,
      clash ? `${shown.after}  [${json.length}:${now}]` : shown.after,
      context,
      new Set(patternHoles(spec.pattern)).size,
      shown.description,
      origin.prNumber,
      origin.repo,
      origin.commitSha,
      counts.successes,
      counts.failures,
      counts.applications,
      now,
      now,
      json,
      Math.max(1, sites),
    );
  return Number(info.lastInsertRowid);
}

/** Tree rules fold and are found again only among the teaching installation's own. */
function treeRows(db: Database, installationId: number, statuses: readonly StoredRule["status"][]): TreeRow[] {
  return db
    .prepare(
      `SELECT id, status, tree_json, sites FROM rewrite_rules
        WHERE installation_id = ? AND engine = 'tree' AND status IN (${statuses.map(() => "?").join(", ")}) ORDER BY id`,
    )
    .all(installationId, ...statuses) as TreeRow[];
}

function saveOne(db: Database, learned: LearnedTreeRule, origin: TreeRuleOrigin, signatureIds: readonly number[], now: number): Omit<SavedTreeRule, "learned" | "origin"> {
  const own = installationScope(origin.installationId);
  // Covered already, also by a discarded rule: a maintainer's 👎 is not undone by learning it again.
  const covering = treeRows(db, origin.installationId, ["trusted", "candidate", "discarded"]).find((row) => treeGeneralizes(JSON.parse(row.tree_json) as TreeRuleSpec, learned.spec));
  if (covering) {
    addOrigin(db, covering.id, origin, now);
    linkSignatures(db, covering.id, signatureIds);
    db.prepare("UPDATE rewrite_rules SET sites = MAX(sites, ?), updated_at = ? WHERE id = ?").run(learned.sites, now, covering.id);
    return { rule: getRule(db, own, covering.id) as StoredRule, outcome: "known" };
  }
  for (const row of treeRows(db, origin.installationId, ["trusted", "candidate"])) {
    const merged = antiUnifyTree(JSON.parse(row.tree_json) as TreeRuleSpec, learned.spec);
    if (!merged) continue;
    const existing = getRule(db, own, row.id) as StoredRule;
    const id = insertTree(db, merged, existing.context, Math.max(existing.sites, learned.sites), origin, now, existing);
    db.prepare("UPDATE rewrite_rules SET status = CASE WHEN status = 'archived' THEN 'candidate' ELSE status END, merged_into = NULL, updated_at = ? WHERE id = ?").run(now, id);
    for (const s of existing.sources) addOrigin(db, id, s, now);
    addOrigin(db, id, origin, now);
    linkSignatures(db, id, [...existing.signatureIds, ...signatureIds]);
    // A trusted rule keeps working as it is; a candidate is replaced by its generalization.
    if (row.status === "candidate") db.prepare("UPDATE rewrite_rules SET status = 'archived', merged_into = ?, updated_at = ? WHERE id = ?").run(id, now, row.id);
    return { rule: getRule(db, own, id) as StoredRule, outcome: "merged", mergedWith: row.id };
  }
  const id = insertTree(db, learned.spec, learned.context, learned.sites, origin, now);
  addOrigin(db, id, origin, now);
  linkSignatures(db, id, signatureIds);
  return { rule: getRule(db, own, id) as StoredRule, outcome: "created" };
}

/**
 * Stores the tree rules one fix taught, each as a new rule, folded with a stored rule into a more general one,
 * or as one more source of a rule that covers it. `trust` promotes them (a discarded rule stays discarded).
 * The rules belong to `origin.installationId` and fold only with that installation's rules.
 */
export function saveTreeRules(
  db: Database,
  learned: readonly LearnedTreeRule[],
  origin: TreeRuleOrigin,
  now: number,
  options: { signatureIds?: readonly number[]; trust?: boolean } = {},
): SavedTreeRule[] {
  checkScope({ installationId: origin.installationId, repository: null }, "saveTreeRules");
  return db
    .transaction((): SavedTreeRule[] =>
      learned.map((rule) => {
        const saved = saveOne(db, rule, origin, options.signatureIds ?? [], now);
        if (options.trust && saved.rule.status !== "discarded" && saved.rule.status !== "trusted") {
          saved.rule = promoteRules(db, installationScope(origin.installationId), [saved.rule.id], now)[0] as StoredRule;
        }
        return { ...saved, learned: rule, origin };
      }),
    )
    .immediate();
}

/** Reverts at which a trusted rule whose record has fallen below `floor` is archived. */
export const REVERTS_TO_ARCHIVE = 2;

/**
 * Humans undid what the rule did: one more failure and revert. A trusted rule with enough reverts whose
 * confidence falls below `floor` is archived (kept, never applied again); returns the rule as it is now.
 */
export function recordRuleReverted(db: Database, scope: LearningScope, ruleId: number, now: number, floor = 0.2): StoredRule {
  checkScope(scope, "recordRuleReverted");
  return db
    .transaction((): StoredRule => {
      const rule = getRule(db, scope, ruleId);
      if (!rule) throw new Error(`recordRuleReverted: rewrite rule ${ruleId} does not exist`);
      db.prepare("UPDATE rewrite_rules SET reverts = reverts + 1, failures = failures + 1, updated_at = ? WHERE id = ?").run(now, ruleId);
      const after = getRule(db, scope, ruleId) as StoredRule;
      if ((after.status === "trusted" || after.status === "candidate") && after.reverts >= REVERTS_TO_ARCHIVE && ruleConfidence(after.successes, after.failures) < floor) {
        db.prepare("UPDATE rewrite_rules SET status = 'archived', updated_at = ? WHERE id = ?").run(now, ruleId);
      }
      return getRule(db, scope, ruleId) as StoredRule;
    })
    .immediate();
}
