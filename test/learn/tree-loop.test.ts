/** The App's learning loop with tree rules: merges teach them, the lessons comment lists each once, verdicts and reverts count. */
import { kyselyOverStore } from "../../src/db/over-store.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getRule, listRules } from "../../src/learn/fixes/index.js";
import { contextFits, Learning } from "../../src/learn/loop.js";
import type { MergeSignal } from "../../src/learn/loop.js";
import { fingerprintOf, getPattern, seededRandom, upsertPatterns } from "../../src/learn/patterns/index.js";
import { repairPython } from "../../src/python/index.js";
import { parseSpecText } from "../../src/spec/index.js";
import type { ComponentSpec } from "../../src/spec/types.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { TEST_INSTALLATION, TEST_ORIGIN, TEST_SCOPE } from "../support/learning-scope.js";

function spec(type: "operator" | "sensor"): ComponentSpec {
  const parsed = parseSpecText(
    `name: ${type === "operator" ? "StampOperator" : "StampSensor"}\ndescription: Records when the run started and logs it for the audit trail.\ncategory: file\ncomponent_type: ${type}\nairflow_version: "2"\n`,
    { source: "yaml" },
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.spec;
}

const GENERATED = `from datetime import datetime

from airflow.models import BaseOperator


class StampOperator(BaseOperator):
    def execute(self, context):
        started = datetime.utcnow()
        self.log.info("started %s", datetime.utcnow().isoformat())
        return {"started": started, "ended": datetime.utcnow()}
`;
const MERGED = GENERATED.replace("from datetime import datetime\n", "from datetime import datetime, timezone\n").replaceAll("datetime.utcnow()", "datetime.now(timezone.utc)");
const PATH = "plugins/operators/stamp_operator.py";

let db: Database;
let clock: number;
let learning: Learning;
beforeEach(() => {
  db = openDatabase(":memory:");
  clock = Date.UTC(2026, 10, 2);
  learning = new Learning(kyselyOverStore(db), { now: () => clock, random: seededRandom(7) });
});
afterEach(() => db.close());

function merge(generated: string, merged: string, attempts: MergeSignal["attempts"] = [], prNumber = 5): Promise<ReturnType<Learning["onMerged"]> extends Promise<infer T> ? T : never> {
  return learning.onMerged({
    installationId: TEST_INSTALLATION,
      generationId: 1,
    spec: spec("operator"),
    repo: "acme/pipelines",
    prNumber,
    mergeSha: "6dcb09b5b57875f334f61aebed695e2e4193db5e",
    generatedFiles: [{ path: PATH, content: generated, role: "component" }],
    mergedFiles: new Map([[PATH, merged]]),
    attempts,
    signatureIds: [],
  });
}

describe("tree rules in the App's learning loop", () => {
  it("a merge teaches one rule for an edit made in three places with its import, and the lessons comment lists it once", async () => {
    const lesson = await merge(GENERATED, MERGED);
    const rules = await listRules(kyselyOverStore(db), TEST_SCOPE);
    expect(rules.map((r) => [r.engine, r.before, r.sites])).toEqual([["tree", "datetime.utcnow()", 3]]);
    expect(lesson.ruleIds).toEqual([rules[0]?.id]);
    const comment = lesson.comment ?? "";
    expect(comment).toContain("#### Rules learned");
    expect(comment.match(/\*\*Rule #\d+ /g)).toHaveLength(1);
    expect(comment).toContain(`- **Rule #${rules[0]?.id} (candidate):** \`datetime.utcnow()\` → \`datetime.now(timezone.utc)\` — changed 3 places; learned from acme/pipelines#5 (6dcb09b).`);
    expect(comment).toContain(`rules=${rules[0]?.id} -->`);
    expect(comment).not.toContain("No rule drawn");
  });

  it("👍 trusts the rule and the repair pass applies it; a rule learned in execute is offered to operators, not sensors", async () => {
    const lesson = await merge(GENERATED, MERGED);
    expect((await learning.contextFor(spec("operator"), TEST_SCOPE)).learned.some((i) => i.ref === `rule:${lesson.ruleIds[0]}`)).toBe(true);
    expect((await learning.contextFor(spec("sensor"), TEST_SCOPE)).learned.some((i) => i.ref === `rule:${lesson.ruleIds[0]}`)).toBe(false);
    await learning.onLessonsVerdict(TEST_INSTALLATION, lesson.ruleIds, "trust");
    const context = await learning.contextFor(spec("sensor"), TEST_SCOPE);
    const out = await repairPython("from datetime import datetime, timedelta\n\n\ndef cutoff():\n    return datetime.utcnow() - timedelta(days=1)\n", {}, context.rules, { builtins: false });
    expect(out.source).toBe("from datetime import datetime, timedelta, timezone\n\n\ndef cutoff():\n    return datetime.now(timezone.utc) - timedelta(days=1)\n");
    expect(contextFits({ context: "def poke" }, "operator")).toBe(false);
    expect(contextFits({ context: "def *" }, "hook")).toBe(true);
  });

  it("a trusted rule whose edits humans revert loses confidence and is archived", async () => {
    const lesson = await merge(GENERATED, MERGED);
    const id = lesson.ruleIds[0] as number;
    await learning.onLessonsVerdict(TEST_INSTALLATION, [id], "trust");
    const applied = [{ rule: `learned/${id}`, source: "learned", line: 8, description: "" }];
    const attempt = { number: 1, files: [], learnedContext: [], appliedFixes: applied };
    // The PR carried the repaired file; the reviewer put utcnow() back.
    await merge(MERGED, GENERATED, [attempt], 6);
    expect(await getRule(kyselyOverStore(db), TEST_SCOPE, id)).toMatchObject({ status: "trusted", reverts: 1 });
    await merge(MERGED, GENERATED, [attempt], 7);
    expect(await getRule(kyselyOverStore(db), TEST_SCOPE, id)).toMatchObject({ status: "archived", reverts: 2 });
  });

  it("credits the patterns a passing attempt's prompt used", async () => {
    const code = "def execute(self, context):\n    return <P1>";
    const [patternId] = await upsertPatterns(
      kyselyOverStore(db),
      TEST_ORIGIN,
      [{ kind: "execute_shape", code, fingerprint: fingerprintOf("execute_shape", code), libraries: [], description: "execute body", text: "execute", role: "component", componentType: "operator", category: "file" }],
      clock,
    );
    const attempt = { number: 1, files: [], learnedContext: [{ kind: "pattern", ref: `pattern:${patternId}` }], appliedFixes: [] };
    await learning.recordCiVerdict({ origin: TEST_ORIGIN, generationId: 1, spec: spec("operator"), attempt, passed: true, failures: [], final: true }, []);
    expect(await getPattern(kyselyOverStore(db), TEST_SCOPE, patternId as number)).toMatchObject({ successes: 1, failures: 0 });
  });
});
