/**
 * The rewrite-rule store: candidates learned from merges, folded together by anti-unification, scored by
 * outcomes, promoted or discarded by maintainers, and handed to the repairer or the prompt.
 */
import type { Database } from "better-sqlite3";
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

interface RuleRow {
  id: number;
  installation_id: number | null;
  before_pattern: string;
  after_pattern: string;
  context: string;
  holes: number;
  description: string;
  source_pr: number | null;
  repo: string | null;
  commit_sha: string | null;
  status: RuleStatus;
  successes: number;
  failures: number;
  applications: number;
  merged_into: number | null;
  created_at: number;
  updated_at: number;
  engine?: "lines" | "tree";
  tree_json?: string | null;
  sites?: number;
  reverts?: number;
}

function toRule(db: Database, row: RuleRow): StoredRule {
  const sources = db
    .prepare("SELECT repo, pr_number, commit_sha, path, author, committed_at FROM rule_sources WHERE rule_id = ? ORDER BY added_at, pr_number, path")
    .all(row.id) as { repo: string; pr_number: number; commit_sha: string; path: string; author: string | null; committed_at: string | null }[];
  const signatures = db.prepare("SELECT signature_id FROM rule_signatures WHERE rule_id = ? ORDER BY signature_id").all(row.id) as {
    signature_id: number;
  }[];
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
    engine: row.engine ?? "lines",
    tree: row.tree_json ? (JSON.parse(row.tree_json) as TreeRuleSpec) : null,
    sites: row.sites ?? 1,
    reverts: row.reverts ?? 0,
  };
}

/**
 * `r.installation_id = ?`, and with a repository scope, rules one of whose sources is that repository.
 * Rules of unknown origin (installation NULL) match no scope.
 */
export function ruleScopeWhere(scope: LearningScope, alias = "rewrite_rules"): { sql: string; params: (string | number)[] } {
  if (scope.repository === null) return { sql: `${alias}.installation_id = ?`, params: [scope.installationId] };
  return {
    sql: `${alias}.installation_id = ? AND EXISTS (SELECT 1 FROM rule_sources rs WHERE rs.rule_id = ${alias}.id AND rs.repo = ?)`,
    params: [scope.installationId, scope.repository],
  };
}

/** The rule with this id if it belongs to the scope, else null. */
export function getRule(db: Database, scope: LearningScope, id: number): StoredRule | null {
  checkScope(scope, "getRule");
  const where = ruleScopeWhere(scope);
  const row = db.prepare(`SELECT * FROM rewrite_rules WHERE id = ? AND ${where.sql}`).get(id, ...where.params) as RuleRow | undefined;
  return row === undefined ? null : toRule(db, row);
}

export function listRules(db: Database, scope: LearningScope, filter: { status?: RuleStatus } = {}): StoredRule[] {
  checkScope(scope, "listRules");
  const where = ruleScopeWhere(scope);
  const rows = (
    filter.status === undefined
      ? db.prepare(`SELECT * FROM rewrite_rules WHERE ${where.sql} ORDER BY id`).all(...where.params)
      : db.prepare(`SELECT * FROM rewrite_rules WHERE ${where.sql} AND status = ? ORDER BY id`).all(...where.params, filter.status)
  ) as RuleRow[];
  return rows.map((row) => toRule(db, row));
}

/** A rule just written by this module: read back within its own installation. */
function savedRule(db: Database, installationId: number, id: number): StoredRule {
  return getRule(db, { installationId, repository: null }, id) as StoredRule;
}

function addSource(db: Database, ruleId: number, source: RuleSource, now: number): void {
  db.prepare(
    `INSERT INTO rule_sources (rule_id, repo, pr_number, commit_sha, path, added_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  ).run(ruleId, source.repo, source.prNumber, source.commitSha, source.path, now);
}

function linkSignatures(db: Database, ruleId: number, signatureIds: readonly number[]): void {
  const link = db.prepare(
    `INSERT INTO rule_signatures (rule_id, signature_id)
     SELECT r.id, s.id FROM rewrite_rules r JOIN error_signatures s ON s.installation_id = r.installation_id
      WHERE r.id = ? AND s.id = ? ON CONFLICT DO NOTHING`,
  );
  // Only signatures of the rule's own installation are linked.
  for (const id of signatureIds) link.run(ruleId, id);
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

function insertRule(
  db: Database,
  installationId: number,
  fields: { before: string; after: string; context: string; holes: number; description: string; source: RuleSource },
  counts: { successes: number; failures: number; applications: number },
  now: number,
): number {
  const info = db
    .prepare(
      `INSERT INTO rewrite_rules (installation_id, before_pattern, after_pattern, context, holes, description, source_pr, repo, commit_sha,
         status, successes, failures, applications, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'candidate', ?, ?, ?, ?, ?)`,
    )
    .run(
      installationId,
      fields.before,
      fields.after,
      fields.context,
      fields.holes,
      fields.description,
      fields.source.prNumber,
      fields.source.repo,
      fields.source.commitSha,
      counts.successes,
      counts.failures,
      counts.applications,
      now,
      now,
    );
  return Number(info.lastInsertRowid);
}

/** Rules are folded and found again only among the teaching installation's own. */
function rowsWithStatus(db: Database, installationId: number, statuses: readonly RuleStatus[]): RuleRow[] {
  return db
    .prepare(
      `SELECT * FROM rewrite_rules WHERE installation_id = ? AND engine = 'lines' AND status IN (${statuses.map(() => "?").join(", ")}) ORDER BY id DESC`,
    )
    .all(installationId, ...statuses) as RuleRow[];
}

function patternsOf(row: RuleRow): { before: string; after: string; context: string } {
  return { before: row.before_pattern, after: row.after_pattern, context: row.context };
}

function saveOne(db: Database, installationId: number, candidate: LearnedRuleCandidate, now: number): Omit<SavedRule, "candidate"> {
  // Already covered, including by a discarded rule: a maintainer's 👎 is not undone by learning it again.
  const covering = rowsWithStatus(db, installationId, ["trusted", "candidate", "discarded"]).find((row) => generalizes(patternsOf(row), candidate));
  if (covering) {
    addSource(db, covering.id, candidate.source, now);
    linkSignatures(db, covering.id, candidate.signatureIds);
    db.prepare("UPDATE rewrite_rules SET updated_at = ? WHERE id = ?").run(now, covering.id);
    return { rule: savedRule(db, installationId, covering.id), outcome: "known" };
  }
  for (const row of rowsWithStatus(db, installationId, ["trusted", "candidate"])) {
    const merged = antiUnify(patternsOf(row), candidate);
    if (!merged.ok) continue;
    const existing = toRule(db, row);
    const same = db
      .prepare("SELECT * FROM rewrite_rules WHERE installation_id = ? AND before_pattern = ? AND after_pattern = ? AND context = ?")
      .get(installationId, merged.before, merged.after, merged.context) as RuleRow | undefined;
    if (same) {
      // The generalization exists already (folded away earlier): bring it back rather than duplicate it.
      if (same.status === "archived") db.prepare("UPDATE rewrite_rules SET status = 'candidate', merged_into = NULL WHERE id = ?").run(same.id);
      db.prepare("UPDATE rewrite_rules SET updated_at = ? WHERE id = ?").run(now, same.id);
      for (const s of existing.sources) addSource(db, same.id, s, now);
      addSource(db, same.id, candidate.source, now);
      linkSignatures(db, same.id, [...existing.signatureIds, ...candidate.signatureIds]);
      if (row.status === "candidate" && row.id !== same.id) {
        db.prepare("UPDATE rewrite_rules SET status = 'archived', merged_into = ?, updated_at = ? WHERE id = ?").run(same.id, now, row.id);
      }
      return { rule: savedRule(db, installationId, same.id), outcome: "merged", mergedWith: row.id };
    }
    const id = insertRule(
      db,
      installationId,
      { ...merged, description: describeChange(merged.before, merged.after, merged.context), source: candidate.source },
      { successes: existing.successes, failures: existing.failures, applications: existing.applications },
      now,
    );
    for (const s of existing.sources) addSource(db, id, s, now);
    addSource(db, id, candidate.source, now);
    linkSignatures(db, id, [...existing.signatureIds, ...candidate.signatureIds]);
    // A trusted rule keeps working as it is; a candidate is replaced by its generalization.
    if (row.status === "candidate") {
      db.prepare("UPDATE rewrite_rules SET status = 'archived', merged_into = ?, updated_at = ? WHERE id = ?").run(id, now, row.id);
    }
    return { rule: savedRule(db, installationId, id), outcome: "merged", mergedWith: row.id };
  }
  const id = insertRule(db, installationId, candidate, { successes: 0, failures: 0, applications: 0 }, now);
  addSource(db, id, candidate.source, now);
  linkSignatures(db, id, candidate.signatureIds);
  return { rule: savedRule(db, installationId, id), outcome: "created" };
}

/**
 * Stores the candidates a merge taught, in order, each either as a new rule, folded into a more general
 * rule with an existing one, or as one more source of a rule that already covers it. The rules belong to
 * the installation of `origin`, and fold only with that installation's rules.
 */
export function saveRuleCandidates(db: Database, origin: LearningOrigin, candidates: readonly LearnedRuleCandidate[], now: number): SavedRule[] {
  checkOrigin(origin, "saveRuleCandidates");
  candidates.forEach(checkCandidate);
  return db
    .transaction((): SavedRule[] => candidates.map((candidate) => ({ ...saveOne(db, origin.installationId, candidate, now), candidate })))
    .immediate();
}

/** The rule, which must exist within the scope: a rule of another installation reads as missing. */
export function requireRule(db: Database, scope: LearningScope, id: number, where: string): StoredRule {
  checkScope(scope, where);
  if (!Number.isInteger(id) || id < 1) throw new Error(`${where}: rule id must be a positive integer, got ${JSON.stringify(id)}`);
  const rule = getRule(db, scope, id);
  if (rule === null) throw new Error(`${where}: rewrite rule ${id} does not exist`);
  return rule;
}

/** Counts one use of a rule and whether the CI run after it passed. */
export function recordRuleOutcome(db: Database, scope: LearningScope, ruleId: number, success: boolean, now: number): StoredRule {
  return db
    .transaction((): StoredRule => {
      requireRule(db, scope, ruleId, "recordRuleOutcome");
      db.prepare(
        `UPDATE rewrite_rules SET successes = successes + ?, failures = failures + ?, applications = applications + 1, updated_at = ?
          WHERE id = ?`,
      ).run(success ? 1 : 0, success ? 0 : 1, now, ruleId);
      return getRule(db, scope, ruleId) as StoredRule;
    })
    .immediate();
}

/**
 * Bounded growth: a candidate rule whose confidence stays below `floor` after `minTrials` outcomes is
 * archived (kept, never applied or offered again). Trusted rules are a maintainer's call and stay. Each
 * rule is judged by its own record, so this maintenance runs over every installation at once.
 */
export function archiveWeakRules(db: Database, options: { minTrials: number; floor: number; now: number }): number[] {
  if (!(Number.isInteger(options.minTrials) && options.minTrials >= 1)) throw new Error(`minTrials must be a positive integer, got ${options.minTrials}`);
  if (!(options.floor > 0 && options.floor < 1)) throw new Error(`floor must be between 0 and 1, got ${options.floor}`);
  return db
    .transaction((): number[] => {
      const rows = db
        .prepare("SELECT id, successes, failures FROM rewrite_rules WHERE status = 'candidate' AND successes + failures >= ?")
        .all(options.minTrials) as { id: number; successes: number; failures: number }[];
      const weak = rows.filter((r) => ruleConfidence(r.successes, r.failures) < options.floor).map((r) => r.id);
      const update = db.prepare("UPDATE rewrite_rules SET status = 'archived', updated_at = ? WHERE id = ?");
      for (const id of weak) update.run(options.now, id);
      return weak;
    })
    .immediate();
}

function setStatus(db: Database, scope: LearningScope, ruleIds: readonly number[], status: RuleStatus, where: string, now: number): StoredRule[] {
  return db
    .transaction((): StoredRule[] => {
      for (const id of ruleIds) requireRule(db, scope, id, where);
      const update = db.prepare("UPDATE rewrite_rules SET status = ?, updated_at = ? WHERE id = ?");
      for (const id of ruleIds) update.run(status, now, id);
      return ruleIds.map((id) => getRule(db, scope, id) as StoredRule);
    })
    .immediate();
}

/**
 * A maintainer's 👍: the rules are trusted, and applied automatically from now on — in the installation of
 * `scope` alone, since a rule is that installation's own row. A rule outside the scope is refused as missing.
 */
export function promoteRules(db: Database, scope: LearningScope, ruleIds: readonly number[], now: number = Date.now()): StoredRule[] {
  return setStatus(db, scope, ruleIds, "trusted", "promoteRules", now);
}

/** A maintainer's 👎: the rules are never applied or offered again, even if learned again. */
export function discardRules(db: Database, scope: LearningScope, ruleIds: readonly number[], now: number = Date.now()): StoredRule[] {
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
function citedSource(db: Database, scope: LearningScope, row: RuleRow): Pick<StoredRule, "repo" | "sourcePr" | "commitSha"> {
  if (scope.repository === null || row.repo === scope.repository) return { repo: row.repo, sourcePr: row.source_pr, commitSha: row.commit_sha };
  const own = db
    .prepare("SELECT repo, pr_number, commit_sha FROM rule_sources WHERE rule_id = ? AND repo = ? ORDER BY added_at, pr_number LIMIT 1")
    .get(row.id, scope.repository) as { repo: string; pr_number: number; commit_sha: string } | undefined;
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
export function activeRules(db: Database, scope: LearningScope, options: ActiveRulesOptions = {}): ActiveRules {
  checkScope(scope, "activeRules");
  const threshold = options.autoApplyThreshold ?? DEFAULT_AUTO_APPLY_THRESHOLD;
  if (typeof threshold !== "number" || !(threshold >= 0 && threshold <= 1)) {
    throw new Error(`activeRules: autoApplyThreshold must be a number from 0 to 1, got ${JSON.stringify(threshold)}`);
  }
  const limit = options.guidanceLimit ?? 10;
  const where = ruleScopeWhere(scope);
  const rows = db
    .prepare(`SELECT * FROM rewrite_rules WHERE ${where.sql} AND status IN ('trusted', 'candidate') ORDER BY id`)
    .all(...where.params) as RuleRow[];
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
  return {
    autoApply: auto
      .sort((a, b) => b.confidence - a.confidence || rank(b.row) - rank(a.row) || (b.row.sites ?? 1) - (a.row.sites ?? 1) || a.row.id - b.row.id)
      .map((r) =>
        r.row.engine === "tree" && r.row.tree_json
          ? toTreeRewriteRule({ id: r.row.id, spec: JSON.parse(r.row.tree_json) as TreeRuleSpec, description: r.row.description })
          : toRewriteRule({ id: r.row.id, before: r.row.before_pattern, after: r.row.after_pattern, context: r.row.context, description: r.row.description }),
      ),
    guidance: guided.map((r) => ({
      ruleId: r.row.id,
      description: r.row.description,
      before: r.row.before_pattern,
      after: r.row.after_pattern,
      confidence: r.confidence,
      source: ruleSourceText(citedSource(db, scope, r.row)),
      context: r.row.context,
    })),
  };
}
