import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { kyselyOverStore } from "../../src/db/over-store.js";
import { parseRepoConfig } from "../../src/config/repo-config.js";
import { scopeOf } from "../../src/flows/learning-scope.js";
import { frequentSignatures, recordFailures } from "../../src/learn/errors/store.js";
import { activeRules, promoteRules, saveRuleCandidates } from "../../src/learn/fixes/store.js";
import { extractPatterns, recordMergedPatterns, retrievePatterns } from "../../src/learn/patterns/index.js";
import type { LearningOrigin, LearningScope } from "../../src/learn/scope.js";
import { importFailure } from "./metrics/fill.js";
import { memoryDb, T0 } from "./patterns/helpers.js";
import { WEATHER_OPERATOR } from "./patterns/sources.js";

/**
 * Who sees what was learned: one repository's knowledge is its own by default, `learning.share: installation`
 * widens it to the installation's other repositories, and no setting reaches another installation.
 */
const PIPELINES: LearningOrigin = { installationId: 7, repository: "acme/pipelines" };
const WAREHOUSE = { installationId: 7, repo: "acme/warehouse" };
const OTHER_OWNER = { installationId: 8, repo: "globex/pipelines" };

let db: Database;
beforeEach(() => {
  db = memoryDb();
});
afterEach(() => db.close());

function config(yaml: Record<string, unknown>) {
  const parsed = parseRepoConfig(yaml);
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  return parsed.config;
}

async function patternsFor(scope: LearningScope): Promise<string[]> {
  return (await retrievePatterns(kyselyOverStore(db), scope, { componentType: "operator", category: "http", queryText: "weather forecast api", random: () => 0.5, now: T0 })).map((p) => p.kind);
}

async function teach(): Promise<number> {
  await recordMergedPatterns(kyselyOverStore(db), PIPELINES, await extractPatterns(WEATHER_OPERATOR, { role: "component", componentType: "operator", category: "http" }), T0);
  await recordFailures(kyselyOverStore(db), PIPELINES, [importFailure], { componentType: "operator", category: "http" }, T0);
  const [saved] = await saveRuleCandidates(
    kyselyOverStore(db),
    PIPELINES,
    [
      {
        before: "requests.get(<A>)",
        after: "requests.get(<A>, timeout=30)",
        context: "def execute",
        holes: 1,
        description: "give requests.get a timeout",
        diff: "-requests.get(url)\n+requests.get(url, timeout=30)",
        signatureIds: [],
        source: { repo: PIPELINES.repository, prNumber: 12, commitSha: "abc1234", path: "plugins/operators/weather.py", hunkIndex: 0 },
      },
    ],
    T0,
  );
  return saved?.rule.id ?? 0;
}

describe("learning.share", () => {
  it("defaults to repository, accepts installation, and refuses anything else by key", () => {
    expect(config({}).learning.share).toBe("repository");
    expect(config({ learning: { share: "installation" } }).learning.share).toBe("installation");
    expect(parseRepoConfig({ learning: { share: "everyone" } })).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^\.github\/opforge\.yml: learning\.share: /)],
    });
  });

  it("a repository sees its own knowledge; another repository of the installation only with share: installation; another installation never", async () => {
    const ruleId = await teach();
    await promoteRules(kyselyOverStore(db), { installationId: 7, repository: null }, [ruleId], T0);

    const own = scopeOf({ installationId: 7, repo: "acme/pipelines" }, config({}));
    expect((await patternsFor(own)).length).toBeGreaterThan(0);
    expect(await frequentSignatures(kyselyOverStore(db), own, { limit: 5 })).toHaveLength(1);
    expect((await activeRules(kyselyOverStore(db), own)).autoApply.map((r) => r.id)).toEqual([`learned/${ruleId}`]);

    const narrow = scopeOf(WAREHOUSE, config({}));
    expect(await patternsFor(narrow)).toEqual([]);
    expect(await frequentSignatures(kyselyOverStore(db), narrow, { limit: 5 })).toEqual([]);
    expect((await activeRules(kyselyOverStore(db), narrow)).autoApply).toEqual([]);

    const wide = scopeOf(WAREHOUSE, config({ learning: { share: "installation" } }));
    expect(await patternsFor(wide)).toEqual(await patternsFor(own));
    expect(await frequentSignatures(kyselyOverStore(db), wide, { limit: 5 })).toHaveLength(1);
    expect((await activeRules(kyselyOverStore(db), wide)).autoApply.map((r) => r.id)).toEqual([`learned/${ruleId}`]);

    const elsewhere = scopeOf(OTHER_OWNER, config({ learning: { share: "installation" } }));
    expect(await patternsFor(elsewhere)).toEqual([]);
    expect(await frequentSignatures(kyselyOverStore(db), elsewhere, { limit: 5 })).toEqual([]);
    expect(await activeRules(kyselyOverStore(db), elsewhere)).toEqual({ autoApply: [], guidance: [] });
  });

  it("a 👍 from another installation cannot trust a rule it did not teach", async () => {
    const ruleId = await teach();
    await expect(promoteRules(kyselyOverStore(db), { installationId: 8, repository: null }, [ruleId], T0)).rejects.toThrow(`rewrite rule ${ruleId} does not exist`);
    expect((await activeRules(kyselyOverStore(db), { installationId: 7, repository: null })).guidance.map((g) => g.ruleId)).toEqual([ruleId]);
  });
});
