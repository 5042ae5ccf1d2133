import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { recordFailures } from "../../../src/learn/errors/index.js";
import type { LearnedRuleCandidate } from "../../../src/learn/fixes/index.js";
import {
  activeRules,
  analyzeMerge,
  antiUnify,
  discardRules,
  getRule,
  learnedRuleId,
  learnedRulesReady,
  learnFromMerge,
  listRules,
  promoteRules,
  recordRuleOutcome,
  renderLessonsComment,
  ruleConfidence,
  saveRuleCandidates,
  toRewriteRule,
} from "../../../src/learn/fixes/index.js";
import { analyze, applyEdits } from "../../../src/python/index.js";
import type { Kysely } from "kysely";
import type { Tables } from "../../../src/db/schema.js";
import { describeBackends, openBackend, type TestBackend } from "../../support/backends.js";
import { mergeInput, ORDER_GENERATED, ORDER_MERGED, WEATHER_GENERATED, WEATHER_MERGED } from "./samples.js";
import { TEST_ORIGIN, TEST_SCOPE } from "../../support/learning-scope.js";

beforeAll(async () => {
  await learnedRulesReady();
});

const T0 = Date.UTC(2026, 10, 21, 9, 0, 0);

/** An operator whose execute calls `requests.<method>` without a timeout, as generated and as fixed. */
function requestsOperator(className: string, method: string, urlName: string): { generated: string; merged: string } {
  const generated = `import requests
from airflow.models.baseoperator import BaseOperator


class ${className}(BaseOperator):
    def __init__(self, *, ${urlName}, **kwargs):
        super().__init__(**kwargs)
        self.${urlName} = ${urlName}

    def execute(self, context):
        response = requests.${method}(self.${urlName})
        response.raise_for_status()
        return response.json()
`;
  return { generated, merged: generated.replace(`requests.${method}(self.${urlName})`, `requests.${method}(self.${urlName}, timeout=30)`) };
}

async function learnRequests(className: string, method: string, urlName: string, prNumber: number): Promise<LearnedRuleCandidate[]> {
  const { generated, merged } = requestsOperator(className, method, urlName);
  return learnFromMerge(mergeInput(generated, merged, { prNumber, mergeSha: `${prNumber}`.padStart(7, "a") }));
}

describeBackends("rewrite-rule store", (kind) => {
  let backend: TestBackend;
  let db: Kysely<Tables>;
  beforeEach(async () => {
    backend = await openBackend(kind);
    db = backend.kysely;
  });
  afterEach(() => backend.close());

  describe("saveRuleCandidates", () => {
    it("stores a new rule with its source and linked signatures, and counts a re-learned one as another source", async () => {
      const [sig] = await recordFailures(db, TEST_ORIGIN, [{ check: "ruff", kind: "lint", ruleCode: "S113", message: "Probable use of requests call without timeout", excerpt: "", fingerprint: "x" }], {}, T0);
      const { generated, merged } = requestsOperator("FetchOperator", "get", "url");
      const candidates = await learnFromMerge(mergeInput(generated, merged, { signatureIds: [sig!, 999] }));
      expect(candidates.map((c) => [c.before, c.after])).toEqual([["$1 = requests.get(self.$2)", "$1 = requests.get(self.$2, timeout=30)"]]);

      const [saved] = await saveRuleCandidates(db, TEST_ORIGIN, candidates, T0);
      expect(saved?.outcome).toBe("created");
      expect(saved?.rule).toMatchObject({
        before: "$1 = requests.get(self.$2)",
        after: "$1 = requests.get(self.$2, timeout=30)",
        context: "def execute",
        holes: 2,
        status: "candidate",
        sourcePr: 12,
        repo: "acme/pipelines",
        commitSha: "9f2c4e1ab7d3",
        successes: 0,
        failures: 0,
        signatureIds: [sig],
        sources: [{ repo: "acme/pipelines", prNumber: 12, commitSha: "9f2c4e1ab7d3", path: "plugins/operators/component.py" }],
      });

      // The same fix in another repository's operator with other names: already known.
      const again = await learnRequests("PullOperator", "get", "endpoint", 40);
      const [known] = await saveRuleCandidates(db, TEST_ORIGIN, again, T0 + 1);
      expect(known?.outcome).toBe("known");
      expect(known?.rule.id).toBe(saved?.rule.id);
      expect(known?.rule.sources.map((s) => s.prNumber)).toEqual([12, 40]);
      expect(await listRules(db, TEST_SCOPE)).toHaveLength(1);
    });

    it("anti-unifies two similar rules into one general rule that tracks both sources", async () => {
      const [get] = await saveRuleCandidates(db, TEST_ORIGIN, await learnRequests("FetchOperator", "get", "url", 1), T0);
      const [post] = await saveRuleCandidates(db, TEST_ORIGIN, await learnRequests("SubmitOperator", "post", "endpoint", 2), T0 + 1);
      expect(post?.outcome).toBe("merged");
      expect(post?.mergedWith).toBe(get?.rule.id);
      expect(post?.rule.before).toBe("$1 = requests.$2(self.$3)");
      expect(post?.rule.after).toBe("$1 = requests.$2(self.$3, timeout=30)");
      expect(post?.rule.sources.map((s) => s.prNumber)).toEqual([1, 2]);
      expect(await getRule(db, TEST_SCOPE, get!.rule.id)).toMatchObject({ status: "archived", mergedInto: post?.rule.id });

      // The general rule repairs a third method it has never seen.
      const { generated } = requestsOperator("ReplaceOperator", "put", "target");
      const rule = (await activeRules(db, TEST_SCOPE, { autoApplyThreshold: 0 })).autoApply[0]!;
      const analysis = await analyze(generated);
      const fixed = applyEdits(generated, rule.find(analysis).flatMap((m) => rule.rewrite(m, analysis)));
      expect(fixed).toContain("response = requests.put(self.target, timeout=30)");
      // And a third learned instance is simply another source of it.
      const [third] = await saveRuleCandidates(db, TEST_ORIGIN, await learnRequests("DeleteOperator", "delete", "resource", 3), T0 + 2);
      expect(third?.outcome).toBe("known");
      expect(third?.rule.id).toBe(post?.rule.id);
    });

    it("refuses to merge rules that differ in shape, in API names, or that would keep too little context", async () => {
      const [order] = await saveRuleCandidates(db, TEST_ORIGIN, await learnFromMerge(mergeInput(ORDER_GENERATED, ORDER_MERGED)), T0);
      const [requests] = await saveRuleCandidates(db, TEST_ORIGIN, await learnRequests("FetchOperator", "get", "url", 2), T0);
      expect(order?.outcome).toBe("created");
      expect(requests?.outcome).toBe("created");
      expect(await listRules(db, TEST_SCOPE, { status: "candidate" })).toHaveLength(2);

      expect(antiUnify(order!.rule, requests!.rule)).toEqual({ ok: false, reason: "they apply in different places (class * vs def execute)" });
      expect(
        antiUnify({ before: "$1 = client.fetch($2)", after: "$1 = client.fetch($2, 5)", context: "" }, { before: "$1 = session.pull($2)", after: "$1 = session.pull($2, 5)", context: "" }),
      ).toEqual({ ok: false, reason: "the merged rule would keep only 4 fixed tokens (0 names or literals); at least 5 (1) are needed" });
      // Generalizing the module as well would leave only `self` and punctuation: any call on any object.
      expect(
        antiUnify(
          { before: "$1 = requests.$2(self.$3)", after: "$1 = requests.$2(self.$3, timeout=30)", context: "def execute" },
          { before: "$1 = httpx.$2(self.$3)", after: "$1 = httpx.$2(self.$3, timeout=30)", context: "def execute" },
        ),
      ).toEqual({ ok: false, reason: "the merged rule would keep only 6 fixed tokens (0 names or literals); at least 5 (1) are needed" });
      expect(
        antiUnify({ before: "def execute(self, ctx):", after: "def execute(self, context):", context: "class *" }, { before: "def poke(self, ctx):", after: "def poke(self, context):", context: "class *" }),
      ).toEqual({ ok: false, reason: "generalizing would turn the API name `execute` into a hole" });
      expect(
        antiUnify({ before: "$1 = requests.get($2)", after: "$1 = requests.get($2, timeout=30)", context: "" }, { before: "$1 = requests.get($2, verify=False)", after: "$1 = requests.get($2)", context: "" }),
      ).toMatchObject({ ok: false, reason: "their before patterns have different lengths (8 and 12 tokens)" });
      expect(
        antiUnify({ before: "$1 = requests.get($2)", after: "$1 = requests.get($2, timeout=30)", context: "" }, { before: "$1 = requests.get($2)", after: "$1 = requests.get($2, timeout=60)", context: "" }),
      ).toEqual({ ok: false, reason: "they differ at `30` / `60`, which is not a name" });
    });

    it("names a malformed candidate", async () => {
      await expect(saveRuleCandidates(db, TEST_ORIGIN, [{ before: "" } as LearnedRuleCandidate], T0)).rejects.toThrow("candidates[0].after must be a string");
      const [good] = await learnRequests("FetchOperator", "get", "url", 1);
      await expect(saveRuleCandidates(db, TEST_ORIGIN, [good!, { ...good!, after: "$1 = requests.get(self.$2, timeout=$3)" }], T0)).rejects.toThrow(
        "saveRuleCandidates: candidates[1].after uses $3, which its before pattern does not bind",
      );
      expect(await listRules(db, TEST_SCOPE)).toEqual([]);
      expect(() => toRewriteRule({ id: 5, ...good!, after: "$1 = $9" })).toThrow("rewrite rule 5: its after pattern uses $9, which its before pattern does not bind");
      expect(learnedRuleId("learned/5")).toBe(5);
      expect(learnedRuleId("fix/param-order")).toBeUndefined();
    });
  });

  describe("activeRules", () => {
    async function savedRule(): Promise<number> {
      const [saved] = await saveRuleCandidates(db, TEST_ORIGIN, await learnRequests("FetchOperator", "get", "url", 7), T0);
      return saved!.rule.id;
    }

    it("offers a new rule as guidance, and applies it once its record passes the threshold", async () => {
      const id = await savedRule();
      let active = await activeRules(db, TEST_SCOPE);
      expect(active.autoApply).toEqual([]);
      expect(active.guidance).toEqual([
        {
          ruleId: id,
          description: "In `def execute`, `$1 = requests.get(self.$2)` → `$1 = requests.get(self.$2, timeout=30)`: add `timeout=30`.",
          before: "$1 = requests.get(self.$2)",
          after: "$1 = requests.get(self.$2, timeout=30)",
          confidence: expect.closeTo(0.05, 6),
          source: "acme/pipelines#7 (aaaaaa7)",
          context: "def execute",
        },
      ]);

      for (let i = 0; i < 7; i++) (await recordRuleOutcome(db, TEST_SCOPE, id, true, T0 + i));
      expect(ruleConfidence(7, 0)).toBeLessThan(0.7);
      expect((await activeRules(db, TEST_SCOPE)).autoApply).toEqual([]);
      await recordRuleOutcome(db, TEST_SCOPE, id, true, T0 + 8);
      expect(ruleConfidence(8, 0)).toBeGreaterThanOrEqual(0.7);
      active = await activeRules(db, TEST_SCOPE);
      expect(active.autoApply.map((r) => [r.id, r.source])).toEqual([[`learned/${id}`, "learned"]]);
      expect(active.guidance).toEqual([]);

      // A failure pulls it back under the default threshold, but not under a lower one.
      const rule = await recordRuleOutcome(db, TEST_SCOPE, id, false, T0 + 10);
      expect(rule).toMatchObject({ successes: 8, failures: 1, applications: 9 });
      expect((await activeRules(db, TEST_SCOPE)).autoApply).toEqual([]);
      expect((await activeRules(db, TEST_SCOPE, { autoApplyThreshold: 0.5 })).autoApply).toHaveLength(1);
    });

    it("applies a rule a maintainer trusted at once, and never offers a discarded one", async () => {
      const id = await savedRule();
      expect((await promoteRules(db, TEST_SCOPE, [id], T0))[0]?.status).toBe("trusted");
      expect((await activeRules(db, TEST_SCOPE)).autoApply.map((r) => r.id)).toEqual([`learned/${id}`]);

      expect((await discardRules(db, TEST_SCOPE, [id], T0))[0]?.status).toBe("discarded");
      expect(await activeRules(db, TEST_SCOPE)).toEqual({ autoApply: [], guidance: [] });
      // Learning it again does not bring it back.
      const [again] = await saveRuleCandidates(db, TEST_ORIGIN, await learnRequests("PullOperator", "get", "endpoint", 8), T0 + 1);
      expect(again?.outcome).toBe("known");
      expect(again?.rule.status).toBe("discarded");
      expect(await activeRules(db, TEST_SCOPE)).toEqual({ autoApply: [], guidance: [] });
    });

    it("names bad ids and thresholds", async () => {
      const id = await savedRule();
      await expect(promoteRules(db, TEST_SCOPE, [id, 404], T0)).rejects.toThrow("promoteRules: rewrite rule 404 does not exist");
      expect((await getRule(db, TEST_SCOPE, id))?.status).toBe("candidate");
      await expect(recordRuleOutcome(db, TEST_SCOPE, 0, true, T0)).rejects.toThrow("recordRuleOutcome: rule id must be a positive integer, got 0");
      await expect(activeRules(db, TEST_SCOPE, { autoApplyThreshold: 1.5 })).rejects.toThrow("activeRules: autoApplyThreshold must be a number from 0 to 1, got 1.5");
    });
  });

  describe("ruleConfidence", () => {
    it("is the 5 % quantile of Beta(1 + s, 1 + f)", async () => {
      // Beta(1, 1) is uniform; Beta(n + 1, 1) has CDF x^(n+1); Beta(1, 2) has CDF 1 − (1 − x)².
      expect(ruleConfidence(0, 0)).toBeCloseTo(0.05, 9);
      expect(ruleConfidence(5, 0)).toBeCloseTo(0.05 ** (1 / 6), 9);
      expect(ruleConfidence(0, 1)).toBeCloseTo(1 - Math.sqrt(0.95), 9);
      expect(ruleConfidence(30, 2)).toBeGreaterThan(ruleConfidence(10, 0));
      expect(() => ruleConfidence(-1, 0)).toThrow("rule outcome counts must be non-negative integers");
    });
  });

  describe("renderLessonsComment", () => {
    it("shows each change as a diff with the lesson drawn and asks for a verdict", async () => {
      const lessons = await analyzeMerge(mergeInput(WEATHER_GENERATED, WEATHER_MERGED, { prNumber: 31, mergeSha: "c0ffee1234" }));
      const saved = await saveRuleCandidates(db, TEST_ORIGIN, lessons.candidates, T0);
      const comment = renderLessonsComment(saved, lessons.files);
      const ids = saved.map((s) => s.rule.id);
      expect(comment).toBe(
        [
          "### What you changed vs. what I generated",
          "",
          "#### `plugins/operators/component.py`",
          "",
          "```diff",
          "@@ -6,1 +6,1 @@",
          '-    template_fields = ("city")',
          '+    template_fields = ("city",)',
          "```",
          "",
          `**Lesson (rule #${ids[0]}, candidate):** In a class body, \`template_fields = ("$1")\` → \`template_fields = ("$1",)\`: add \`,\`. — learned from acme/pipelines#31 (c0ffee1).`,
          "",
          "```diff",
          "@@ -8,2 +8,2 @@",
          "-    def __init__(self, *, endpoint, city, headers=None):",
          "-        super().__init__()",
          "+    def __init__(self, *, endpoint, city, headers=None, **kwargs):",
          "+        super().__init__(**kwargs)",
          "```",
          "",
          `**Lesson (rule #${ids[1]}, candidate):** In a class body, \`def __init__(self, *, $1, $2, $3=None): super().__init__()\` → \`def __init__(self, *, $1, $2, $3=None, **kwargs): super().__init__(**kwargs)\`: add \`**kwargs\`, \`**kwargs\`. — learned from acme/pipelines#31 (c0ffee1).`,
          "",
          "```diff",
          "@@ -15,1 +15,1 @@",
          "-        # ask the API",
          "+        # ask the forecast API",
          "```",
          "",
          "No rule drawn: only whitespace or comments changed.",
          "",
          "```diff",
          "@@ -17,1 +17,1 @@",
          '-        when = context["execution_date"]',
          '+        when = context["logical_date"]',
          "```",
          "",
          `**Lesson (rule #${ids[2]}, candidate):** In \`def execute\`, \`$1 = context["execution_date"]\` → \`$1 = context["logical_date"]\`: replace \`execution_date\` with \`logical_date\`. — learned from acme/pipelines#31 (c0ffee1).`,
          "",
          "---",
          `React with 👍 to trust these rules (#${ids.join(", #")}): opforge will then apply them automatically. React with 👎 to discard them. Until then they are offered to the model as guidance and applied once they have a good enough record.`,
          `<!-- opforge:lessons rules=${ids.join(",")} -->`,
        ].join("\n"),
      );
    });

    it("says when nothing changed, and when a file was deleted", async () => {
      expect(renderLessonsComment([], [])).toBe("### What you changed vs. what I generated\n\nYou merged the generated files as they were: nothing to learn.");
      expect(renderLessonsComment([], [{ path: "dags/example.py", status: "deleted", hunks: [] }])).toContain(
        "#### `dags/example.py`\n\nYou deleted this file; nothing is learned from a deletion.",
      );
    });
  });
});
