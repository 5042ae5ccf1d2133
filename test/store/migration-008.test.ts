import { join } from "node:path";
import { kyselyOverStore } from "../../src/db/over-store.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bestFixes, frequentSignatures } from "../../src/learn/errors/store.js";
import { activeRules, getRule, listRules } from "../../src/learn/fixes/store.js";
import { libraryCounts } from "../../src/learn/libraries/store.js";
import { retrievePatterns } from "../../src/learn/patterns/retrieve.js";
import { collectStats } from "../../src/learn/metrics/report.js";
import type { LearningScope } from "../../src/learn/scope.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { upsertGenerationForIssue, updateGeneration } from "../../src/store/generations.js";
import { migrations } from "../../src/store/migrations/index.js";
import { sampleSpec, tempDir } from "./helpers.js";

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const T0 = Date.UTC(2026, 10, 2);
const ACME = 11;
const GLOBEX = 22;
const whole = (installationId: number): LearningScope => ({ installationId, repository: null });

/** A database at schema 7 (before per-installation learning), filled by `fill`, then opened at the latest schema. */
async function upgraded(fill: (old: Database) => Promise<void>): Promise<Database> {
  const path = join(dir, "opforge.db");
  const old = openDatabase(path, { migrations: migrations.slice(0, 7) });
  try {
    await fill(old);
  } finally {
    old.close();
  }
  return openDatabase(path);
}

/** A generation written through Kysely on the old file's own connection, as the App writes them. */
async function generation(db: Database, installationId: number, repo: string, issueNumber: number, prNumber: number): Promise<number> {
  const kysely = kyselyOverStore(db);
  const { generation: g } = await upsertGenerationForIssue(
    kysely,
    { repo, installationId, issueNumber, specFingerprint: `fp-${repo}-${issueNumber}`, spec: sampleSpec(), provider: "anthropic", model: "m" },
    T0,
  );
  await updateGeneration(kysely, g.id, { prNumber, status: "merged", finalOutcome: "merged" }, T0);
  return g.id;
}

function rule(db: Database, before: string, sources: { repo: string; pr: number }[]): number {
  const info = db
    .prepare(
      `INSERT INTO rewrite_rules (before_pattern, after_pattern, context, holes, description, source_pr, repo, commit_sha, status, created_at, updated_at)
       VALUES (?, ?, '', 0, ?, ?, ?, 'abc1234', 'trusted', ?, ?)`,
    )
    .run(before, `${before}_fixed`, `rename ${before}`, sources[0]?.pr ?? 0, sources[0]?.repo ?? "", T0, T0);
  const id = Number(info.lastInsertRowid);
  for (const s of sources) {
    db.prepare("INSERT INTO rule_sources (rule_id, repo, pr_number, commit_sha, path, added_at) VALUES (?, ?, ?, 'abc1234', 'plugins/x.py', ?)").run(
      id,
      s.repo,
      s.pr,
      T0,
    );
  }
  return id;
}

function pattern(db: Database, fingerprint: string): void {
  db.prepare(
    `INSERT INTO patterns (kind, fingerprint, code, description, category, component_type, role, text, scope, weight_at, created_at, updated_at, successes, success_weight)
     VALUES ('execute_shape', ?, 'def execute(self, context):\n    return fetch_forecast()', 'execute fetches the forecast', 'http', 'operator',
             'component', 'execute fetch forecast weather', 'toperator', ?, ?, ?, 3, 3)`,
  ).run(fingerprint, T0, T0, T0);
}

function patternQuery(): Parameters<typeof retrievePatterns>[2] {
  return { componentType: "operator", category: "http", queryText: "fetch the weather forecast", random: () => 0.5, now: T0 };
}

describe("migration 008: existing learned data moves to the installation it came from", () => {
  it("rules go to the installation of the PRs their sources name; mixed or unknown origins to none", async () => {
    const ids: Record<string, number> = {};
    const db = await upgraded(async (old) => {
      await generation(old, ACME, "acme/pipelines", 1, 5);
      await generation(old, GLOBEX, "globex/etl", 1, 6);
      ids.acme = rule(old, "acme_only", [{ repo: "acme/pipelines", pr: 5 }]);
      ids.globex = rule(old, "globex_only", [{ repo: "globex/etl", pr: 6 }]);
      ids.mixed = rule(old, "both_taught", [{ repo: "acme/pipelines", pr: 5 }, { repo: "globex/etl", pr: 6 }]);
      ids.local = rule(old, "from_cli", [{ repo: "local", pr: 0 }]);
      ids.unknown = rule(old, "no_such_pr", [{ repo: "acme/pipelines", pr: 99 }]);
    });
    try {
      expect((await listRules(kyselyOverStore(db), whole(ACME))).map((r) => r.id)).toEqual([ids.acme]);
      expect((await listRules(kyselyOverStore(db), whole(GLOBEX))).map((r) => r.id)).toEqual([ids.globex]);
      expect((await listRules(kyselyOverStore(db), whole(0))).map((r) => r.id)).toEqual([ids.local]);
      // The trusted rule of one installation is applied there and nowhere else; the mixed one nowhere.
      expect((await activeRules(kyselyOverStore(db), whole(ACME))).autoApply.map((r) => r.id)).toEqual([`learned/${ids.acme}`]);
      expect((await activeRules(kyselyOverStore(db), whole(GLOBEX))).autoApply.map((r) => r.id)).toEqual([`learned/${ids.globex}`]);
      expect(await getRule(kyselyOverStore(db), whole(ACME), ids.mixed ?? 0)).toBeNull();
      expect(await getRule(kyselyOverStore(db), whole(GLOBEX), ids.mixed ?? 0)).toBeNull();
      expect(await getRule(kyselyOverStore(db), whole(ACME), ids.unknown ?? 0)).toBeNull();
      // Kept, with their sources, for a person to look at.
      const kept = db.prepare("SELECT installation_id, (SELECT COUNT(*) FROM rule_sources s WHERE s.rule_id = r.id) AS sources FROM rewrite_rules r WHERE id = ?");
      expect(kept.get(ids.mixed)).toEqual({ installation_id: null, sources: 2 });
      expect((await listRules(kyselyOverStore(db), whole(ACME)))[0]?.sources).toEqual([{ repo: "acme/pipelines", prNumber: 5, commitSha: "abc1234", path: "plugins/x.py" }]);
    } finally {
      db.close();
    }
  });

  it("error occurrences, fix attempts and library outcomes follow their generation; those without one are used by nobody", async () => {
    const db = await upgraded(async (old) => {
      const acme = await generation(old, ACME, "acme/pipelines", 1, 5);
      const globex = await generation(old, GLOBEX, "globex/etl", 1, 6);
      old.prepare(
        `INSERT INTO error_signatures (id, signature, kind, root_cause, fix_strategy, matched, occurrences, first_seen, last_seen, component_types_json)
         VALUES (1, 'ModuleNotFoundError: No module named <mod>', 'import', 'a module is missing', 'add it', 'import', 3, ?, ?, '["operator"]')`,
      ).run(T0, T0);
      const occurrence = old.prepare(
        "INSERT INTO error_occurrences (signature_id, generation_id, component_type, category, source, seen_at) VALUES (1, ?, 'operator', 'http', 'ci', ?)",
      );
      occurrence.run(acme, T0);
      occurrence.run(acme, T0 + 1);
      occurrence.run(null, T0 + 2);
      // Globex met the same message once, and its attempt keeps the signature id on the failure.
      occurrence.run(globex, T0 + 3);
      old.prepare(
        `INSERT INTO attempts (generation_id, number, trigger, strategy, outcome, ci_failures_json, created_at, updated_at)
         VALUES (?, 1, 'initial', 'fresh', 'ci_failed', ?, ?, ?)`,
      ).run(globex, JSON.stringify([{ check: "test", kind: "import", message: "No module named 'x'", excerpt: "", signatureId: 1 }]), T0, T0);
      old.prepare(
        `INSERT INTO fix_attempts (signature_id, fix_kind, fix_ref, fix_label, generation_id, attempt_number, outcome, created_at, resolved_at)
         VALUES (1, 'prompt_instruction', 'i1', 'retry: patch', ?, 2, 'passed', ?, ?)`,
      ).run(acme, T0, T0);
      // Each installation's rule addressed the message: the link follows the rule's installation.
      const link = old.prepare("INSERT INTO rule_signatures (rule_id, signature_id) VALUES (?, 1)");
      link.run(rule(old, "acme_fix", [{ repo: "acme/pipelines", pr: 5 }]));
      link.run(rule(old, "globex_fix", [{ repo: "globex/etl", pr: 6 }]));
      const outcome = old.prepare("INSERT INTO library_outcomes (library, airflow_major, kind, generation_id, created_at) VALUES ('requests', '2', ?, ?, ?)");
      outcome.run("import_failed", globex, T0);
      outcome.run("import_failed", null, T0);
    });
    try {
      // Split per installation: Acme keeps the id, Globex gets its own row with its own count.
      expect((await frequentSignatures(kyselyOverStore(db), whole(ACME), { limit: 5 }))).toEqual([expect.objectContaining({ signatureId: 1, occurrences: 2 })]);
      const globexSignatures = await frequentSignatures(kyselyOverStore(db), whole(GLOBEX), { limit: 5 });
      expect(globexSignatures).toEqual([expect.objectContaining({ signature: "ModuleNotFoundError: No module named <mod>", occurrences: 1 })]);
      const globexId = globexSignatures[0]?.signatureId;
      expect(globexId).not.toBe(1);
      expect(db.prepare("SELECT id, installation_id, occurrences FROM error_signatures ORDER BY installation_id IS NULL, installation_id").all()).toEqual([
        { id: 1, installation_id: ACME, occurrences: 2 },
        { id: globexId, installation_id: GLOBEX, occurrences: 1 },
        { id: expect.any(Number), installation_id: null, occurrences: 1 },
      ]);
      expect((await listRules(kyselyOverStore(db), whole(ACME))).map((r) => r.signatureIds)).toEqual([[1]]);
      expect((await listRules(kyselyOverStore(db), whole(GLOBEX))).map((r) => r.signatureIds)).toEqual([[globexId]]);
      const stored = db.prepare("SELECT ci_failures_json FROM attempts").get() as { ci_failures_json: string };
      expect(JSON.parse(stored.ci_failures_json)).toEqual([expect.objectContaining({ signatureId: globexId })]);
      expect((await bestFixes(kyselyOverStore(db), whole(ACME), { signatureIds: [1], limit: 5 }))).toEqual([expect.objectContaining({ fixRef: "i1", successes: 1 })]);
      expect((await bestFixes(kyselyOverStore(db), whole(GLOBEX), { signatureIds: [1, globexId ?? 0], limit: 5 }))).toEqual([]);
      expect((await libraryCounts(kyselyOverStore(db), whole(GLOBEX), "requests", ["2"])).importFailed).toBe(1);
      expect((await libraryCounts(kyselyOverStore(db), whole(ACME), "requests", ["2"])).importFailed).toBe(0);
      expect(db.prepare("SELECT COUNT(*) AS n FROM error_occurrences WHERE installation_id IS NULL").get()).toEqual({ n: 1 });
      expect(db.prepare("SELECT installation_id, repository FROM fix_attempts").all()).toEqual([{ installation_id: ACME, repository: "acme/pipelines" }]);
      // Metrics of one installation count its own error kinds only.
      const kysely = kyselyOverStore(db);
      expect((await collectStats(kysely, ACME, { now: T0 + 1000, weeks: 2 })).errorKinds.rows).toEqual([expect.objectContaining({ kind: "import", count: 2 })]);
      expect((await collectStats(kysely, GLOBEX, { now: T0 + 1000, weeks: 2 })).errorKinds.rows).toEqual([expect.objectContaining({ kind: "import", count: 1 })]);
    } finally {
      db.close();
    }
  });

  it("patterns belong to the one app installation when there is just one, and to none when there are several", async () => {
    const single = await upgraded(async (old) => {
      await generation(old, ACME, "acme/pipelines", 1, 5);
      await generation(old, 0, "local/0123456789abcdef", 1, 0);
      pattern(old, "a".repeat(64));
    });
    try {
      expect((await retrievePatterns(kyselyOverStore(single), whole(ACME), patternQuery())).map((p) => p.code)).toEqual(["def execute(self, context):\n    return fetch_forecast()"]);
      expect(await retrievePatterns(kyselyOverStore(single), { installationId: ACME, repository: "acme/pipelines" }, patternQuery())).toHaveLength(1);
      expect(await retrievePatterns(kyselyOverStore(single), whole(0), patternQuery())).toEqual([]);
      expect(single.prepare("SELECT installation_id, term, docs FROM pattern_terms WHERE term IN ('', 'forecast') ORDER BY term").all()).toEqual([
        { installation_id: ACME, term: "", docs: 1 },
        { installation_id: ACME, term: "forecast", docs: 1 },
      ]);
    } finally {
      single.close();
    }
    cleanup();
    ({ dir, cleanup } = tempDir());
    const several = await upgraded(async (old) => {
      await generation(old, ACME, "acme/pipelines", 1, 5);
      await generation(old, GLOBEX, "globex/etl", 1, 6);
      pattern(old, "b".repeat(64));
    });
    try {
      expect(await retrievePatterns(kyselyOverStore(several), whole(ACME), patternQuery())).toEqual([]);
      expect(await retrievePatterns(kyselyOverStore(several), whole(GLOBEX), patternQuery())).toEqual([]);
      expect(several.prepare("SELECT installation_id, archived FROM patterns").all()).toEqual([{ installation_id: null, archived: 0 }]);
      expect(several.prepare("SELECT COUNT(*) AS n FROM pattern_terms").get()).toEqual({ n: 0 });
    } finally {
      several.close();
    }
  });
});
