import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/database.js";
import type { Database } from "../../src/store/database.js";
import {
  getAttemptByCommitSha,
  getGeneration,
  getGenerationByHeadSha,
  getGenerationByIssue,
  getGenerationByPr,
  getLatestAttempt,
  listAttempts,
  listGenerations,
  recordAttempt,
  updateAttempt,
  updateGeneration,
  upsertGenerationForIssue,
} from "../../src/store/generations.js";
import type { GenerationForIssue } from "../../src/store/generations.js";
import { sampleSpec } from "./helpers.js";

let db: Database;
beforeEach(() => {
  db = openDatabase(":memory:");
});
afterEach(() => db.close());

const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);

function forIssue(overrides: Partial<GenerationForIssue> = {}): GenerationForIssue {
  return {
    repo: "acme/pipelines",
    installationId: 42,
    issueNumber: 7,
    specFingerprint: "fp-1",
    spec: sampleSpec(),
    provider: "anthropic",
    model: "claude-sonnet-5-5",
    ...overrides,
  };
}

describe("generations", () => {
  it("creates one generation per issue with the spec's fields copied into columns", () => {
    const { generation, created, specChanged } = upsertGenerationForIssue(db, forIssue(), T0);
    expect(created).toBe(true);
    expect(specChanged).toBe(false);
    expect(generation).toMatchObject({
      repo: "acme/pipelines",
      installationId: 42,
      issueNumber: 7,
      componentName: "WeatherFetchOperator",
      componentType: "operator",
      category: "http",
      airflowVersion: "2",
      status: "queued",
      prNumber: null,
      attemptsCount: 0,
      firstAttemptSuccess: null,
      createdAt: T0,
      updatedAt: T0,
    });
    expect(generation.spec).toEqual(sampleSpec());
    expect(getGenerationByIssue(db, "acme/pipelines", 7)?.id).toBe(generation.id);
    expect(getGenerationByIssue(db, "acme/pipelines", 8)).toBeNull();
  });

  it("an upsert for the same issue refreshes the spec but keeps status, PR and id", () => {
    const first = upsertGenerationForIssue(db, forIssue(), T0).generation;
    updateGeneration(db, first.id, { status: "pr_open", prNumber: 12, branch: "opforge/issue-7" }, T0 + 1);
    const again = upsertGenerationForIssue(
      db,
      forIssue({ specFingerprint: "fp-2", spec: sampleSpec({ name: "WeatherSensor", component_type: "sensor" }) }),
      T0 + 2,
    );
    expect(again.created).toBe(false);
    expect(again.specChanged).toBe(true);
    expect(again.generation).toMatchObject({
      id: first.id,
      status: "pr_open",
      prNumber: 12,
      componentName: "WeatherSensor",
      componentType: "sensor",
      specFingerprint: "fp-2",
      createdAt: T0,
      updatedAt: T0 + 2,
    });
    expect(upsertGenerationForIssue(db, forIssue({ specFingerprint: "fp-2" }), T0 + 3).specChanged).toBe(false);
    expect(listGenerations(db)).toHaveLength(1);
  });

  it("rejects a repo that is not owner/name", () => {
    expect(() => upsertGenerationForIssue(db, forIssue({ repo: "pipelines" }), T0)).toThrow(
      'repo should be "owner/name", got "pipelines"',
    );
  });

  it("finds a generation by PR number and by head SHA, including SHAs of earlier attempts", () => {
    const g = upsertGenerationForIssue(db, forIssue(), T0).generation;
    upsertGenerationForIssue(db, forIssue({ issueNumber: 8 }), T0);
    const a1 = recordAttempt(db, { generationId: g.id, trigger: "initial", strategy: "full", commitSha: "aaa111" }, T0);
    updateGeneration(db, g.id, { prNumber: 31, headSha: "bbb222" }, T0 + 5);
    expect(getGenerationByPr(db, "acme/pipelines", 31)?.id).toBe(g.id);
    expect(getGenerationByPr(db, "other/repo", 31)).toBeNull();
    expect(getGenerationByHeadSha(db, "acme/pipelines", "bbb222")?.id).toBe(g.id);
    expect(getGenerationByHeadSha(db, "acme/pipelines", "aaa111")?.id).toBe(g.id);
    expect(getGenerationByHeadSha(db, "acme/pipelines", "ccc333")).toBeNull();
    expect(getAttemptByCommitSha(db, g.id, "aaa111")?.id).toBe(a1.id);
  });

  it("updateGeneration writes only the given fields and fails for an unknown id", () => {
    const g = upsertGenerationForIssue(db, forIssue(), T0).generation;
    const updated = updateGeneration(db, g.id, { status: "merged", finalOutcome: "merged", statusCommentId: 9001 }, T0 + 9);
    expect(updated).toMatchObject({ status: "merged", finalOutcome: "merged", statusCommentId: 9001, branch: null, updatedAt: T0 + 9 });
    expect(() => updateGeneration(db, 999, { status: "failed" }, T0)).toThrow("generation 999 does not exist");
    expect(() => updateGeneration(db, g.id, { status: "bogus" as never }, T0)).toThrow(/CHECK constraint/);
  });

  it("lists generations newest first with filters", () => {
    upsertGenerationForIssue(db, forIssue({ issueNumber: 1 }), T0);
    upsertGenerationForIssue(db, forIssue({ issueNumber: 2, installationId: 43 }), T0 + 1);
    upsertGenerationForIssue(db, forIssue({ issueNumber: 3 }), T0 + 2);
    expect(listGenerations(db).map((g) => g.issueNumber)).toEqual([3, 2, 1]);
    expect(listGenerations(db, { installationId: 42 }).map((g) => g.issueNumber)).toEqual([3, 1]);
    expect(listGenerations(db, { limit: 1, offset: 1 }).map((g) => g.issueNumber)).toEqual([2]);
  });
});

describe("attempts", () => {
  it("numbers attempts per generation, stores every field and bumps the attempt count", () => {
    const g = upsertGenerationForIssue(db, forIssue(), T0).generation;
    const report = { findings: [{ rule: "AF001", severity: "error", line: 3, message: "missing template_fields" }] };
    const first = recordAttempt(
      db,
      {
        generationId: g.id,
        trigger: "initial",
        strategy: "full",
        files: [{ path: "operators/weather.py", content: "class WeatherFetchOperator: ...\n" }],
        validationReport: report,
        appliedFixes: [{ fixer: "add-template-fields" }],
        learnedContext: { patterns: ["p1"] },
        usage: { inputTokens: 1200, outputTokens: 800, cacheReadTokens: 300 },
        costUsd: 0.0104,
        durationMs: 5400,
      },
      T0,
    );
    expect(first).toMatchObject({
      number: 1,
      outcome: "pending",
      files: [{ path: "operators/weather.py", content: "class WeatherFetchOperator: ...\n" }],
      validationReport: report,
      appliedFixes: [{ fixer: "add-template-fields" }],
      learnedContext: { patterns: ["p1"] },
      usage: { inputTokens: 1200, outputTokens: 800, cacheReadTokens: 300, cacheWriteTokens: 0 },
      costUsd: 0.0104,
      durationMs: 5400,
      commitSha: null,
      ciFailures: null,
      createdAt: T0,
    });
    const second = recordAttempt(db, { generationId: g.id, trigger: "ci_retry", strategy: "repair" }, T0 + 10);
    expect(second.number).toBe(2);
    expect(getGeneration(db, g.id)?.attemptsCount).toBe(2);
    expect(listAttempts(db, g.id).map((a) => [a.number, a.trigger])).toEqual([
      [1, "initial"],
      [2, "ci_retry"],
    ]);
    expect(getLatestAttempt(db, g.id)?.id).toBe(second.id);
  });

  it("updateAttempt records outcomes; the first attempt's CI result sets the first-attempt flag", () => {
    const g = upsertGenerationForIssue(db, forIssue(), T0).generation;
    const a1 = recordAttempt(db, { generationId: g.id, trigger: "initial", strategy: "full" }, T0);
    updateAttempt(db, a1.id, { outcome: "validated", commitSha: "abc" }, T0 + 1);
    expect(getGeneration(db, g.id)?.firstAttemptSuccess).toBeNull();
    const failed = updateAttempt(
      db,
      a1.id,
      { outcome: "ci_failed", failureReason: "pytest failed", ciFailures: [{ kind: "test", message: "assert 1 == 2" }] },
      T0 + 2,
    );
    expect(failed).toMatchObject({ outcome: "ci_failed", commitSha: "abc", ciFailures: [{ kind: "test", message: "assert 1 == 2" }], updatedAt: T0 + 2 });
    expect(getGeneration(db, g.id)?.firstAttemptSuccess).toBe(false);

    const a2 = recordAttempt(db, { generationId: g.id, trigger: "ci_retry", strategy: "repair" }, T0 + 3);
    updateAttempt(db, a2.id, { outcome: "ci_passed" }, T0 + 4);
    // A later attempt passing does not make the first attempt a success.
    expect(getGeneration(db, g.id)?.firstAttemptSuccess).toBe(false);
    expect(() => updateAttempt(db, 999, { outcome: "ci_passed" }, T0)).toThrow("attempt 999 does not exist");
  });

  it("refuses attempts for a missing generation, files of the wrong shape and values with no JSON form", () => {
    const g = upsertGenerationForIssue(db, forIssue(), T0).generation;
    expect(() => recordAttempt(db, { generationId: 404, trigger: "initial", strategy: "full" }, T0)).toThrow(
      "generation 404 does not exist",
    );
    expect(() =>
      recordAttempt(db, { generationId: g.id, trigger: "initial", strategy: "full", files: [{ path: "a.py" } as never] }, T0),
    ).toThrow("attempt files[0] should be {path: string, content: string}");
    expect(() =>
      recordAttempt(db, { generationId: g.id, trigger: "initial", strategy: "full", learnedContext: { n: 1n } }, T0),
    ).toThrow(/attempt learnedContext cannot be stored as JSON/);
    expect(listAttempts(db, g.id)).toEqual([]);
  });

  it("reports a corrupted JSON column with its table, column and row", () => {
    const g = upsertGenerationForIssue(db, forIssue(), T0).generation;
    const a = recordAttempt(db, { generationId: g.id, trigger: "initial", strategy: "full" }, T0);
    db.prepare("UPDATE attempts SET validation_report_json = '{\"findings\": [' WHERE id = ?").run(a.id);
    expect(() => listAttempts(db, g.id)).toThrow(new RegExp(`attempts\\.validation_report_json of row ${a.id} is not valid JSON`));
    db.prepare("UPDATE attempts SET validation_report_json = NULL, files_json = '{}' WHERE id = ?").run(a.id);
    expect(() => listAttempts(db, g.id)).toThrow(`attempts.files_json of row ${a.id} should hold a JSON array, found an object`);
    db.prepare("UPDATE generations SET spec_json = 'null' WHERE id = ?").run(g.id);
    expect(() => getGeneration(db, g.id)).toThrow(`generations.spec_json of row ${g.id} should hold a JSON object, found null`);
  });

  it("deleting a generation removes its attempts", () => {
    const g = upsertGenerationForIssue(db, forIssue(), T0).generation;
    recordAttempt(db, { generationId: g.id, trigger: "initial", strategy: "full" }, T0);
    db.prepare("DELETE FROM generations WHERE id = ?").run(g.id);
    expect(db.prepare("SELECT COUNT(*) AS n FROM attempts").get()).toEqual({ n: 0 });
  });
});
