/**
 * Bounded growth of the learning loop: what a merge taught and then kept failing is archived, so it stops
 * reaching prompts. The loop through the real App (a merge, a 👍, a CI failure shaping the next generation)
 * is tested in test/app/learning-loop.test.ts; here the merge is given to Learning as plain data, because ten
 * failed uses of a rule are not worth ten PRs.
 */
import { kyselyOverStore } from "../../src/db/over-store.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getRule, recordRuleOutcome } from "../../src/learn/fixes/index.js";
import { Learning } from "../../src/learn/loop.js";
import { recordPatternOutcome, seededRandom } from "../../src/learn/patterns/index.js";
import { parseSpecText } from "../../src/spec/index.js";
import type { ComponentSpec } from "../../src/spec/types.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { TEST_INSTALLATION, TEST_SCOPE } from "../support/learning-scope.js";

function spec(yaml: string): ComponentSpec {
  const parsed = parseSpecText(yaml, { source: "yaml" });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.spec;
}

const ordersSpec = spec(`name: OrdersFetchOperator
description: Fetches the day's orders from the orders REST API over HTTP and returns the JSON body.
category: http
component_type: operator
airflow_version: "3"
inputs:
  - name: url
    type: str
    required: true
    template_field: true
dependencies: ["requests>=2.31"]
`);

const invoicesSpec = spec(`name: InvoicesFetchOperator
description: Fetches open invoices from the billing REST API over HTTP and returns the JSON body.
category: http
component_type: operator
airflow_version: "3"
inputs:
  - name: endpoint
    type: str
    required: true
    template_field: true
dependencies: ["requests>=2.31"]
`);

/** The operator as it was generated for the orders spec (requests.get without a timeout). */
const ORDERS_COMPONENT = `from __future__ import annotations

from typing import Any

import requests

try:
    from airflow.sdk import BaseOperator
except ImportError:
    from airflow.models.baseoperator import BaseOperator


class OrdersFetchOperator(BaseOperator):
    """Fetches JSON over HTTP.

    :param url: URL to fetch (templated)
    """

    template_fields = ("url",)

    def __init__(self, *, url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url

    def execute(self, context: Any) -> Any:
        response = requests.get(self.url)
        response.raise_for_status()
        self.log.info("fetched %s", self.url)
        return response.json()
`;
const COMPONENT_PATH = "plugins/operators/orders_fetch_operator.py";

let dir: string;
let db: Database;
let clock: number;
let learning: Learning;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opforge-loop-"));
  db = openDatabase(join(dir, "opforge.db"));
  clock = Date.UTC(2026, 10, 2);
  learning = new Learning(kyselyOverStore(db), { now: () => clock, random: seededRandom(42) });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the learning loop", () => {
  it("archives a learned rule and a pattern that keep failing, so they stop reaching prompts", async () => {
    const lesson = await learning.onMerged({
      installationId: TEST_INSTALLATION,
      generationId: 1,
      spec: ordersSpec,
      repo: "acme/pipelines",
      prNumber: 11,
      mergeSha: "6dcb09b5b57875f334f61aebed695e2e4193db5e",
      generatedFiles: [{ path: COMPONENT_PATH, content: ORDERS_COMPONENT, role: "component" }],
      mergedFiles: new Map([[COMPONENT_PATH, ORDERS_COMPONENT.replace("requests.get(self.url)", "requests.get(self.url, timeout=30)")]]),
      attempts: [],
      signatureIds: [],
    });
    const ruleId = lesson.ruleIds[0] ?? 0;
    const patternIds = lesson.patternIds;
    expect(patternIds.length).toBeGreaterThan(0);
    expect((await learning.contextFor(invoicesSpec, TEST_SCOPE)).learned.some((i) => i.ref === `rule:${ruleId}`)).toBe(true);

    for (let i = 0; i < 12; i++) {
      await recordRuleOutcome(kyselyOverStore(db), TEST_SCOPE, ruleId, false, clock);
      await recordPatternOutcome(kyselyOverStore(db), TEST_SCOPE, patternIds, false, clock);
    }
    expect(await learning.archiveWeak()).toEqual({ patterns: patternIds.length, rules: 1 });
    expect((await getRule(kyselyOverStore(db), TEST_SCOPE, ruleId))?.status).toBe("archived");
    const after = (await learning.contextFor(invoicesSpec, TEST_SCOPE)).learned;
    expect(after.some((i) => i.ref === `rule:${ruleId}`)).toBe(false);
    expect(after.some((i) => i.kind === "pattern")).toBe(false);
    // Archived, not deleted.
    expect((db.prepare("SELECT COUNT(*) AS n FROM patterns WHERE archived = 1").get() as { n: number }).n).toBe(patternIds.length);
  });
});
