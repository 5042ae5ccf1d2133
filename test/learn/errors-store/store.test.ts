import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { normalizeCheckRun } from "../../../src/ci/normalize.js";
import type { CiFailure } from "../../../src/ci/types.js";
import {
  bestFixes,
  errorSignature,
  frequentSignatures,
  getSignature,
  instructionRef,
  posteriorMean,
  recordFailures,
  recordFixAttempt,
  resolveFixAttempts,
} from "../../../src/learn/errors/index.js";
import type { Finding } from "../../../src/python/types.js";
import type { Kysely } from "kysely";
import type { Tables } from "../../../src/db/schema.js";
import { describeBackends, openBackend, type TestBackend } from "../../support/backends.js";
import { makeGeneration } from "./helpers.js";
import { TEST_ORIGIN, TEST_SCOPE } from "../../support/learning-scope.js";


const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);
const HOUR = 3_600_000;

function logFailures(fixture: string): CiFailure[] {
  return normalizeCheckRun({
    checkRun: { name: "pytest", conclusion: "failure" },
    log: readFileSync(new URL(`../../fixtures/ci/${fixture}`, import.meta.url), "utf8"),
  });
}

/** The same mistake made by another operator: same message shape, other class name. */
function kwargsFailure(className: string): CiFailure {
  return {
    check: "pytest",
    kind: "type",
    exceptionType: "TypeError",
    message: `${className}.__init__() got an unexpected keyword argument 'task_id'`,
    excerpt: "",
    fingerprint: `pytest:TypeError:${className}`,
  };
}

/** Resolves once `n` callers are waiting on it: two transactions get to the same point before either goes on. */
function barrier(n: number): () => Promise<void> {
  let waiting = 0;
  let release: () => void = () => {};
  const all = new Promise<void>((resolve) => (release = resolve));
  return async () => {
    waiting += 1;
    if (waiting === n) release();
    await all;
  };
}

const templateFinding: Finding = {
  rule: "template-fields-string",
  category: "airflow",
  severity: "error",
  line: 6,
  column: 5,
  message: 'template_fields is the string "city", not a tuple of strings; write ("city",)',
  fixable: true,
};

describeBackends("error store", (kind) => {
  let backend: TestBackend;
  let db: Kysely<Tables>;
  beforeEach(async () => {
    backend = await openBackend(kind);
    db = backend.kysely;
  });
  afterEach(() => backend.close());

  describe("recordFailures", () => {
    it("turns failures read from a real CI log into signatures with kind, root cause and fix strategy", async () => {
      const failures = logFailures("actions-pytest-typeerror.log");
      const generation = await makeGeneration(db, 1);
      const ids = await recordFailures(db, TEST_ORIGIN, failures, { generationId: generation, componentType: "operator", category: "http" }, T0);

      expect(ids).toHaveLength(failures.length);
      const kwargs = failures.findIndex((f) => f.message.includes("unexpected keyword argument 'task_id'"));
      expect(kwargs).toBeGreaterThanOrEqual(0);
      const stored = await getSignature(db, TEST_SCOPE, ids[kwargs]!);
      expect(stored).toMatchObject({
        signature: "TypeError: <CLS>.__init__() got an unexpected keyword argument 'task_id'",
        kind: "type",
        matched: "init_without_kwargs",
        occurrences: 1,
        firstSeen: T0,
        lastSeen: T0,
        componentTypes: ["operator"],
      });
      expect(stored?.fixStrategy).toContain("**kwargs");
    });

    it("counts the same mistake in other components under one signature, once per run, and remembers component types", async () => {
      const first = await recordFailures(db, TEST_ORIGIN, [kwargsFailure("S3ReportOperator"), kwargsFailure("S3ReportOperator")], { componentType: "operator", category: "aws" }, T0);
      expect(first[0]).toBe(first[1]);
      const second = await recordFailures(db, TEST_ORIGIN, [kwargsFailure("KeyWaitSensor")], { componentType: "sensor", category: "aws" }, T0 + HOUR);
      expect(second[0]).toBe(first[0]);

      const stored = await getSignature(db, TEST_SCOPE, first[0]!);
      expect(stored?.occurrences).toBe(2);
      expect(stored?.firstSeen).toBe(T0);
      expect(stored?.lastSeen).toBe(T0 + HOUR);
      expect(stored?.componentTypes).toEqual(["operator", "sensor"]);
    });

    it("makes one row of a signature two writers record at once, counting both and both component types", async () => {
      // On PostgreSQL both transactions are open before either writes; SQLite's one connection takes them in turn.
      const bothOpen = kind === "postgres" ? barrier(2) : async (): Promise<void> => {};
      const write = (componentType: "operator" | "sensor"): Promise<number[]> =>
        db.transaction().execute(async (trx) => {
          await bothOpen();
          return recordFailures(trx, TEST_ORIGIN, [kwargsFailure(`${componentType}A`)], { componentType, category: "aws" }, T0);
        });
      const [first, second] = await Promise.all([write("operator"), write("sensor")]);
      expect(second).toEqual(first);
      const rows = await db.selectFrom("error_signatures").select(["id", "occurrences", "component_types_json"]).where("installation_id", "=", TEST_ORIGIN.installationId).execute();
      expect(rows).toEqual([{ id: first[0], occurrences: 2, component_types_json: '["operator","sensor"]' }]);
      expect(await getSignature(db, TEST_SCOPE, first[0]!)).toMatchObject({ occurrences: 2, componentTypes: ["operator", "sensor"] });
    });

    it("records validator findings alongside CI failures", async () => {
      const [id] = await recordFailures(db, TEST_ORIGIN, [templateFinding], { componentType: "operator", category: "http" }, T0);
      const stored = await getSignature(db, TEST_SCOPE, id!);
      expect(stored?.kind).toBe("template_fields");
      expect(stored?.signature).toBe(errorSignature(templateFinding).signature);
    });

    it("names the bad field", async () => {
      await expect(recordFailures(db, TEST_ORIGIN, [], { generationId: 0 }, T0)).rejects.toThrow("context.generationId must be a positive integer");
      await expect(recordFailures(db, TEST_ORIGIN, [{ rule: "x" } as unknown as Finding], {}, T0)).rejects.toThrow("failures[0].message must be a string");
      await expect(recordFailures(db, TEST_ORIGIN, [], { componentType: "dag" as unknown as "operator" }, T0),
      ).rejects.toThrow("context.componentType must be one of operator, sensor, hook");
    });
  });

  describe("frequentSignatures", () => {
    it("ranks signatures by occurrences under the category, component type and time filters", async () => {
      const syntax = logFailures("actions-syntax-error.log");
      await recordFailures(db, TEST_ORIGIN, [kwargsFailure("AOperator")], { componentType: "operator", category: "http" }, T0);
      await recordFailures(db, TEST_ORIGIN, [kwargsFailure("BOperator")], { componentType: "operator", category: "http" }, T0 + HOUR);
      await recordFailures(db, TEST_ORIGIN, syntax, { componentType: "operator", category: "http" }, T0 + 2 * HOUR);
      await recordFailures(db, TEST_ORIGIN, syntax, { componentType: "sensor", category: "database" }, T0 + 3 * HOUR);
      await recordFailures(db, TEST_ORIGIN, syntax, { componentType: "sensor", category: "database" }, T0 + 4 * HOUR);

      const http = await frequentSignatures(db, TEST_SCOPE, { category: "http", limit: 5 });
      expect(http.map((s) => [s.signature, s.occurrences])).toEqual([
        ["TypeError: <CLS>.__init__() got an unexpected keyword argument 'task_id'", 2],
        ["SyntaxError: non-default argument follows default argument", 1],
      ]);
      const sensors = await frequentSignatures(db, TEST_SCOPE, { componentType: "sensor", limit: 5 });
      expect(sensors.map((s) => [s.kind, s.occurrences, s.lastSeen])).toEqual([["parameter_ordering", 2, T0 + 4 * HOUR]]);
      const recent = await frequentSignatures(db, TEST_SCOPE, { since: T0 + 2 * HOUR, limit: 5 });
      expect(recent.map((s) => [s.kind, s.occurrences])).toEqual([["parameter_ordering", 3]]);
      expect(await frequentSignatures(db, TEST_SCOPE, { limit: 1 })).toHaveLength(1);
      await expect(frequentSignatures(db, TEST_SCOPE, { limit: -1 })).rejects.toThrow("frequentSignatures: limit must be a non-negative integer");
    });
  });

  describe("fix attempts", () => {
    it("stay pending until the next CI verdict, which settles each once", async () => {
      const generation = await makeGeneration(db, 1);
      const [sig] = await recordFailures(db, TEST_ORIGIN, [kwargsFailure("AOperator")], { generationId: generation }, T0);
      const id = await recordFixAttempt(db, TEST_ORIGIN, { signatureId: sig!, fixKind: "fixer", fixRef: "fix/init-kwargs", generationId: generation, attemptNumber: 2 }, T0);
      expect(await recordFixAttempt(db, TEST_ORIGIN, { signatureId: sig!, fixKind: "fixer", fixRef: "fix/init-kwargs", generationId: generation, attemptNumber: 2 }, T0)).toBe(id);
      expect(await bestFixes(db, TEST_SCOPE, { signatureIds: [sig!], limit: 5 })).toEqual([]);

      const settled = await resolveFixAttempts(db, TEST_SCOPE, { generationId: generation, passed: true }, T0 + HOUR);
      expect(settled).toEqual([{ id, signatureId: sig, fixKind: "fixer", fixRef: "fix/init-kwargs", attemptNumber: 2, passed: true }]);
      expect(await resolveFixAttempts(db, TEST_SCOPE, { generationId: generation, passed: false }, T0 + 2 * HOUR)).toEqual([]);
      expect((await bestFixes(db, TEST_SCOPE, { signatureIds: [sig!], limit: 5 }))[0]).toMatchObject({ successes: 1, failures: 0 });
    });

    it("counts a fix whose error vanished from a run that failed for another reason as a success", async () => {
      const generation = await makeGeneration(db, 1);
      const [kwargs, syntax] = await recordFailures(db, TEST_ORIGIN, [kwargsFailure("AOperator"), ...logFailures("actions-syntax-error.log")], { generationId: generation }, T0);
      await recordFixAttempt(db, TEST_ORIGIN, { signatureId: kwargs!, fixKind: "fixer", fixRef: "fix/init-kwargs", generationId: generation, attemptNumber: 2 }, T0);
      await recordFixAttempt(db, TEST_ORIGIN, { signatureId: syntax!, fixKind: "fixer", fixRef: "fix/param-order", generationId: generation, attemptNumber: 2 }, T0);
      const settled = await resolveFixAttempts(db, TEST_SCOPE, { generationId: generation, passed: false, stillFailingSignatureIds: [syntax!] }, T0 + HOUR);
      expect(settled.map((s) => [s.fixRef, s.passed])).toEqual([
        ["fix/init-kwargs", true],
        ["fix/param-order", false],
      ]);
    });

    it("refuses unknown signatures and bad fields by name", async () => {
      const generation = await makeGeneration(db, 1);
      await expect(recordFixAttempt(db, TEST_ORIGIN, { signatureId: 99, fixKind: "fixer", fixRef: "x", generationId: generation, attemptNumber: 1 }, T0)).rejects.toThrow(
        "signatureId 99 does not exist",
      );
      const [sig] = await recordFailures(db, TEST_ORIGIN, [kwargsFailure("AOperator")], {}, T0);
      await expect(recordFixAttempt(db, TEST_ORIGIN, { signatureId: sig!, fixKind: "magic" as "fixer", fixRef: "x", generationId: generation, attemptNumber: 1 }, T0),
      ).rejects.toThrow("fixKind must be one of fixer, learned_rule, prompt_instruction");
      await expect(recordFixAttempt(db, TEST_ORIGIN, { signatureId: sig!, fixKind: "fixer", fixRef: " ", generationId: generation, attemptNumber: 1 }, T0)).rejects.toThrow(
        "fixRef must be a non-empty string",
      );
      await expect(recordFixAttempt(db, TEST_ORIGIN, { signatureId: sig!, fixKind: "fixer", fixRef: "x", generationId: generation, attemptNumber: 0 }, T0)).rejects.toThrow(
        "attemptNumber must be a positive integer",
      );
    });
  });

  describe("bestFixes", () => {
    /** Tries `fixRef` on `sig` in a fresh generation and settles it with `passed`. */
    async function trial(sig: number, fixKind: "fixer" | "learned_rule" | "prompt_instruction", fixRef: string, passed: boolean, issue: number, fixLabel?: string): Promise<void> {
      const generation = await makeGeneration(db, issue);
      await recordFixAttempt(db, TEST_ORIGIN, { signatureId: sig, fixKind, fixRef, generationId: generation, attemptNumber: 2, ...(fixLabel ? { fixLabel } : {}) }, T0);
      await resolveFixAttempts(db, TEST_SCOPE, { generationId: generation, passed }, T0 + HOUR);
    }

    it("picks per signature the fix with the highest posterior mean, not the highest raw rate", async () => {
      const [sig] = await recordFailures(db, TEST_ORIGIN, [kwargsFailure("AOperator")], { componentType: "operator", category: "http" }, T0);
      // 1/1 looks perfect but has posterior mean 2/3; 8/9 has 9/11 ≈ 0.82.
      await trial(sig!, "fixer", "fix/lucky", true, 1);
      let issue = 10;
      for (let i = 0; i < 8; i++) (await trial(sig!, "learned_rule", "7", true, issue++));
      await trial(sig!, "learned_rule", "7", false, issue++);
      await trial(sig!, "fixer", "fix/bad", false, issue);

      const [best] = await bestFixes(db, TEST_SCOPE, { signatureIds: [sig!], limit: 5 });
      expect(best).toMatchObject({ fixKind: "learned_rule", fixRef: "7", successes: 8, failures: 1 });
      expect(best?.posteriorMean).toBeCloseTo(9 / 11, 10);
      expect(best?.sentence).toBe(
        "For `TypeError: <CLS>.__init__() got an unexpected keyword argument 'task_id'` (__init__ does not accept **kwargs, so BaseOperator's argument 'task_id' is rejected), learned rule #7 was followed by a passing CI run 8 of 9 times (posterior mean 0.82).",
      );
    });

    it("filters by category and component type through occurrences, best signature first", async () => {
      const [http] = await recordFailures(db, TEST_ORIGIN, [kwargsFailure("AOperator")], { componentType: "operator", category: "http" }, T0);
      const [db2] = await recordFailures(db, TEST_ORIGIN, logFailures("actions-syntax-error.log"), { componentType: "sensor", category: "database" }, T0);
      const text = "Declare __init__(self, *, ..., **kwargs).";
      await trial(http!, "prompt_instruction", instructionRef(text), true, 1, text);
      await trial(db2!, "fixer", "fix/param-order", true, 2);
      await trial(db2!, "fixer", "fix/param-order", true, 3);

      expect((await bestFixes(db, TEST_SCOPE, { category: "http", limit: 5 })).map((b) => b.signatureId)).toEqual([http]);
      expect((await bestFixes(db, TEST_SCOPE, { componentType: "sensor", limit: 5 })).map((b) => b.fixRef)).toEqual(["fix/param-order"]);
      const all = await bestFixes(db, TEST_SCOPE, { limit: 5 });
      expect(all.map((b) => b.signatureId)).toEqual([db2, http]);
      expect(all[1]?.sentence).toContain(`the prompt instruction "${text}"`);
      expect(await bestFixes(db, TEST_SCOPE, { limit: 1 })).toHaveLength(1);
    });

    it("uses Beta(1 + s, 1 + f) means", async () => {
      expect(posteriorMean(0, 0)).toBe(0.5);
      expect(posteriorMean(3, 1)).toBeCloseTo(4 / 6, 12);
      expect(instructionRef(" a ")).toBe(instructionRef("a"));
      expect(instructionRef("a")).not.toBe(instructionRef("b"));
    });
  });
});
