import type { Kysely } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Tables } from "../../src/db/schema.js";
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
import { describeBackends, openBackend, type TestBackend } from "../support/backends.js";
import { sampleSpec } from "./helpers.js";

const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);
/** No row has this id. */
const MISSING = 987_654_321;

describeBackends("generations and attempts", (kind) => {
  let backend: TestBackend;
  let db: Kysely<Tables>;
  beforeAll(async () => {
    backend = await openBackend(kind);
    db = backend.kysely;
  });
  afterAll(() => backend.close());

  // One database per backend: each test works in a repository and installation of its own.
  let tests = 0;
  function place(): { repo: string; installationId: number } {
    tests += 1;
    return { repo: `acme/pipelines-${tests}`, installationId: 1000 + tests };
  }

  function forIssue(where: { repo: string; installationId: number }, overrides: Partial<GenerationForIssue> = {}): GenerationForIssue {
    return {
      repo: where.repo,
      installationId: where.installationId,
      issueNumber: 7,
      specFingerprint: "fp-1",
      spec: sampleSpec(),
      provider: "anthropic",
      model: "claude-sonnet-5-5",
      ...overrides,
    };
  }

  it("creates one generation per issue with the spec's fields copied into columns", async () => {
    const at = place();
    const { generation, created, specChanged } = await upsertGenerationForIssue(db, forIssue(at), T0);
    expect(created).toBe(true);
    expect(specChanged).toBe(false);
    expect(generation).toMatchObject({
      repo: at.repo,
      installationId: at.installationId,
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
    expect((await getGenerationByIssue(db, at.repo, 7))?.id).toBe(generation.id);
    expect(await getGenerationByIssue(db, at.repo, 8)).toBeNull();
  });

  it("an upsert for the same issue refreshes the spec but keeps status, PR and id", async () => {
    const at = place();
    const first = (await upsertGenerationForIssue(db, forIssue(at), T0)).generation;
    await updateGeneration(db, first.id, { status: "pr_open", prNumber: 12, branch: "opforge/issue-7" }, T0 + 1);
    const again = await upsertGenerationForIssue(
      db,
      forIssue(at, { specFingerprint: "fp-2", spec: sampleSpec({ name: "WeatherSensor", component_type: "sensor" }) }),
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
    expect((await upsertGenerationForIssue(db, forIssue(at, { specFingerprint: "fp-2" }), T0 + 3)).specChanged).toBe(false);
    expect(await listGenerations(db, { repo: at.repo })).toHaveLength(1);
  });

  it("two upserts of one issue at once make one generation, and only one of them says it created it", async () => {
    const at = place();
    const results = await Promise.all([
      upsertGenerationForIssue(db, forIssue(at), T0),
      upsertGenerationForIssue(db, forIssue(at, { specFingerprint: "fp-2" }), T0 + 1),
    ]);
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    expect(new Set(results.map((r) => r.generation.id)).size).toBe(1);
    expect(await listGenerations(db, { repo: at.repo })).toHaveLength(1);
  });

  it("rejects a repo that is not owner/name", async () => {
    await expect(upsertGenerationForIssue(db, forIssue(place(), { repo: "pipelines" }), T0)).rejects.toThrow(
      'repo should be "owner/name", got "pipelines"',
    );
  });

  it("finds a generation by PR number and by head SHA, including SHAs of earlier attempts", async () => {
    const at = place();
    const g = (await upsertGenerationForIssue(db, forIssue(at), T0)).generation;
    await upsertGenerationForIssue(db, forIssue(at, { issueNumber: 8 }), T0);
    const a1 = await recordAttempt(db, { generationId: g.id, trigger: "initial", strategy: "full", commitSha: "aaa111" }, T0);
    await updateGeneration(db, g.id, { prNumber: 31, headSha: "bbb222" }, T0 + 5);
    expect((await getGenerationByPr(db, at.repo, 31))?.id).toBe(g.id);
    expect(await getGenerationByPr(db, "other/repo", 31)).toBeNull();
    expect((await getGenerationByHeadSha(db, at.repo, "bbb222"))?.id).toBe(g.id);
    expect((await getGenerationByHeadSha(db, at.repo, "aaa111"))?.id).toBe(g.id);
    expect(await getGenerationByHeadSha(db, at.repo, "ccc333")).toBeNull();
    expect(await getGenerationByHeadSha(db, "other/repo", "aaa111")).toBeNull();
    expect((await getAttemptByCommitSha(db, g.id, "aaa111"))?.id).toBe(a1.id);
  });

  it("updateGeneration writes only the given fields and fails for an unknown id or a status the schema refuses", async () => {
    const g = (await upsertGenerationForIssue(db, forIssue(place()), T0)).generation;
    const updated = await updateGeneration(db, g.id, { status: "merged", finalOutcome: "merged", statusCommentId: 9001, firstAttemptSuccess: true }, T0 + 9);
    expect(updated).toMatchObject({ status: "merged", finalOutcome: "merged", statusCommentId: 9001, firstAttemptSuccess: true, branch: null, updatedAt: T0 + 9 });
    await expect(updateGeneration(db, MISSING, { status: "failed" }, T0)).rejects.toThrow(`generation ${MISSING} does not exist`);
    await expect(updateGeneration(db, g.id, { status: "bogus" as never }, T0)).rejects.toThrow(/check constraint/i);
    await expect(updateGeneration(db, g.id, { bogus: 1 } as never, T0)).rejects.toThrow('updateGeneration: unknown field "bogus"');
    expect(await getGeneration(db, g.id)).toEqual(updated);
  });

  it("keeps GitHub ids beyond 2^31 exactly", async () => {
    const g = (await upsertGenerationForIssue(db, forIssue(place()), T0)).generation;
    const commentId = 2_718_281_828_459;
    expect((await updateGeneration(db, g.id, { statusCommentId: commentId }, T0)).statusCommentId).toBe(commentId);
  });

  it("lists generations newest first with filters", async () => {
    const at = place();
    const other = at.installationId + 500_000;
    await upsertGenerationForIssue(db, forIssue(at, { issueNumber: 1 }), T0);
    await upsertGenerationForIssue(db, forIssue(at, { issueNumber: 2, installationId: other }), T0 + 1);
    const third = (await upsertGenerationForIssue(db, forIssue(at, { issueNumber: 3 }), T0 + 2)).generation;
    await updateGeneration(db, third.id, { status: "failed" }, T0 + 3);
    const issues = (list: { issueNumber: number }[]) => list.map((g) => g.issueNumber);
    expect(issues(await listGenerations(db, { repo: at.repo }))).toEqual([3, 2, 1]);
    expect(issues(await listGenerations(db, { installationId: at.installationId }))).toEqual([3, 1]);
    expect(issues(await listGenerations(db, { repo: at.repo, status: "queued" }))).toEqual([2, 1]);
    expect(issues(await listGenerations(db, { repo: at.repo, limit: 1, offset: 1 }))).toEqual([2]);
  });

  it("numbers attempts per generation, stores every field and bumps the attempt count", async () => {
    const g = (await upsertGenerationForIssue(db, forIssue(place()), T0)).generation;
    const report = { findings: [{ rule: "AF001", severity: "error", line: 3, message: "missing template_fields" }] };
    const first = await recordAttempt(
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
        failureReason: "token ghp_0123456789abcdefghijklmnopqrstuvwxyzAB was refused",
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
      replyMode: null,
      createdAt: T0,
    });
    // A secret in a failure reason is never stored.
    expect(first.failureReason).toBe("token [redacted] was refused");
    const second = await recordAttempt(db, { generationId: g.id, trigger: "ci_retry", strategy: "repair", replyMode: "edits" }, T0 + 10);
    expect(second).toMatchObject({ number: 2, replyMode: "edits", files: [], appliedFixes: [], validationReport: null });
    expect((await getGeneration(db, g.id))?.attemptsCount).toBe(2);
    expect((await listAttempts(db, g.id)).map((a) => [a.number, a.trigger])).toEqual([
      [1, "initial"],
      [2, "ci_retry"],
    ]);
    expect((await getLatestAttempt(db, g.id))?.id).toBe(second.id);
  });

  it("attempts recorded at once for one generation get numbers one after the other", async () => {
    const g = (await upsertGenerationForIssue(db, forIssue(place()), T0)).generation;
    const attempts = await Promise.all(
      [1, 2, 3].map((i) => recordAttempt(db, { generationId: g.id, trigger: "manual_retry", strategy: `s${i}` }, T0 + i)),
    );
    expect(attempts.map((a) => a.number).sort()).toEqual([1, 2, 3]);
    expect((await getGeneration(db, g.id))?.attemptsCount).toBe(3);
  });

  it("updateAttempt records outcomes; the first attempt's CI result sets the first-attempt flag", async () => {
    const g = (await upsertGenerationForIssue(db, forIssue(place()), T0)).generation;
    const a1 = await recordAttempt(db, { generationId: g.id, trigger: "initial", strategy: "full" }, T0);
    await updateAttempt(db, a1.id, { outcome: "validated", commitSha: "abc" }, T0 + 1);
    expect((await getGeneration(db, g.id))?.firstAttemptSuccess).toBeNull();
    const failed = await updateAttempt(
      db,
      a1.id,
      { outcome: "ci_failed", failureReason: "pytest failed", ciFailures: [{ kind: "test", message: "assert 1 == 2" }] },
      T0 + 2,
    );
    expect(failed).toMatchObject({ outcome: "ci_failed", commitSha: "abc", ciFailures: [{ kind: "test", message: "assert 1 == 2" }], updatedAt: T0 + 2 });
    expect((await getGeneration(db, g.id))?.firstAttemptSuccess).toBe(false);

    const a2 = await recordAttempt(db, { generationId: g.id, trigger: "ci_retry", strategy: "repair" }, T0 + 3);
    await updateAttempt(db, a2.id, { outcome: "ci_passed" }, T0 + 4);
    // A later attempt passing does not make the first attempt a success.
    expect((await getGeneration(db, g.id))?.firstAttemptSuccess).toBe(false);
    await expect(updateAttempt(db, MISSING, { outcome: "ci_passed" }, T0)).rejects.toThrow(`attempt ${MISSING} does not exist`);
  });

  it("a first attempt recorded as failed sets the first-attempt flag at once", async () => {
    const g = (await upsertGenerationForIssue(db, forIssue(place()), T0)).generation;
    await recordAttempt(db, { generationId: g.id, trigger: "initial", strategy: "full", outcome: "failed_generation" }, T0);
    expect(await getGeneration(db, g.id)).toMatchObject({ firstAttemptSuccess: false, attemptsCount: 1 });
  });

  it("refuses attempts for a missing generation, files of the wrong shape and values with no JSON form", async () => {
    const g = (await upsertGenerationForIssue(db, forIssue(place()), T0)).generation;
    await expect(recordAttempt(db, { generationId: MISSING, trigger: "initial", strategy: "full" }, T0)).rejects.toThrow(
      `generation ${MISSING} does not exist`,
    );
    await expect(
      recordAttempt(db, { generationId: g.id, trigger: "initial", strategy: "full", files: [{ path: "a.py" } as never] }, T0),
    ).rejects.toThrow("attempt files[0] should be {path: string, content: string}");
    await expect(
      recordAttempt(db, { generationId: g.id, trigger: "initial", strategy: "full", learnedContext: { n: 1n } }, T0),
    ).rejects.toThrow(/attempt learnedContext cannot be stored as JSON/);
    expect(await listAttempts(db, g.id)).toEqual([]);
    expect((await getGeneration(db, g.id))?.attemptsCount).toBe(0);
  });

  it("reports a corrupted JSON column with its table, column and row", async () => {
    const g = (await upsertGenerationForIssue(db, forIssue(place()), T0)).generation;
    const a = await recordAttempt(db, { generationId: g.id, trigger: "initial", strategy: "full" }, T0);
    await db.updateTable("attempts").set({ validation_report_json: '{"findings": [' }).where("id", "=", a.id).execute();
    await expect(listAttempts(db, g.id)).rejects.toThrow(new RegExp(`attempts\\.validation_report_json of row ${a.id} is not valid JSON`));
    await db.updateTable("attempts").set({ validation_report_json: null, files_json: "{}" }).where("id", "=", a.id).execute();
    await expect(listAttempts(db, g.id)).rejects.toThrow(`attempts.files_json of row ${a.id} should hold a JSON array, found an object`);
    await db.updateTable("generations").set({ spec_json: "null" }).where("id", "=", g.id).execute();
    await expect(getGeneration(db, g.id)).rejects.toThrow(`generations.spec_json of row ${g.id} should hold a JSON object, found null`);
  });

  it("deleting a generation removes its attempts", async () => {
    const g = (await upsertGenerationForIssue(db, forIssue(place()), T0)).generation;
    await recordAttempt(db, { generationId: g.id, trigger: "initial", strategy: "full" }, T0);
    await db.deleteFrom("generations").where("id", "=", g.id).execute();
    expect(await listAttempts(db, g.id)).toEqual([]);
  });

  it("writes made in a caller's transaction are undone with it", async () => {
    const at = place();
    await expect(
      db.transaction().execute(async (trx) => {
        const { generation } = await upsertGenerationForIssue(trx, forIssue(at), T0);
        await recordAttempt(trx, { generationId: generation.id, trigger: "initial", strategy: "full" }, T0);
        throw new Error("the caller changed its mind");
      }),
    ).rejects.toThrow("the caller changed its mind");
    expect(await getGenerationByIssue(db, at.repo, 7)).toBeNull();
  });
});
