/**
 * Tree rules in the rewrite-rule store (`engine = 'tree'`): saved with their provenance, folded with a rule
 * that makes the same edits into a more general one, found again as "known" when a stored rule covers them,
 * and archived when humans keep reverting what a trusted rule did.
 */
import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Tables } from "../../../db/schema.js";
import { inTransaction } from "../../../db/transaction.js";
import { greatest } from "../../errors/sql.js";
import { ruleConfidence } from "../confidence.js";
import type { SaveOutcome, StoredRule } from "../store.js";
import type { LearningScope } from "../../scope.js";
import { checkScope, installationScope } from "../../scope.js";
import { addRuleSource, archiveInto, getRule, linkRuleSignatures, lockInstallationRules, promoteRules } from "../store.js";
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

function describe(spec: TreeRuleSpec): { before: string; after: string; description: string } {
  const shown = describeTree(spec);
  const strip = (text: string): string => text.replace(/\s+\[.*$/, "");
  return { ...shown, description: `\`${strip(shown.before)}\` → \`${strip(shown.after).replace(/\n/g, "; ")}\`` };
}

async function insertTree(
  db: Kysely<Tables>,
  spec: TreeRuleSpec,
  context: string,
  sites: number,
  origin: TreeRuleOrigin,
  now: number,
  counts = { successes: 0, failures: 0, applications: 0 },
): Promise<number> {
  const shown = describe(spec);
  const json = JSON.stringify(spec);
  const installationId = origin.installationId;
  const existing = await db
    .selectFrom("rewrite_rules")
    .select("id")
    .where("installation_id", "=", installationId)
    .where("engine", "=", "tree")
    .where("tree_json", "=", json)
    .executeTakeFirst();
  if (existing) return existing.id;
  // Two different specs may read the same; the spec text keeps their readable rows apart.
  const clash = await db
    .selectFrom("rewrite_rules")
    .select("id")
    .where("installation_id", "=", installationId)
    .where("before_pattern", "=", shown.before)
    .where("after_pattern", "=", shown.after)
    .where("context", "=", context)
    .executeTakeFirst();
  const row = await db
    .insertInto("rewrite_rules")
    .values({
      installation_id: installationId,
      before_pattern: shown.before,
      after_pattern: clash ? `${shown.after}  [${json.length}:${now}]` : shown.after,
      context,
      holes: new Set(patternHoles(spec.pattern)).size,
      description: shown.description,
      source_pr: origin.prNumber,
      repo: origin.repo,
      commit_sha: origin.commitSha,
      status: "candidate",
      successes: counts.successes,
      failures: counts.failures,
      applications: counts.applications,
      created_at: now,
      updated_at: now,
      engine: "tree",
      tree_json: json,
      sites: Math.max(1, sites),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Tree rules fold and are found again only among the teaching installation's own. */
function treeRows(db: Kysely<Tables>, installationId: number, statuses: readonly StoredRule["status"][]): Promise<TreeRow[]> {
  return db
    .selectFrom("rewrite_rules")
    .select(["id", "status", "tree_json", "sites"])
    .where("installation_id", "=", installationId)
    .where("engine", "=", "tree")
    .where("status", "in", [...statuses])
    .where("tree_json", "is not", null)
    .orderBy("id")
    .execute() as Promise<TreeRow[]>;
}

async function ownRule(db: Kysely<Tables>, installationId: number, id: number): Promise<StoredRule> {
  return (await getRule(db, installationScope(installationId), id)) as StoredRule;
}

async function saveOne(
  db: Kysely<Tables>,
  learned: LearnedTreeRule,
  origin: TreeRuleOrigin,
  signatureIds: readonly number[],
  now: number,
): Promise<Omit<SavedTreeRule, "learned" | "origin">> {
  const installationId = origin.installationId;
  // Covered already, also by a discarded rule: a maintainer's 👎 is not undone by learning it again.
  const covering = (await treeRows(db, installationId, ["trusted", "candidate", "discarded"])).find((row) =>
    treeGeneralizes(JSON.parse(row.tree_json) as TreeRuleSpec, learned.spec),
  );
  if (covering) {
    await addRuleSource(db, covering.id, origin, now);
    await linkRuleSignatures(db, covering.id, signatureIds);
    await db
      .updateTable("rewrite_rules")
      .set({ sites: greatest(db, sql.ref("sites"), sql<number>`${learned.sites}`), updated_at: now })
      .where("id", "=", covering.id)
      .execute();
    return { rule: await ownRule(db, installationId, covering.id), outcome: "known" };
  }
  for (const row of await treeRows(db, installationId, ["trusted", "candidate"])) {
    const merged = antiUnifyTree(JSON.parse(row.tree_json) as TreeRuleSpec, learned.spec);
    if (!merged) continue;
    const existing = await ownRule(db, installationId, row.id);
    const id = await insertTree(db, merged, existing.context, Math.max(existing.sites, learned.sites), origin, now, existing);
    await db
      .updateTable("rewrite_rules")
      .set({ status: sql<StoredRule["status"]>`CASE WHEN status = 'archived' THEN 'candidate' ELSE status END`, merged_into: null, updated_at: now })
      .where("id", "=", id)
      .execute();
    for (const s of existing.sources) await addRuleSource(db, id, s, now);
    await addRuleSource(db, id, origin, now);
    await linkRuleSignatures(db, id, [...existing.signatureIds, ...signatureIds]);
    // A trusted rule keeps working as it is; a candidate is replaced by its generalization.
    if (row.status === "candidate") await archiveInto(db, row.id, id, now);
    return { rule: await ownRule(db, installationId, id), outcome: "merged", mergedWith: row.id };
  }
  const id = await insertTree(db, learned.spec, learned.context, learned.sites, origin, now);
  await addRuleSource(db, id, origin, now);
  await linkRuleSignatures(db, id, signatureIds);
  return { rule: await ownRule(db, installationId, id), outcome: "created" };
}

/**
 * Stores the tree rules one fix taught, each as a new rule, folded with a stored rule into a more general one,
 * or as one more source of a rule that covers it. `trust` promotes them (a discarded rule stays discarded).
 * The rules belong to `origin.installationId` and fold only with that installation's rules.
 */
export async function saveTreeRules(
  db: Kysely<Tables>,
  learned: readonly LearnedTreeRule[],
  origin: TreeRuleOrigin,
  now: number,
  options: { signatureIds?: readonly number[]; trust?: boolean } = {},
): Promise<SavedTreeRule[]> {
  checkScope({ installationId: origin.installationId, repository: null }, "saveTreeRules");
  if (learned.length === 0) return [];
  return inTransaction(db, async (trx): Promise<SavedTreeRule[]> => {
    await lockInstallationRules(trx, origin.installationId);
    const out: SavedTreeRule[] = [];
    for (const rule of learned) {
      const saved = await saveOne(trx, rule, origin, options.signatureIds ?? [], now);
      if (options.trust && saved.rule.status !== "discarded" && saved.rule.status !== "trusted") {
        saved.rule = (await promoteRules(trx, installationScope(origin.installationId), [saved.rule.id], now))[0] as StoredRule;
      }
      out.push({ ...saved, learned: rule, origin });
    }
    return out;
  });
}

/** Reverts at which a trusted rule whose record has fallen below `floor` is archived. */
export const REVERTS_TO_ARCHIVE = 2;

/**
 * Humans undid what the rule did: one more failure and revert. A trusted rule with enough reverts whose
 * confidence falls below `floor` is archived (kept, never applied again); returns the rule as it is now.
 */
export async function recordRuleReverted(db: Kysely<Tables>, scope: LearningScope, ruleId: number, now: number, floor = 0.2): Promise<StoredRule> {
  checkScope(scope, "recordRuleReverted");
  return inTransaction(db, async (trx): Promise<StoredRule> => {
    const rule = await getRule(trx, scope, ruleId);
    if (!rule) throw new Error(`recordRuleReverted: rewrite rule ${ruleId} does not exist`);
    await trx
      .updateTable("rewrite_rules")
      .set((eb) => ({ reverts: eb("reverts", "+", 1), failures: eb("failures", "+", 1), updated_at: now }))
      .where("id", "=", ruleId)
      .execute();
    const after = (await getRule(trx, scope, ruleId)) as StoredRule;
    if ((after.status === "trusted" || after.status === "candidate") && after.reverts >= REVERTS_TO_ARCHIVE && ruleConfidence(after.successes, after.failures) < floor) {
      await trx.updateTable("rewrite_rules").set({ status: "archived", updated_at: now }).where("id", "=", ruleId).execute();
    }
    return (await getRule(trx, scope, ruleId)) as StoredRule;
  });
}
