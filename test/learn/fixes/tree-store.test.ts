import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { activeRules, getRule, listRules, promoteRules } from "../../../src/learn/fixes/index.js";
import { learnTreeRules, recordRuleReverted, saveTreeRules } from "../../../src/learn/fixes/tree/index.js";
import type { TreeRuleOrigin } from "../../../src/learn/fixes/tree/index.js";
import { repairPython } from "../../../src/python/index.js";
import type { Kysely } from "kysely";
import type { Tables } from "../../../src/db/schema.js";
import { describeBackends, openBackend, type TestBackend } from "../../support/backends.js";
import { TEST_SCOPE } from "../../support/learning-scope.js";


const T0 = Date.UTC(2026, 10, 2);
const origin = (pr: number): TreeRuleOrigin => ({ installationId: TEST_SCOPE.installationId, repo: "acme/pipelines", prNumber: pr, commitSha: `${pr}`.padStart(7, "a"), path: "plugins/ops.py" });

const op = (body: string): string => `from airflow.models import BaseOperator\n\n\nclass Op(BaseOperator):\n    def execute(self, context):\n        ${body}\n`;

describeBackends("tree rules in the store", (kind) => {
  let backend: TestBackend;
  let db: Kysely<Tables>;
  beforeEach(async () => {
    backend = await openBackend(kind);
    db = backend.kysely;
  });
  afterEach(() => backend.close());

  describe("tree rules in the store", () => {
    it("are saved once, known when taught again, and applied from the store once trusted", async () => {
      const lesson = await learnTreeRules(op('print(f"copy {self.table}")'), op('self.log.info(f"copy {self.table}")'));
      const [first] = await saveTreeRules(db, lesson.rules, origin(1), T0);
      expect(first).toMatchObject({ outcome: "created", rule: { engine: "tree", status: "candidate", sites: 1, before: "print(_)  [inside a method]", after: "self.log.info(_)" } });
      const again = await learnTreeRules(op('print("x")'), op('self.log.info("x")'));
      const [second] = await saveTreeRules(db, again.rules, origin(2), T0 + 1);
      expect(second?.outcome).toBe("known");
      expect(second?.rule.sources.map((s) => s.prNumber)).toEqual([1, 2]);
      expect((await activeRules(db, TEST_SCOPE)).autoApply).toEqual([]);
      expect((await activeRules(db, TEST_SCOPE)).guidance.map((g) => [g.ruleId, g.context])).toEqual([[first?.rule.id, "def execute"]]);
      await promoteRules(db, TEST_SCOPE, [first?.rule.id ?? 0], T0 + 2);
      const out = await repairPython(op("print(1)"), {}, (await activeRules(db, TEST_SCOPE)).autoApply, { builtins: false });
      expect(out.source).toBe(op("self.log.info(1)"));
      expect(out.applied.map((a) => a.rule)).toEqual([`learned/${first?.rule.id}`]);
    });

    it("fold two fixes of one convention into a more general rule, keeping API names concrete", async () => {
      const one = await learnTreeRules(op("print(self.a)"), op("self.log.info(self.a)"));
      const two = await learnTreeRules(op("print(self.a, self.b)"), op("self.log.info(self.a, self.b)"));
      await saveTreeRules(db, one.rules, origin(1), T0);
      const [merged] = await saveTreeRules(db, two.rules, origin(2), T0 + 1);
      expect(merged?.outcome).toBe("merged");
      expect(merged?.rule.before).toBe("print(_, ...)  [inside a method]");
      expect((await getRule(db, TEST_SCOPE, merged?.mergedWith ?? 0))?.status).toBe("archived");
      const post = await learnTreeRules(
        "import requests\n" + op("return requests.post(self.url)"),
        "import requests\n" + op("return requests.post(self.url, timeout=30)"),
      );
      const get = await learnTreeRules("import requests\n" + op("return requests.get(self.url)"), "import requests\n" + op("return requests.get(self.url, timeout=30)"));
      await saveTreeRules(db, post.rules, origin(3), T0 + 2);
      expect((await saveTreeRules(db, get.rules, origin(4), T0 + 3))[0]?.outcome).toBe("created");
      expect((await listRules(db, TEST_SCOPE)).filter((r) => r.status !== "archived").map((r) => r.before)).toEqual(
        expect.arrayContaining(["requests.post(...)", "requests.get(...)"]),
      );
    });

    it("archive a trusted rule whose applications humans keep reverting", async () => {
      const lesson = await learnTreeRules(op("print(1)"), op("self.log.info(1)"));
      const [saved] = await saveTreeRules(db, lesson.rules, origin(1), T0, { trust: true });
      const id = saved?.rule.id ?? 0;
      expect(saved?.rule.status).toBe("trusted");
      expect(await recordRuleReverted(db, TEST_SCOPE, id, T0 + 1)).toMatchObject({ status: "trusted", reverts: 1, failures: 1 });
      expect(await recordRuleReverted(db, TEST_SCOPE, id, T0 + 2)).toMatchObject({ status: "archived", reverts: 2 });
      expect((await activeRules(db, TEST_SCOPE)).autoApply).toEqual([]);
    });
  });
});
