import { describe, expect, it } from "vitest";
import { learnTreeRules, toTreeRewriteRule } from "../../../src/learn/fixes/tree/index.js";
import type { LearnedTreeRule } from "../../../src/learn/fixes/tree/index.js";
import { repairPython } from "../../../src/python/index.js";
import { loadCorpus, measure, treeRules } from "../../../bench/learning.bench.js";

const component = (body: string, imports = "import requests\n"): string =>
  `${imports}from airflow.models import BaseOperator\n\n\nclass Op(BaseOperator):\n    def execute(self, context):\n${body
    .split("\n")
    .map((l) => (l === "" ? l : `        ${l}`))
    .join("\n")}\n`;

async function apply(rules: LearnedTreeRule[], source: string): Promise<{ source: string; applied: string[] }> {
  const engine = rules.map((r, i) => toTreeRewriteRule({ id: i + 1, spec: r.spec, description: r.description }));
  const result = await repairPython(source, { kind: "component" }, engine, { builtins: false });
  return { source: result.source, applied: result.applied.map((a) => a.rule) };
}

const TEACH_BEFORE = component("response = requests.get(self.endpoint)\nreturn response.json()");
const TEACH_AFTER = component("response = requests.get(self.endpoint, timeout=30)\nreturn response.json()");

describe("tree rules learned from one fix", () => {
  it("turn a request without timeout into a call pattern with a variadic argument list", async () => {
    const lesson = await learnTreeRules(TEACH_BEFORE, TEACH_AFTER);
    expect(lesson.skipped).toEqual([]);
    expect(lesson.rules).toHaveLength(1);
    const [rule] = lesson.rules;
    expect(rule?.before).toBe("requests.get(...)");
    expect(rule?.after).toBe("requests.get(..., timeout=30)");
    expect(rule?.context).toBe("def execute");
    expect(rule?.sites).toBe(1);
  });

  it("repair the same mistake with an extra argument, nested in an expression, in a loop and across lines", async () => {
    const { rules } = await learnTreeRules(TEACH_BEFORE, TEACH_AFTER);
    const source = component(
      [
        'resp = requests.get(self.endpoint, headers={"Accept": "application/json"})',
        'state = requests.get(self.status_url).json()["state"]',
        "for url in self.urls:",
        '    data = requests.get(url, params={"size": 100}).json()',
        "reply = requests.get(",
        "    self.target,",
        "    verify=False,",
        ")",
        "return resp, state, data, reply",
      ].join("\n"),
    );
    const out = await apply(rules, source);
    expect(out.source).toBe(
      component(
        [
          'resp = requests.get(self.endpoint, headers={"Accept": "application/json"}, timeout=30)',
          'state = requests.get(self.status_url, timeout=30).json()["state"]',
          "for url in self.urls:",
          '    data = requests.get(url, params={"size": 100}, timeout=30).json()',
          "reply = requests.get(",
          "    self.target,",
          "    verify=False, timeout=30,",
          ")",
          "return resp, state, data, reply",
        ].join("\n"),
      ),
    );
    expect(out.applied).toEqual(["learned/1", "learned/1", "learned/1", "learned/1"]);
  });

  it("leave calls alone where the fix holds already or the API differs", async () => {
    const { rules } = await learnTreeRules(TEACH_BEFORE, TEACH_AFTER);
    const source = component(
      ['a = requests.get(self.url, timeout=5)', 'b = requests.post(self.url)', "c = session.get(self.url)", "d = requests.get(self.url, **self.options)", "return a, b, c, d"].join("\n"),
    );
    expect((await apply(rules, source)).source).toBe(source);
  });

  it("keep an added import with the change that uses it, merged into an existing from-import, and count repeated edits once", async () => {
    const before = component("a = datetime.utcnow()\nb = datetime.utcnow().isoformat()\nreturn a, b", "from datetime import datetime\n");
    const after = component("a = datetime.now(timezone.utc)\nb = datetime.now(timezone.utc).isoformat()\nreturn a, b", "from datetime import datetime, timezone\n");
    const lesson = await learnTreeRules(before, after);
    expect(lesson.rules).toHaveLength(1);
    expect(lesson.rules[0]?.sites).toBe(2);
    expect(lesson.rules[0]?.spec.imports).toEqual([{ module: "datetime", name: "timezone" }]);
    const target = component("cutoff = datetime.utcnow() - timedelta(hours=1)\nreturn cutoff", "from datetime import datetime, timedelta\n");
    expect((await apply(lesson.rules, target)).source).toBe(
      component("cutoff = datetime.now(timezone.utc) - timedelta(hours=1)\nreturn cutoff", "from datetime import datetime, timedelta, timezone\n"),
    );
    const imported = component("return datetime.utcnow()", "from datetime import timezone\nfrom datetime import datetime\n");
    expect((await apply(lesson.rules, imported)).source).toBe(component("return datetime.now(timezone.utc)", "from datetime import timezone\nfrom datetime import datetime\n"));
  });

  it("bind `raise … from $e` to the enclosing `except … as $e`, and apply it nowhere else", async () => {
    const imports = "from airflow.exceptions import AirflowException\n";
    const before = component("try:\n    return self.load()\nexcept ValueError as e:\n    raise AirflowException(f\"failed: {e}\")", imports);
    const after = component("try:\n    return self.load()\nexcept ValueError as e:\n    raise AirflowException(f\"failed: {e}\") from e", imports);
    const { rules } = await learnTreeRules(before, after);
    expect(rules.map((r) => r.before)).toEqual(["raise AirflowException(...)  [inside `except … as $exc`]"]);
    const target = component(
      'for item in self.items:\n    try:\n        self.run(item)\n    except (KeyError, TypeError) as problem:\n        raise AirflowException(\n            "bad item", item,\n        )\nraise AirflowException("done")',
      imports,
    );
    expect((await apply(rules, target)).source).toBe(
      component(
        'for item in self.items:\n    try:\n        self.run(item)\n    except (KeyError, TypeError) as problem:\n        raise AirflowException(\n            "bad item", item,\n        ) from problem\nraise AirflowException("done")',
        imports,
      ),
    );
    const chained = component('try:\n    return 1\nexcept ValueError as e:\n    raise AirflowException("x") from e', imports);
    expect((await apply(rules, chained)).source).toBe(chained);
  });

  it("apply a fix that introduces self only inside methods", async () => {
    const before = component('print(f"copying {self.table}")', "");
    const after = component('self.log.info(f"copying {self.table}")', "");
    const { rules } = await learnTreeRules(before, after);
    expect(rules[0]?.spec.method).toBe(true);
    const target = 'def helper(x):\n    print(x)\n\n\nclass Hook:\n    def note(self, message):\n        print(message)\n        print(message, file=None)\n';
    expect((await apply(rules, target)).source).toBe('def helper(x):\n    print(x)\n\n\nclass Hook:\n    def note(self, message):\n        self.log.info(message)\n        print(message, file=None)\n');
  });

  it("learn an added statement as an insertion after the statement it follows, re-indented and added once", async () => {
    const before = component("response = requests.get(self.endpoint, timeout=30)\nreturn response.json()");
    const after = component("response = requests.get(self.endpoint, timeout=30)\nresponse.raise_for_status()\nreturn response.json()");
    const { rules } = await learnTreeRules(before, after);
    expect(rules.map((r) => [r.before, r.after])).toEqual([["$1 = requests.get(...)", "$1 = requests.get(...)\n$1.raise_for_status()"]]);
    const target = component("for u in self.urls:\n    reply = requests.get(u)\n    self.log.info(reply.text)\ndone = requests.get(self.x)\ndone.raise_for_status()\nreturn done");
    expect((await apply(rules, target)).source).toBe(
      component("for u in self.urls:\n    reply = requests.get(u)\n    reply.raise_for_status()\n    self.log.info(reply.text)\ndone = requests.get(self.x)\ndone.raise_for_status()\nreturn done"),
    );
  });

  it("say why nothing was learned", async () => {
    expect((await learnTreeRules("x = (\n", "x = 1\n")).skipped[0]?.reason).toBe("the file before the fix does not parse");
    expect((await learnTreeRules(TEACH_BEFORE, TEACH_BEFORE)).rules).toEqual([]);
    const literal = await learnTreeRules(component("x = 1\nreturn x"), component("x = 2\nreturn x"));
    expect(literal.rules).toEqual([]);
    expect(literal.skipped.map((s) => s.reason)).toEqual(["the changed code has nothing fixed to recognise it by"]);
    const partial = await learnTreeRules(component("a = requests.get(self.a)\nb = requests.get(self.b)"), component("a = requests.get(self.a, timeout=30)\nb = requests.get(self.b)"));
    expect(partial.rules).toEqual([]);
    expect(partial.skipped.map((s) => s.reason)).toEqual(["the rule would also change 1 place of the same shape the fix left as it was"]);
  });
});

describe("the learning benchmark corpus", () => {
  it("is repaired at 85% or more from one fix per convention, with no false edits and no broken output", async () => {
    const corpus = loadCorpus();
    expect(corpus.length).toBeGreaterThanOrEqual(8);
    for (const c of corpus) {
      expect(c.heldout.length, c.name).toBeGreaterThanOrEqual(5);
      expect(c.negatives.length, c.name).toBeGreaterThanOrEqual(2);
    }
    const figures = await measure(treeRules, corpus, { python: false });
    expect(figures.repaired / figures.heldout).toBeGreaterThanOrEqual(0.85);
    expect(figures.falseEdits).toBe(0);
    expect(figures.broken).toBe(0);
  }, 60_000);
});
