/**
 * The rewrite-rule store: candidates learned from merges, folded together by anti-unification, scored by
 * outcomes, promoted or discarded by maintainers, and handed to the repairer or the prompt.
 */
import type { Kysely, RawBuilder, Selectable, SqlBool } from "kysely";
import { sql } from "kysely";
import { dialectOf } from "../../db/dialect.js";
import type { RewriteRulesTable, Tables } from "../../db/schema.js";
import { inTransaction } from "../../db/transaction.js";
import type { RewriteRule } from "../../python/rewrite.js";
import type { LearningOrigin, LearningScope } from "../scope.js";
import { checkOrigin, checkScope } from "../scope.js";
import type { TreeRuleSpec } from "./tree/pattern.js";
import { specificity } from "./tree/pattern.js";
import { toTreeRewriteRule } from "./tree/rule.js";
import { ruleConfidence } from "./confidence.js";
import { describeChange } from "./describe.js";
import type { LearnedRuleCandidate, RuleSource } from "./learn.js";
import { toRewriteRule, unboundHoles } from "./rewrite-rule.js";
import { antiUnify, generalizes } from "./unify.js";

export type RuleStatus = "candidate" | "trusted" | "discarded" | "archived";

export interface StoredRule {
  id: number;
  /** The installation that taught the rule (and whose 👍 trusts it); null for a rule of unknown origin. */
  installationId: number | null;
  before: string;
  after: string;
  context: string;
  holes: number;
  description: string;
  /** The PR, repository and merge commit the rule was first drawn from. */
  sourcePr: number | null;
  repo: string | null;
  commitSha: string | null;
  status: RuleStatus;
  successes: number;
  failures: number;
  applications: number;
  mergedInto: number | null;
  createdAt: number;
  updatedAt: number;
  /** Every merge the rule was drawn from, oldest first. */
  sources: (RuleSource & { author?: string; committedAt?: string })[];
  signatureIds: number[];
  /** 'lines': a line pattern; 'tree': a tree rule (`tree` holds it, before/after are its readable form). */
  engine: "lines" | "tree";
  tree: TreeRuleSpec | null;
  /** Places of the teaching fixes the rule changed. */
  sites: number;
  /** Times humans undid one of its applications. */
  reverts: number;
}

export type SaveOutcome = "created" | "merged" | "known";

export interface SavedRule {
  rule: StoredRule;
  candidate: LearnedRuleCandidate;
  /** created: a new rule; merged: folded with `mergedWith` into the more general `rule`; known: `rule` already covered it. */
  outcome: SaveOutcome;
  mergedWith?: number;
}

export interface Guidance {
  ruleId: number;
  description: string;
  before: string;
  after: string;
  confidence: number;
  /** Where the rule was learned, e.g. `acme/pipelines#12 (abc1234)`. */
  source: string;
  /** Where the rule's code sat ('', 'class *', 'def *', 'def execute' …): prompts offer it only where that can occur. */
  context: string;
}

export interface ActiveRules {
  autoApply: RewriteRule[];
  guidance: Guidance[];
}

export interface ActiveRulesOptions {
  /** Confidence at or above which a rule is applied without asking; default 0.7. */
  autoApplyThreshold?: number;
  /** At most this many guidance entries, most confident first; default 10. */
  guidanceLimit?: number;
}

export const DEFAULT_AUTO_APPLY_THRESHOLD = 0.7;

type RuleRow = Selectable<RewriteRulesTable>;

async function toRule(db: Kysely<Tables>, row: RuleRow): Promise<StoredRule> {
  const sources = await db
    .selectFrom("rule_sources")
    .select(["repo", "pr_number", "commit_sha", "path", "author", "committed_at"])
    .where("rule_id", "=", row.id)
    .orderBy("added_at")
    .orderBy("pr_number")
    .orderBy("path")
    .execute();
  const signatures = await db.selectFrom("rule_signatures").select("signature_id").where("rule_id", "=", row.id).orderBy("signature_id").execute();
  return {
    id: row.id,
    installationId: row.installation_id,
    before: row.before_pattern,
    after: row.after_pattern,
    context: row.context,
    holes: row.holes,
    description: row.description,
    sourcePr: row.source_pr,
    repo: row.repo,
    commitSha: row.commit_sha,
    status: row.status,
    successes: row.successes,
    failures: row.failures,
    applications: row.applications,
    mergedInto: row.merged_into,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    sources: sources.map((s) => ({
      repo: s.repo,
      prNumber: s.pr_number,
      commitSha: s.commit_sha,
      path: s.path,
      ...(s.author === null ? {} : { author: s.author }),
      ...(s.committed_at === null ? {} : { committedAt: s.committed_at }),
    })),
    signatureIds: signatures.map((s) => s.signature_id),
    engine: row.engine,
    tree: row.tree_json ? (JSON.parse(row.tree_json) as TreeRuleSpec) : null,
    sites: row.sites,
    reverts: row.reverts,
  };
}

/**
 * `alias.installation_id = ?`, and with a repository scope, rules one of whose sources is that repository.
 * Rules of unknown origin (installation NULL) match no scope.
 */
export function ruleInScope(scope: LearningScope, alias = "rewrite_rules"): RawBuilder<SqlBool> {
  const owner = sql<SqlBool>`${sql.ref(`${alias}.installation_id`)} = ${scope.installationId}`;
  if (scope.repository === null) return owner;
  return sql<SqlBool>`${owner} AND EXISTS (SELECT 1 FROM rule_sources rs WHERE rs.rule_id = ${sql.ref(`${alias}.id`)} AND rs.repo = ${scope.repository})`;
}

/** The rule with this id if it belongs to the scope, else null. */
export async function getRule(db: Kysely<Tables>, scope: LearningScope, id: number): Promise<StoredRule | null> {
  checkScope(scope, "getRule");
  const row = await db.selectFrom("rewrite_rules").selectAll().where("id", "=", id).where(ruleInScope(scope)).executeTakeFirst();
  return row === undefined ? null : toRule(db, row);
}

export async function listRules(db: Kysely<Tables>, scope: LearningScope, filter: { status?: RuleStatus } = {}): Promise<StoredRule[]> {
  checkScope(scope, "listRules");
  let query = db.selectFrom("rewrite_rules").selectAll().where(ruleInScope(scope));
  if (filter.status !== undefined) query = query.where("status", "=", filter.status);
  const rows = await query.orderBy("id").execute();
  const rules: StoredRule[] = [];
  for (const row of rows) rules.push(await toRule(db, row));
  return rules;
}

/** A rule just written by this module: read back within its own installation. */
async function savedRule(db: Kysely<Tables>, installationId: number, id: number): Promise<StoredRule> {
  return (await getRule(db, { installationId, repository: null }, id)) as StoredRule;
}

/** One more merge the rule was drawn from; a source it has already is left as it is. */
export async function addRuleSource(
  db: Kysely<Tables>,
  ruleId: number,
  source: Pick<RuleSource, "repo" | "prNumber" | "commitSha" | "path"> & { author?: string; committedAt?: string },
  now: number,
): Promise<void> {
  await db
    .insertInto("rule_sources")
    .values({
      rule_id: ruleId,
      repo: source.repo,
      pr_number: source.prNumber,
      commit_sha: source.commitSha,
      path: source.path,
      added_at: now,
      author: source.author ?? null,
      committed_at: source.committedAt ?? null,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Links the rule to the signatures it fixes: only signatures of the rule's own installation are linked. */
export async function linkRuleSignatures(db: Kysely<Tables>, ruleId: number, signatureIds: readonly number[]): Promise<void> {
  for (const id of new Set(signatureIds)) {
    await db
      .insertInto("rule_signatures")
      .columns(["rule_id", "signature_id"])
      .expression(
        db
          .selectFrom("rewrite_rules as r")
          .innerJoin("error_signatures as s", "s.installation_id", "r.installation_id")
          .select(["r.id", "s.id as signature_id"])
          .where("r.id", "=", ruleId)
          .where("s.id", "=", id),
      )
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

/**
 * Rules of one installation are folded and found again one merge at a time: on PostgreSQL two processes
 * saving rules of the same installation at once would each miss the rule the other is adding, so the
 * second waits for the first's transaction (SQLite has one writer anyway).
 */
export async function lockInstallationRules(db: Kysely<Tables>, installationId: number): Promise<void> {
  if (dialectOf(db) !== "postgres") return;
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`opforge:rewrite_rules:${installationId}`}, 0))`.execute(db);
}

async function touchRule(db: Kysely<Tables>, id: number, now: number): Promise<void> {
  await db.updateTable("rewrite_rules").set({ updated_at: now }).where("id", "=", id).execute();
}

/** A candidate replaced by its generalization: kept, pointing at the rule that took its place. */
export async function archiveInto(db: Kysely<Tables>, id: number, into: number, now: number): Promise<void> {
  await db.updateTable("rewrite_rules").set({ status: "archived", merged_into: into, updated_at: now }).where("id", "=", id).execute();
}

function checkCandidate(c: LearnedRuleCandidate, i: number): void {
  for (const key of ["before", "after", "context", "description"] as const) {
    if (typeof c?.[key] !== "string") throw new Error(`saveRuleCandidates: candidates[${i}].${key} must be a string`);
  }
  if (c.before.trim() === "") throw new Error(`saveRuleCandidates: candidates[${i}].before must not be empty`);
  const unbound = unboundHoles(c.before, c.after);
  if (unbound.length > 0) throw new Error(`saveRuleCandidates: candidates[${i}].after uses ${unbound.join(", ")}, which its before pattern does not bind`);
  if (!c.source || typeof c.source.repo !== "string" || !Number.isInteger(c.source.prNumber) || typeof c.source.commitSha !== "string") {
    throw new Error(`saveRuleCandidates: candidates[${i}].source must name repo, prNumber and commitSha`);
  }
}

async function insertRule(
  db: Kysely<Tables>,
  installationId: number,
  fields: { before: string; after: string; context: string; holes: number; description: string; source: RuleSource },
  counts: { successes: number; failures: number; applications: number },
  now: number,
): Promise<number> {
  const row = await db
    .insertInto("rewrite_rules")
    .values({
      installation_id: installationId,
      before_pattern: fields.before,
      after_pattern: fields.after,
      context: fields.context,
      holes: fields.holes,
      description: fields.description,
      source_pr: fields.source.prNumber,
      repo: fields.source.repo,
      commit_sha: fields.source.commitSha,
      status: "candidate",
      successes: counts.successes,
      failures: counts.failures,
      applications: counts.applications,
      created_at: now,
      updated_at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Rules are folded and found again only among the teaching installation's own. */
function rowsWithStatus(db: Kysely<Tables>, installationId: number, statuses: readonly RuleStatus[]): Promise<RuleRow[]> {
  return db
    .selectFrom("rewrite_rules")
    .selectAll()
    .where("installation_id", "=", installationId)
    .where("engine", "=", "lines")
    .where("status", "in", [...statuses])
    .orderBy("id", "desc")
    .execute();
}

function patternsOf(row: RuleRow): { before: string; after: string; context: string } {
  return { before: row.before_pattern, after: row.after_pattern, context: row.context };
}

/** Sources and signatures of the rule a generalization replaces, and the new candidate's, on the generalization. */
async function carryOver(db: Kysely<Tables>, id: number, existing: StoredRule, candidate: LearnedRuleCandidate, now: number): Promise<void> {
  for (const s of existing.sources) await addRuleSource(db, id, s, now);
  await addRuleSource(db, id, candidate.source, now);
  await linkRuleSignatures(db, id, [...existing.signatureIds, ...candidate.signatureIds]);
}

async function saveOne(db: Kysely<Tables>, installationId: number, candidate: LearnedRuleCandidate, now: number): Promise<Omit<SavedRule, "candidate">> {
  // Already covered, including by a discarded rule: a maintainer's 👎 is not undone by learning it again.
  const covering = (await rowsWithStatus(db, installationId, ["trusted", "candidate", "discarded"])).find((row) => generalizes(patternsOf(row), candidate));
  if (covering) {
    await addRuleSource(db, covering.id, candidate.source, now);
    await linkRuleSignatures(db, covering.id, candidate.signatureIds);
    await touchRule(db, covering.id, now);
    return { rule: await savedRule(db, installationId, covering.id), outcome: "known" };
  }
  for (const row of await rowsWithStatus(db, installationId, ["trusted", "candidate"])) {
    const merged = antiUnify(patternsOf(row), candidate);
    if (!merged.ok) continue;
    const existing = await toRule(db, row);
    const same = await db
      .selectFrom("rewrite_rules")
      .selectAll()
      .where("installation_id", "=", installationId)
      .where("before_pattern", "=", merged.before)
      .where("after_pattern", "=", merged.after)
      .where("context", "=", merged.context)
      .executeTakeFirst();
    if (same) {
      // The generalization exists already (folded away earlier): bring it back rather than duplicate it.
      if (same.status === "archived") await db.updateTable("rewrite_rules").set({ status: "candidate", merged_into: null }).where("id", "=", same.id).execute();
      await touchRule(db, same.id, now);
      await carryOver(db, same.id, existing, candidate, now);
      if (row.status === "candidate" && row.id !== same.id) await archiveInto(db, row.id, same.id, now);
      return { rule: await savedRule(db, installationId, same.id), outcome: "merged", mergedWith: row.id };
    }
    const id = await insertRule(
      db,
      installationId,
      { ...merged, description: describeChange(merged.before, merged.after, merged.context), source: candidate.source },
      { successes: existing.successes, failures: existing.failures, applications: existing.applications },
      now,
    );
    await carryOver(db, id, existing, candidate, now);
    // A trusted rule keeps working as it is; a candidate is replaced by its generalization.
    if (row.status === "candidate") await archiveInto(db, row.id, id, now);
    return { rule: await savedRule(db, installationId, id), outcome: "merged", mergedWith: row.id };
  }
  const id = await insertRule(db, installationId, candidate, { successes: 0, failures: 0, applications: 0 }, now);
  await addRuleSource(db, id, candidate.source, now);
  await linkRuleSignatures(db, id, candidate.signatureIds);
  return { rule: await savedRule(db, installationId, id), outcome: "created" };
}

/**
 * Stores the candidates a merge taught, in order, each either as a new rule, folded into a more general
 * rule with an existing one, or as one more source of a rule that already covers it. The rules belong to
 * the installation of `origin`, and fold only with that installation's rules.
 */
export async function saveRuleCandidates(db: Kysely<Tables>, origin: LearningOrigin, candidates: readonly LearnedRuleCandidate[], now: number): Promise<SavedRule[]> {
  checkOrigin(origin, "saveRuleCandidates");
  candidates.forEach(checkCandidate);
  if (candidates.length === 0) return [];
  return inTransaction(db, async (trx): Promise<SavedRule[]> => {
    await lockInstallationRules(trx, origin.installationId);
    const saved: SavedRule[] = [];
    for (const candidate of candidates) saved.push({ ...(await saveOne(trx, origin.installationId, candidate, now)), candidate });
    return saved;
  });
}

/** The rule, which must exist within the scope: a rule of another installation reads as missing. */
export async function requireRule(db: Kysely<Tables>, scope: LearningScope, id: number, where: string): Promise<StoredRule> {
  checkScope(scope, where);
  if (!Number.isInteger(id) || id < 1) throw new Error(`${where}: rule id must be a positive integer, got ${JSON.stringify(id)}`);
  const rule = await getRule(db, scope, id);
  if (rule === null) throw new Error(`${where}: rewrite rule ${id} does not exist`);
  return rule;
}

/** Counts one use of a rule and whether the CI run after it passed. */
export async function recordRuleOutcome(db: Kysely<Tables>, scope: LearningScope, ruleId: number, success: boolean, now: number): Promise<StoredRule> {
  return inTransaction(db, async (trx): Promise<StoredRule> => {
    await requireRule(trx, scope, ruleId, "recordRuleOutcome");
    // Increments in SQL, not values read before: two verdicts counted at once both count.
    await trx
      .updateTable("rewrite_rules")
      .set((eb) => ({
        successes: eb("successes", "+", success ? 1 : 0),
        failures: eb("failures", "+", success ? 0 : 1),
        applications: eb("applications", "+", 1),
        updated_at: now,
      }))
      .where("id", "=", ruleId)
      .execute();
    return (await getRule(trx, scope, ruleId)) as StoredRule;
  });
}

/**
 * Bounded growth: a candidate rule whose confidence stays below `floor` after `minTrials` outcomes is
 * archived (kept, never applied or offered again). Trusted rules are a maintainer's call and stay. Each
 * rule is judged by its own record, so this maintenance runs over every installation at once.
 */
export async function archiveWeakRules(db: Kysely<Tables>, options: { minTrials: number; floor: number; now: number }): Promise<number[]> {
  if (!(Number.isInteger(options.minTrials) && options.minTrials >= 1)) throw new Error(`minTrials must be a positive integer, got ${options.minTrials}`);
  if (!(options.floor > 0 && options.floor < 1)) throw new Error(`floor must be between 0 and 1, got ${options.floor}`);
  return inTransaction(db, async (trx): Promise<number[]> => {
    const rows = await trx
      .selectFrom("rewrite_rules")
      .select(["id", "successes", "failures"])
      .where("status", "=", "candidate")
      .where((eb) => eb(eb("successes", "+", eb.ref("failures")), ">=", options.minTrials))
      .orderBy("id")
      .execute();
    const weak = rows.filter((r) => ruleConfidence(r.successes, r.failures) < options.floor).map((r) => r.id);
    // Still a candidate when archived: a rule a maintainer trusted meanwhile is theirs to keep.
    for (const id of weak) {
      await trx.updateTable("rewrite_rules").set({ status: "archived", updated_at: options.now }).where("id", "=", id).where("status", "=", "candidate").execute();
    }
    return weak;
  });
}

async function setStatus(db: Kysely<Tables>, scope: LearningScope, ruleIds: readonly number[], status: RuleStatus, where: string, now: number): Promise<StoredRule[]> {
  return inTransaction(db, async (trx): Promise<StoredRule[]> => {
    for (const id of ruleIds) await requireRule(trx, scope, id, where);
    for (const id of ruleIds) await trx.updateTable("rewrite_rules").set({ status, updated_at: now }).where("id", "=", id).execute();
    const rules: StoredRule[] = [];
    for (const id of ruleIds) rules.push((await getRule(trx, scope, id)) as StoredRule);
    return rules;
  });
}

/**
 * A maintainer's 👍: the rules are trusted, and applied automatically from now on — in the installation of
 * `scope` alone, since a rule is that installation's own row. A rule outside the scope is refused as missing.
 */
export function promoteRules(db: Kysely<Tables>, scope: LearningScope, ruleIds: readonly number[], now: number = Date.now()): Promise<StoredRule[]> {
  return setStatus(db, scope, ruleIds, "trusted", "promoteRules", now);
}

/** A maintainer's 👎: the rules are never applied or offered again, even if learned again. */
export function discardRules(db: Kysely<Tables>, scope: LearningScope, ruleIds: readonly number[], now: number = Date.now()): Promise<StoredRule[]> {
  return setStatus(db, scope, ruleIds, "discarded", "discardRules", now);
}

/** Where a rule came from, for people: `owner/name#12 (abc1234)`. */
export function ruleSourceText(rule: Pick<StoredRule, "repo" | "sourcePr" | "commitSha">): string {
  if (rule.repo === null || rule.sourcePr === null) return "unknown source";
  return `${rule.repo}#${rule.sourcePr}${rule.commitSha ? ` (${rule.commitSha.slice(0, 7)})` : ""}`;
}

/**
 * The source a reader may be shown: with a repository scope, the first source in that repository, so a
 * rule another repository of the installation also taught never names that repository.
 */
async function citedSource(db: Kysely<Tables>, scope: LearningScope, row: RuleRow): Promise<Pick<StoredRule, "repo" | "sourcePr" | "commitSha">> {
  if (scope.repository === null || row.repo === scope.repository) return { repo: row.repo, sourcePr: row.source_pr, commitSha: row.commit_sha };
  const own = await db
    .selectFrom("rule_sources")
    .select(["repo", "pr_number", "commit_sha"])
    .where("rule_id", "=", row.id)
    .where("repo", "=", scope.repository)
    .orderBy("added_at")
    .orderBy("pr_number")
    .limit(1)
    .executeTakeFirst();
  return own === undefined ? { repo: null, sourcePr: null, commitSha: null } : { repo: own.repo, sourcePr: own.pr_number, commitSha: own.commit_sha };
}

/** The rule's confidence: trusted rules count as certain until humans revert them, others by their outcome record. */
export function confidenceOf(rule: Pick<StoredRule, "status" | "successes" | "failures"> & { reverts?: number }): number {
  return rule.status === "trusted" && !rule.reverts ? 1 : ruleConfidence(rule.successes, rule.failures);
}

/**
 * Rules for the next generation: trusted rules and candidates whose confidence reaches the threshold are
 * applied by the repairer; the other candidates are offered to the model as guidance. Discarded and
 * archived rules are neither. Only the rules of `scope` take part.
 */
export async function activeRules(db: Kysely<Tables>, scope: LearningScope, options: ActiveRulesOptions = {}): Promise<ActiveRules> {
  checkScope(scope, "activeRules");
  const threshold = options.autoApplyThreshold ?? DEFAULT_AUTO_APPLY_THRESHOLD;
  if (typeof threshold !== "number" || !(threshold >= 0 && threshold <= 1)) {
    throw new Error(`activeRules: autoApplyThreshold must be a number from 0 to 1, got ${JSON.stringify(threshold)}`);
  }
  const limit = options.guidanceLimit ?? 10;
  const rows = await db.selectFrom("rewrite_rules").selectAll().where(ruleInScope(scope)).where("status", "in", ["trusted", "candidate"]).orderBy("id").execute();
  const rules = rows.map((row) => ({
    row,
    confidence: confidenceOf(row),
  }));
  const auto = rules.filter((r) => r.row.status === "trusted" || r.confidence >= threshold);
  // Among rules applied, the more specific first (they know more of the code), then the more prevalent.
  const rank = (row: RuleRow): number => (row.tree_json ? specificity((JSON.parse(row.tree_json) as TreeRuleSpec).pattern) : 0);
  const guided = rules
    .filter((r) => !auto.includes(r))
    .sort((a, b) => b.confidence - a.confidence || a.row.id - b.row.id)
    .slice(0, limit);
  const guidance: Guidance[] = [];
  for (const r of guided) {
    guidance.push({
      ruleId: r.row.id,
      description: r.row.description,
      before: r.row.before_pattern,
      after: r.row.after_pattern,
      confidence: r.confidence,
      source: ruleSourceText(await citedSource(db, scope, r.row)),
      context: r.row.context,
    });
  }
  return {
    autoApply: auto
      .sort((a, b) => b.confidence - a.confidence || rank(b.row) - rank(a.row) || b.row.sites - a.row.sites || a.row.id - b.row.id)
      .map((r) =>
        r.row.engine === "tree" && r.row.tree_json
          ? toTreeRewriteRule({ id: r.row.id, spec: JSON.parse(r.row.tree_json) as TreeRuleSpec, description: r.row.description })
          : toRewriteRule({ id: r.row.id, before: r.row.before_pattern, after: r.row.after_pattern, context: r.row.context, description: r.row.description }),
      ),
    guidance,
  };
}
