/**
 * The learning loop: the one place where signals go into the stores (a CI verdict, a merge, a closed PR)
 * and the one place where the stores come out as context for the next generation (patterns, fixes,
 * library notes for the prompt; learned rewrite rules for the repair pass).
 */
import type { CiFailure } from "../ci/types.js";
import { roleOfPath } from "../generate/layout.js";
import type { LearnedContextItem } from "../generate/types.js";
import type { Finding, RewriteRule } from "../python/index.js";
import type { ComponentSpec } from "../spec/types.js";
import type { Kysely } from "kysely";
import type { Tables } from "../db/schema.js";
import { bestFixes, frequentSignatures, instructionRef, recordFailures, recordFixAttempt, resolveFixAttempts } from "./errors/index.js";
import { activeRules, analyzeMerge, archiveWeakRules, recordRuleOutcome, renderLessonsComment, saveRuleCandidates, learnedRuleId, discardRules, promoteRules } from "./fixes/index.js";
import type { Guidance, LearnedRuleCandidate, MergeLessons } from "./fixes/index.js";
import { getRule } from "./fixes/store.js";
import { learnTreeRules, matchTree, recordRuleReverted, rulesCoverHunk, saveTreeRules } from "./fixes/tree/index.js";
import type { LearnedTreeRule, SavedTreeRule } from "./fixes/tree/index.js";
import { parsePython } from "../python/parser.js";
import {
  distributionForImport,
  importedLibraries,
  libraryNotes,
  libraryOutcomesFromCi,
  normalizeLibraryName,
  recordLibraryOutcomes,
  requirementLibrary,
  versionedOutcomes,
} from "./libraries/index.js";
import { archiveWeakPatterns, extractPatterns, markUsed, PatternExtractionError, recordMergedPatterns, recordPatternOutcome, retrievePatterns } from "./patterns/index.js";
import type { PatternCandidate } from "./patterns/index.js";
import type { LearningOrigin, LearningScope } from "./scope.js";
import { installationScope } from "./scope.js";
import { inTransaction } from "../db/transaction.js";

export interface LearningSettings {
  now: () => number;
  /** Uniform [0, 1): Thompson sampling among near-equal patterns. */
  random: () => number;
  /** Confidence from which a learned rewrite rule is applied without asking (below it: guidance only). */
  autoApplyThreshold?: number;
  patternLimit?: number;
}

export interface LearnedContext {
  learned: LearnedContextItem[];
  rules: RewriteRule[];
}

/** One attempt as the learning layer needs it. */
export interface AttemptRecord {
  number: number;
  files: { path: string; content: string }[];
  learnedContext: unknown;
  appliedFixes: unknown[];
}

/** The learning view of a stored attempt. */
export function attemptRecordOf(a: { number: number; files: { path: string; content: string }[]; learnedContext: unknown; appliedFixes: unknown[] }): AttemptRecord {
  return { number: a.number, files: a.files, learnedContext: a.learnedContext, appliedFixes: a.appliedFixes };
}

/** Signature ids the CI failures of these attempts were recorded under (kept on each stored failure). */
export function signatureIdsOf(attempts: { ciFailures: unknown[] | null }[]): number[] {
  const ids = attempts.flatMap((a) =>
    (a.ciFailures ?? []).flatMap((f: unknown) => {
      const id = typeof f === "object" && f !== null ? (f as { signatureId?: unknown }).signatureId : undefined;
      return typeof id === "number" ? [id] : [];
    }),
  );
  return [...new Set(ids)];
}

export interface CiVerdict {
  /** The installation and repository of the generation: what the verdict teaches is theirs. */
  origin: LearningOrigin;
  generationId: number;
  spec: ComponentSpec;
  attempt: AttemptRecord;
  passed: boolean;
  /** Failures that are the generated code's fault (not those that fail on the base branch too). */
  failures: CiFailure[];
  /** No retry will follow: the generation ends on this verdict. */
  final: boolean;
}

export interface MergeSignal {
  generationId: number;
  spec: ComponentSpec;
  /** The installation the PR was merged in: its patterns and rules are that installation's. */
  installationId: number;
  repo: string;
  prNumber: number;
  mergeSha: string;
  /** Files of the last committed attempt, with their roles. */
  generatedFiles: { path: string; content: string; role?: string }[];
  mergedFiles: ReadonlyMap<string, string | null>;
  /** Every attempt of the generation (for the patterns its prompts used). */
  attempts: AttemptRecord[];
  /** Error signatures seen on this PR. */
  signatureIds: number[];
}

/** What a merge teaches, before it is written (Learning.studyMerge). */
export interface MergeStudy {
  signal: MergeSignal;
  candidates: PatternCandidate[];
  lessonFiles: MergeLessons["files"];
  lineCandidates: LearnedRuleCandidate[];
  tree: { path: string; rules: LearnedTreeRule[] }[];
  reverted: number[];
}

export interface MergeLesson {
  /** The PR comment "what you changed vs. what I generated", or null when the files were merged unchanged. */
  comment: string | null;
  ruleIds: number[];
  patternIds: number[];
}

function specQuery(spec: ComponentSpec): string {
  return [
    spec.name,
    spec.display_name ?? "",
    spec.description,
    spec.category,
    ...spec.dependencies,
    ...spec.implementation_hints,
    ...spec.params.map((p) => p.name),
  ].join(" ");
}

function majorOf(spec: ComponentSpec): "2" | "3" | "both" {
  return spec.airflow_version;
}

/** `pattern:12` and `rule:4` refs of the learned items an attempt's prompt used. */
export function usedRefs(learnedContext: unknown, prefix: "pattern" | "rule"): number[] {
  if (!Array.isArray(learnedContext)) return [];
  return learnedContext.flatMap((item: unknown) => {
    const ref = typeof item === "object" && item !== null ? (item as { ref?: unknown }).ref : undefined;
    if (typeof ref !== "string" || !ref.startsWith(`${prefix}:`)) return [];
    const id = Number(ref.slice(prefix.length + 1));
    return Number.isInteger(id) && id > 0 ? [id] : [];
  });
}

/** Ids of learned rewrite rules the repair pass applied in an attempt (`learned/<id>`). */
export function appliedRuleIds(appliedFixes: unknown[]): number[] {
  return appliedFixes.flatMap((fix: unknown) => {
    const rule = typeof fix === "object" && fix !== null ? (fix as { rule?: unknown }).rule : undefined;
    const id = typeof rule === "string" ? learnedRuleId(rule) : undefined;
    return id === undefined || id === null ? [] : [id];
  });
}

/** Methods each component type defines: a rule learned inside one is offered only where it can occur. */
const METHODS_OF: Record<string, ReadonlySet<string>> = {
  operator: new Set(["__init__", "execute", "execute_complete", "on_kill", "pre_execute", "post_execute", "render_template_fields"]),
  sensor: new Set(["__init__", "poke", "execute_complete", "on_kill"]),
  hook: new Set(["__init__", "get_conn", "get_connection", "get_ui_field_behaviour", "get_connection_form_widgets", "test_connection", "run"]),
};

/** Whether a rule's context (`def execute`, `def *`, `class *`, '') can occur in a component of this type. */
export function contextFits(rule: Pick<Guidance, "context">, componentType: string): boolean {
  const m = /^def (\S+)$/.exec(rule.context ?? "");
  if (!m || m[1] === "*") return true;
  return METHODS_OF[componentType]?.has(m[1] as string) ?? true;
}

/** The tree rules each changed generated Python file teaches. */
async function treeLessonsOf(signal: MergeSignal): Promise<{ path: string; rules: LearnedTreeRule[] }[]> {
  const out: { path: string; rules: LearnedTreeRule[] }[] = [];
  for (const file of signal.generatedFiles) {
    const merged = signal.mergedFiles.get(file.path);
    if (!file.path.endsWith(".py") || merged === null || merged === undefined || merged === file.content) continue;
    const lesson = await learnTreeRules(file.content, merged);
    if (lesson.rules.length > 0) out.push({ path: file.path, rules: lesson.rules });
  }
  return out;
}

function coveredByTree(candidate: LearnedRuleCandidate, files: readonly { path: string; hunks: { index: number; diff: string }[] }[], tree: readonly { path: string; rules: LearnedTreeRule[] }[]): boolean {
  const hunk = files.find((f) => f.path === candidate.source.path)?.hunks.find((h) => h.index === candidate.source.hunkIndex);
  return hunk !== undefined && tree.some((t) => t.path === candidate.source.path && rulesCoverHunk(t.rules, hunk.diff));
}

/**
 * Tree rules the repair pass applied to the merged PR's last attempt whose before-shape humans put back:
 * the rule matches the merged file where it no longer matched the generated one.
 */
async function revertedRules(db: Kysely<Tables>, signal: MergeSignal): Promise<number[]> {
  const last = signal.attempts[signal.attempts.length - 1];
  const ids = [...new Set(last ? appliedRuleIds(last.appliedFixes) : [])];
  const out: number[] = [];
  for (const id of ids) {
    const rule = await getRule(db, installationScope(signal.installationId), id);
    if (!rule?.tree || (rule.status !== "trusted" && rule.status !== "candidate")) continue;
    for (const file of signal.generatedFiles) {
      const merged = signal.mergedFiles.get(file.path);
      if (!file.path.endsWith(".py") || merged === null || merged === undefined || merged === file.content) continue;
      let parsed;
      try {
        parsed = await Promise.all([parsePython(file.content), parsePython(merged)]);
      } catch {
        continue;
      }
      const [before, after] = parsed;
      if (matchTree(rule.tree, after).length > matchTree(rule.tree, before).length) {
        out.push(id);
        break;
      }
    }
  }
  return out;
}

function roleOf(path: string, role?: string): "component" | "test" | "dag" {
  return role === "component" || role === "test" || role === "dag" ? role : roleOfPath(path);
}

export class Learning {
  /**
   * `kysely` must be the process's one Kysely instance over this database (the App's FlowServices.kysely):
   * on SQLite, two instances over one connection would not wait for each other's transactions.
   */
  constructor(
    private readonly kysely: Kysely<Tables>,
    private readonly settings: LearningSettings,
  ) {}

  /** Runs `fn` in the caller's transaction when given one (a job step's), else in a transaction of its own. */
  private write<T>(db: Kysely<Tables> | undefined, fn: (trx: Kysely<Tables>) => Promise<T>): Promise<T> {
    return inTransaction(db ?? this.kysely, fn);
  }

  /**
   * What the next generation of this spec gets from the stores, most decisive first: the learned knowledge
   * of `scope` alone (its installation, or one repository of it), with the built-in and curated knowledge.
   */
  async contextFor(spec: ComponentSpec, scope: LearningScope): Promise<LearnedContext> {
    const now = this.settings.now();
    const items: LearnedContextItem[] = [];

    for (const note of await libraryNotes(this.kysely, scope, { dependencies: spec.dependencies, airflowMajor: majorOf(spec) })) {
      if (note.alternative === undefined && note.verdict === "unknown") continue;
      items.push({
        kind: "library",
        title: `${note.library}: ${note.verdict}`,
        body: [note.sentence, note.alternative?.snippet ?? ""].filter((t) => t !== "").join("\n"),
        reason: note.verdict === "incompatible" || note.score.failures > 0 ? `${note.library} failed in CI before` : `${note.library} is a dependency of this spec`,
        ref: `library:${note.library}`,
      });
    }

    const rules = await activeRules(this.kysely, scope, { autoApplyThreshold: this.settings.autoApplyThreshold ?? 0.7 });
    for (const g of rules.guidance.filter((r) => contextFits(r, spec.component_type))) {
      items.push({
        kind: "fix",
        title: g.description,
        body: `Humans changed\n${g.before}\ninto\n${g.after}`,
        reason: `learned from ${g.source}; confidence ${g.confidence.toFixed(2)} (below the auto-apply threshold)`,
        ref: `rule:${g.ruleId}`,
      });
    }

    const frequent = await frequentSignatures(this.kysely, scope, { componentType: spec.component_type, category: spec.category, limit: 5 });
    const best = new Map(
      (await bestFixes(this.kysely, scope, { signatureIds: frequent.map((f) => f.signatureId), limit: 20 })).map((b) => [b.signatureId, b]),
    );
    for (const f of frequent) {
      const fix = best.get(f.signatureId);
      items.push({
        kind: "fix",
        title: `Avoid: ${f.signature}`,
        body: `${f.rootCause}. ${fix === undefined ? f.fixStrategy : fix.sentence}`,
        reason: `seen ${f.occurrences}× in ${spec.component_type}s${spec.category === "" ? "" : ` of category ${spec.category}`}`,
        ref: `signature:${f.signatureId}`,
      });
    }

    // A pattern from another category only comes along when it needs no library or one this spec declares:
    // an HTTP client pattern has nothing to teach a file-checksum operator.
    const declared = new Set(spec.dependencies.map((d) => requirementLibrary(d)).filter((l): l is string => l !== undefined));
    const patterns = (await retrievePatterns(this.kysely, scope, {
      componentType: spec.component_type,
      category: spec.category,
      queryText: specQuery(spec),
      limit: this.settings.patternLimit ?? 6,
      random: this.settings.random,
      now,
    })).filter(
      (p) =>
        p.category === spec.category ||
        p.libraries.every((lib) => declared.has(normalizeLibraryName(distributionForImport(lib)))),
    );
    for (const p of patterns) {
      items.push({ kind: "pattern", title: `${p.kind}: ${p.description}`, body: p.code, reason: p.reason, ref: `pattern:${p.id}` });
    }
    if (patterns.length > 0) await markUsed(this.kysely, scope, patterns.map((p) => p.id), now);
    return { learned: items, rules: rules.autoApply };
  }

  /** Third-party libraries an attempt's files import (what a CI verdict says something about). */
  librariesOf(files: { path: string; content: string }[]): Promise<string[]> {
    return importedLibraries(files);
  }

  /**
   * A CI verdict on an attempt: failures become error signatures, the fixes tried for the previous failures
   * are settled, learned rules applied in this attempt are credited or blamed, the libraries it imports get
   * an outcome, and a final failure counts against the patterns its prompt used. In one transaction: the
   * caller's `db` when it passes its own (a job step's), so all of it commits with the caller's writes.
   * Returns the signature id of each failure, in order.
   */
  recordCiVerdict(verdict: CiVerdict, libraries: string[], db?: Kysely<Tables>): Promise<number[]> {
    const now = this.settings.now();
    const outcomes = libraryOutcomesFromCi(verdict.failures, libraries, verdict.passed);
    const meta = { generationId: verdict.generationId, componentType: verdict.spec.component_type, category: verdict.spec.category };
    // Ids the attempt used came from its own installation's stores; the scope keeps any other id untouched.
    const own = installationScope(verdict.origin.installationId);
    return this.write(db, async (trx): Promise<number[]> => {
      const signatureIds = verdict.failures.length === 0 ? [] : await recordFailures(trx, verdict.origin, verdict.failures, meta, now);
      await resolveFixAttempts(trx, own, { generationId: verdict.generationId, passed: verdict.passed, stillFailingSignatureIds: signatureIds }, now);
      for (const ruleId of appliedRuleIds(verdict.attempt.appliedFixes)) {
        if ((await getRule(trx, own, ruleId)) !== null) await recordRuleOutcome(trx, own, ruleId, verdict.passed, now);
      }
      for (const run of versionedOutcomes(outcomes, verdict.spec.dependencies, majorOf(verdict.spec))) {
        await recordLibraryOutcomes(trx, verdict.origin, run.outcomes, { airflowMajor: run.airflowMajor, generationId: verdict.generationId }, now);
      }
      if (verdict.final && !verdict.passed) {
        await recordPatternOutcome(trx, own, usedRefs(verdict.attempt.learnedContext, "pattern"), false, now);
      }
      // The patterns a passing attempt's prompt gave the model share its success.
      if (verdict.passed) {
        const used = [...new Set(usedRefs(verdict.attempt.learnedContext, "pattern"))];
        if (used.length > 0) await recordPatternOutcome(trx, own, used, true, now);
      }
      await this.archiveWeak({}, trx);
      return signatureIds;
    });
  }

  async onCiVerdict(verdict: CiVerdict): Promise<number[]> {
    return this.recordCiVerdict(verdict, await this.librariesOf(verdict.attempt.files));
  }

  /** Before a retry is generated: the fixes it will try for the previous failures are recorded as pending. */
  recordRetryFixes(
    input: {
      origin: LearningOrigin;
      generationId: number;
      attemptNumber: number;
      signatureIds: number[];
      strategy: string;
      appliedFixes: unknown[];
    },
    db?: Kysely<Tables>,
  ): Promise<void> {
    const now = this.settings.now();
    return this.write(db, async (trx) => {
      for (const signatureId of new Set(input.signatureIds)) {
        await recordFixAttempt(
          trx,
          input.origin,
          { signatureId, fixKind: "prompt_instruction", fixRef: instructionRef(input.strategy), fixLabel: `retry: ${input.strategy}`, generationId: input.generationId, attemptNumber: input.attemptNumber },
          now,
        );
        for (const fix of input.appliedFixes) {
          const rule = typeof fix === "object" && fix !== null ? (fix as { rule?: unknown }).rule : undefined;
          if (typeof rule !== "string") continue;
          const learned = learnedRuleId(rule);
          await recordFixAttempt(
            trx,
            input.origin,
            { signatureId, fixKind: learned === null || learned === undefined ? "fixer" : "learned_rule", fixRef: rule, generationId: input.generationId, attemptNumber: input.attemptNumber },
            now,
          );
        }
      }
    });
  }

  /** Local validator findings are errors too: they feed the same signatures as CI failures. */
  async recordValidatorFindings(origin: LearningOrigin, generationId: number, spec: ComponentSpec, findings: Finding[]): Promise<number[]> {
    const errors = findings.filter((f) => f.severity === "error");
    if (errors.length === 0) return [];
    return recordFailures(this.kysely, origin, errors, { generationId, componentType: spec.component_type, category: spec.category }, this.settings.now());
  }

  /**
   * Merging is the reward: the patterns of the merged code are reinforced, and each hunk a human changed
   * becomes a rewrite rule (merged with similar ones) cited to this PR and commit.
   */
  async onMerged(signal: MergeSignal): Promise<MergeLesson> {
    return this.recordMerge(await this.studyMerge(signal));
  }

  /**
   * What a merge teaches, worked out without writing anything (parsing, diffing, learning tree rules): the
   * slow, asynchronous half of onMerged, which a caller can repeat after a crash at no cost.
   */
  async studyMerge(signal: MergeSignal): Promise<MergeStudy> {
    const candidates: PatternCandidate[] = [];
    for (const file of signal.generatedFiles) {
      const merged = signal.mergedFiles.get(file.path);
      if (merged === null || merged === undefined) continue;
      try {
        candidates.push(
          ...(await extractPatterns(merged, { role: roleOf(file.path, file.role), componentType: signal.spec.component_type, category: signal.spec.category })),
        );
      } catch (error) {
        // A merged file that does not parse teaches no pattern; its hunks still teach rules below.
        if (!(error instanceof PatternExtractionError)) throw error;
      }
    }
    const lessons = await analyzeMerge({
      generatedFiles: signal.generatedFiles,
      mergedFiles: signal.mergedFiles,
      prNumber: signal.prNumber,
      mergeSha: signal.mergeSha,
      repo: signal.repo,
      signatureIds: signal.signatureIds,
    });
    // Each change a tree rule captures is taught by that rule alone; line patterns cover the rest.
    const tree = await treeLessonsOf(signal);
    const lineCandidates = lessons.candidates.filter((c) => !coveredByTree(c, lessons.files, tree));
    const reverted = await revertedRules(this.kysely, signal);
    return { signal, candidates, lessonFiles: lessons.files, lineCandidates, tree, reverted };
  }

  /**
   * Writes what a merge taught, in one transaction: the caller's `db` when it passes its own, so a job step
   * that records it together with its own completion counts a merge exactly once, however often the job runs.
   */
  recordMerge(study: MergeStudy, db?: Kysely<Tables>): Promise<MergeLesson> {
    const now = this.settings.now();
    const { signal, candidates, lessonFiles, lineCandidates, tree, reverted } = study;
    const origin: LearningOrigin = { installationId: signal.installationId, repository: signal.repo };
    return this.write(db, async (trx): Promise<MergeLesson> => {
      const patternIds = candidates.length === 0 ? [] : await recordMergedPatterns(trx, origin, candidates, now);
      const saved = await saveRuleCandidates(trx, origin, lineCandidates, now);
      const treeSaved: SavedTreeRule[] = [];
      for (const { path, rules } of tree) {
        const source = { installationId: signal.installationId, repo: signal.repo, prNumber: signal.prNumber, commitSha: signal.mergeSha, path };
        treeSaved.push(...(await saveTreeRules(trx, rules, source, now, { signatureIds: signal.signatureIds })));
      }
      for (const id of reverted) await recordRuleReverted(trx, installationScope(signal.installationId), id, now);
      const changed = lessonFiles.some((f) => f.hunks.length > 0 || f.status === "deleted");
      await this.archiveWeak({}, trx);
      return {
        comment: changed ? renderLessonsComment(saved, lessonFiles, treeSaved) : null,
        ruleIds: [...new Set([...saved.map((s) => s.rule.id), ...treeSaved.map((s) => s.rule.id)])],
        patternIds,
      };
    });
  }

  /** A PR closed without merging counts against every pattern its prompts used (all of its installation's). */
  onClosedUnmerged(installationId: number, attempts: AttemptRecord[], db?: Kysely<Tables>): Promise<void> {
    return this.write(db, async (trx) => {
      const ids = [...new Set(attempts.flatMap((a) => usedRefs(a.learnedContext, "pattern")))];
      if (ids.length > 0) await recordPatternOutcome(trx, installationScope(installationId), ids, false, this.settings.now());
      await this.archiveWeak({}, trx);
    });
  }

  /**
   * Bounded growth: patterns and candidate rules that stay below the confidence floor after enough trials
   * are archived (kept, no longer retrieved or applied). Returns how many of each were archived. Inside a
   * transaction pass it as `db`: on SQLite another query on the shared connection would wait for it forever.
   */
  async archiveWeak(options: { minTrials?: number; floor?: number } = {}, db: Kysely<Tables> = this.kysely): Promise<{ patterns: number; rules: number }> {
    const now = this.settings.now();
    const minTrials = options.minTrials ?? 10;
    const floor = options.floor ?? 0.2;
    return {
      patterns: (await archiveWeakPatterns(db, { minTrials, floor, now })).length,
      rules: (await archiveWeakRules(db, { minTrials, floor, now })).length,
    };
  }

  /**
   * A maintainer's 👍 on the lessons comment trusts its rules at once; a 👎 discards them. Only the rules of
   * the comment's own installation are touched: the trust holds there and nowhere else.
   */
  onLessonsVerdict(installationId: number, ruleIds: number[], verdict: "trust" | "discard", db?: Kysely<Tables>): Promise<void> {
    return this.write(db, async (trx) => {
      const scope = installationScope(installationId);
      const own: number[] = [];
      for (const id of ruleIds) if ((await getRule(trx, scope, id)) !== null) own.push(id);
      if (own.length === 0) return;
      if (verdict === "trust") await promoteRules(trx, scope, own, this.settings.now());
      else await discardRules(trx, scope, own, this.settings.now());
    });
  }
}
