import { describe, expect, it } from "vitest";
import { applyEdits, repairPython, validatePython } from "../../src/python/index.js";
import type { RewriteRule } from "../../src/python/index.js";
import { brokenSamples, compileVerdicts, python3 } from "./helpers.js";

describe("every fixable broken sample", () => {
  const samples = brokenSamples();

  it.each(samples.map((s) => [s.name, s] as const))("%s: the fix makes its rule pass or is not offered", async (_name, sample) => {
    const before = await validatePython(sample.source, sample.options);
    const fixable = before.findings.filter((f) => f.rule === sample.rule && f.fixable);
    const result = await repairPython(sample.source, sample.options);
    if (fixable.length === 0) {
      expect(result.report.findings.filter((f) => f.rule === sample.rule).length).toBeGreaterThan(0);
      return;
    }
    expect(result.applied.length).toBeGreaterThan(0);
    expect(result.report.findings.filter((f) => f.rule === sample.rule && f.fixable)).toEqual([]);
    expect(result.report.findings.filter((f) => f.category === "syntax")).toEqual([]);
    expect(result.report.errors).toBeLessThan(before.errors + (before.errors === 0 ? 1 : 0));
  });

  it.skipIf(!python3())("every repaired sample that compiled before still compiles, and fixed syntax compiles", async () => {
    const repaired: string[] = [];
    const originals: string[] = [];
    for (const sample of samples) {
      const result = await repairPython(sample.source, sample.options);
      if (result.applied.length === 0) continue;
      repaired.push(result.source);
      originals.push(sample.source);
    }
    expect(repaired.length).toBeGreaterThan(8);
    expect(compileVerdicts(repaired)).toEqual(repaired.map(() => true));
  });
});

describe("fixer output", () => {
  it("reorders parameters keeping annotations and comments, and adds **kwargs with the super call", async () => {
    const source = [
      "from airflow.models.baseoperator import BaseOperator",
      "",
      "",
      "class CopyOperator(BaseOperator):",
      "    def __init__(",
      "        self,",
      "        overwrite: bool = False,  # replace existing files",
      "        # where to copy from",
      "        source: str,",
      "        target: str,",
      "    ) -> None:",
      '        """Copy source to target."""',
      "        self.source = source",
      "        self.target = target",
      "        self.overwrite = overwrite",
      "",
      "    def execute(self, context):",
      "        return self.target",
      "",
    ].join("\n");
    const result = await repairPython(source, { componentType: "operator", airflowVersion: "2" });
    expect(result.source).toContain(
      [
        "    def __init__(",
        "        self,",
        "        # where to copy from",
        "        source: str,",
        "        target: str,",
        "        overwrite: bool = False,  # replace existing files",
        "        **kwargs,",
        "    ) -> None:",
        '        """Copy source to target."""',
        "        super().__init__(**kwargs)",
        "        self.source = source",
      ].join("\n"),
    );
    expect(result.applied.map((a) => a.fixes)).toEqual(["param-order", "init-kwargs", "super-init"]);
    expect(result.report.errors).toBe(0);
  });

  it("turns a one-string template_fields into a tuple, splitting a comma list", async () => {
    const source = 'class Q:\n    template_fields = ("sql")\n\n\nclass R:\n    template_fields = "sql, params"\n';
    const result = await repairPython(source, { kind: "dag" });
    expect(result.source).toBe('class Q:\n    template_fields = ("sql",)\n\n\nclass R:\n    template_fields = ("sql", "params")\n');
  });

  it("rewrites moved imports per target version, keeping renamed classes under their old names", async () => {
    const source = "from airflow.operators.bash_operator import BashOperator\nfrom airflow.operators.dummy_operator import DummyOperator\n\nTASKS = (BashOperator, DummyOperator)\n";
    const v3 = await repairPython(source, { airflowVersion: "3" });
    expect(v3.source).toBe(
      "from airflow.providers.standard.operators.bash import BashOperator\nfrom airflow.providers.standard.operators.empty import EmptyOperator as DummyOperator\n\nTASKS = (BashOperator, DummyOperator)\n",
    );
    const v2 = await repairPython(source, { airflowVersion: "2" });
    expect(v2.source).toContain("from airflow.operators.bash import BashOperator\n");
    expect(v2.source).toContain("from airflow.operators.empty import EmptyOperator as DummyOperator\n");
    expect(v2.report.findings).toEqual([]);
  });

  it("wraps the 2.x base import in try/except ImportError for both versions, and uses airflow.sdk for 3", async () => {
    const source = "from airflow.sensors.base import BaseSensorOperator, PokeReturnValue\n\n\nclass S(BaseSensorOperator):\n    def poke(self, context):\n        return PokeReturnValue(True)\n";
    const both = await repairPython(source, { componentType: "sensor", airflowVersion: "both" });
    expect(both.source.startsWith(
      "try:\n    from airflow.sdk import BaseSensorOperator, PokeReturnValue\nexcept ImportError:\n    from airflow.sensors.base import BaseSensorOperator, PokeReturnValue\n",
    )).toBe(true);
    expect(both.report.findings).toEqual([]);
    const three = await repairPython(source, { componentType: "sensor", airflowVersion: "3" });
    expect(three.source.startsWith("from airflow.sdk import BaseSensorOperator, PokeReturnValue\n")).toBe(true);
  });

  it("gives an airflow.sdk import its 2.x fallback, or the 2.x paths when only Airflow 2 is targeted", async () => {
    const source = "from airflow.sdk import BaseHook, BaseOperator, Context\n\n\nclass Op(BaseOperator):\n    def execute(self, context: Context):\n        return BaseHook\n";
    const both = await repairPython(source, { componentType: "operator", airflowVersion: "both" });
    expect(both.source.startsWith(
      [
        "try:",
        "    from airflow.sdk import BaseHook, BaseOperator, Context",
        "except ImportError:",
        "    from airflow.hooks.base import BaseHook",
        "    from airflow.models.baseoperator import BaseOperator",
        "    from airflow.utils.context import Context",
        "",
      ].join("\n"),
    )).toBe(true);
    expect(both.report.findings).toEqual([]);
    const two = await repairPython(source, { componentType: "operator", airflowVersion: "2" });
    expect(two.source.startsWith("from airflow.hooks.base import BaseHook\nfrom airflow.models.baseoperator import BaseOperator\nfrom airflow.utils.context import Context\n")).toBe(true);
    expect(two.report.findings).toEqual([]);
  });

  it("adds missing stdlib imports after the module's import block", async () => {
    const source = '"""Doc."""\nfrom __future__ import annotations\n\nimport os\n\n\ndef f(p):\n    time.sleep(0)\n    return json.dumps(os.listdir(p)), Path(p)\n';
    const result = await repairPython(source, {});
    expect(result.source).toBe(
      '"""Doc."""\nfrom __future__ import annotations\n\nimport os\nfrom pathlib import Path\nimport json\nimport time\n\n\ndef f(p):\n    time.sleep(0)\n    return json.dumps(os.listdir(p)), Path(p)\n',
    );
    expect(result.report.findings).toEqual([]);
  });

  it("drops @apply_defaults and its import, keeping other names of the same import", async () => {
    const source = [
      "from airflow.models import BaseOperator",
      "from airflow.utils.decorators import apply_defaults, task",
      "",
      "",
      "class Old(BaseOperator):",
      "    @apply_defaults",
      "    def __init__(self, *, x, **kwargs):",
      "        super().__init__(**kwargs)",
      "        self.x = x",
      "",
      "    def execute(self, context):",
      "        return task",
      "",
    ].join("\n");
    const result = await repairPython(source, { componentType: "operator", airflowVersion: "2" });
    expect(result.source).toContain("from airflow.utils.decorators import task\n");
    expect(result.source).toContain("\n\nclass Old(BaseOperator):\n    def __init__(self, *, x, **kwargs):\n");
    expect(result.report.findings.filter((f) => f.rule === "apply-defaults")).toEqual([]);
  });

  it("removes provide_context wherever it sits in the argument list", async () => {
    const source = "a = Op(task_id='a', provide_context=True, x=1)\nb = Op(task_id='b', provide_context=True)\nc = Op(provide_context=True)\nd = Op(\n    task_id='d',\n    provide_context=True,\n)\n";
    const result = await repairPython(source, { kind: "dag", airflowVersion: "3" });
    expect(result.source).toBe("a = Op(task_id='a', x=1)\nb = Op(task_id='b')\nc = Op()\nd = Op(\n    task_id='d'\n)\n");
  });
});

describe("the fix engine", () => {
  it("keeps a CRLF file in CRLF", async () => {
    const source = "def f(a=1, b):\r\n    return json.dumps([a, b])\r\n";
    const result = await repairPython(source, {});
    expect(result.source).toBe("import json\r\n\r\n\r\ndef f(b, a=1):\r\n    return json.dumps([a, b])\r\n");
    expect(result.report.findings).toEqual([]);
  });

  it("applies learned rewrite rules through the same interface and reports their source", async () => {
    // A learned rule as the learning side would build it: before `<obj>.get_records(<sql>)`, after `<obj>.get_pandas_df(<sql>)`.
    const learned: RewriteRule = {
      id: "learned/records-to-df",
      description: "use get_pandas_df instead of get_records",
      source: "learned",
      find: (a) => [...a.source.matchAll(/(\w+)\.get_records\(/g)].map((m) => ({
        rule: "learned/records-to-df",
        start: m.index,
        end: m.index + m[0].length,
        description: "get_records → get_pandas_df",
        captures: { obj: m[1] ?? "" },
      })),
      rewrite: (m) => [{ start: m.start, end: m.end, text: `${m.captures?.obj}.get_pandas_df(` }],
    };
    const result = await repairPython("def f(hook):\n    return hook.get_records('select 1')\n", {}, [learned]);
    expect(result.source).toBe("def f(hook):\n    return hook.get_pandas_df('select 1')\n");
    expect(result.applied).toEqual([{ rule: "learned/records-to-df", source: "learned", fixes: undefined, line: 2, description: "get_records → get_pandas_df" }]);
  });

  it("refuses a rewrite that breaks the syntax, and stops at a fixed point", async () => {
    let calls = 0;
    const breaking: RewriteRule = {
      id: "learned/breaks",
      description: "drops a colon",
      source: "learned",
      find: (a) => {
        calls++;
        const at = a.source.indexOf("):");
        return at === -1 ? [] : [{ rule: "learned/breaks", start: at, end: at + 2, description: "drop colon" }];
      },
      rewrite: (m) => [{ start: m.start, end: m.end, text: ")" }],
    };
    const source = "def f(x):\n    return x\n";
    const result = await repairPython(source, {}, [breaking]);
    expect(result.source).toBe(source);
    expect(result.applied).toEqual([]);
    expect(calls).toBeLessThan(10);
  });

  it("terminates when two learned rules undo each other", async () => {
    const flip = (from: string, to: string): RewriteRule => ({
      id: `learned/${from}-${to}`,
      description: `${from} → ${to}`,
      source: "learned",
      find: (a) => {
        const at = a.source.indexOf(from);
        return at === -1 ? [] : [{ rule: `learned/${from}-${to}`, start: at, end: at + from.length, description: `${from} → ${to}` }];
      },
      rewrite: (m) => [{ start: m.start, end: m.end, text: to }],
    });
    const result = await repairPython("x = alpha\n", {}, [flip("alpha", "beta"), flip("beta", "alpha")]);
    expect(["x = alpha\n", "x = beta\n"]).toContain(result.source);
    expect(result.applied.length).toBeLessThanOrEqual(50);
  });

  it("applyEdits rejects overlapping edits", () => {
    expect(applyEdits("abcdef", [{ start: 1, end: 2, text: "X" }, { start: 4, end: 6, text: "" }])).toBe("aXcd");
    expect(() => applyEdits("abcdef", [{ start: 1, end: 4, text: "" }, { start: 2, end: 3, text: "" }])).toThrow(/overlapping/);
  });
});

describe("context parameter fixer", () => {
  it("renames execute(self, ctx) and its uses, leaving attributes and keyword names alone", async () => {
    const source = [
      "from airflow.models import BaseOperator",
      "",
      "",
      "class Echo(BaseOperator):",
      "    def execute(self, ctx):",
      "        self.ctx = ctx['ds']",
      "        return [k for k in ctx], self.render(ctx=ctx), (lambda: ctx)()",
      "",
    ].join("\n");
    const result = await repairPython(source, { componentType: "operator", airflowVersion: "2" });
    expect(result.source).toContain("    def execute(self, context):\n        self.ctx = context['ds']\n        return [k for k in context], self.render(ctx=context), (lambda: context)()\n");
    expect(result.report.findings).toEqual([]);
  });

  it("adds context where it is missing, and before event in a resume method", async () => {
    const source = [
      "from airflow.sensors.base import BaseSensorOperator",
      "",
      "",
      "class Waits(BaseSensorOperator):",
      "    def poke(self):",
      "        return True",
      "",
      "    def execute_complete(self, event=None):",
      "        return event",
      "",
    ].join("\n");
    const result = await repairPython(source, { componentType: "sensor", airflowVersion: "2" });
    expect(result.source).toContain("    def poke(self, context):\n");
    expect(result.source).toContain("    def execute_complete(self, context, event=None):\n");
  });

  it("leaves a body that rebinds the parameter to a person", async () => {
    const source = "from airflow.models import BaseOperator\n\n\nclass E(BaseOperator):\n    def execute(self, ctx):\n        ctx = dict(ctx)\n        return ctx\n";
    const result = await repairPython(source, { componentType: "operator", airflowVersion: "2" });
    expect(result.source).toBe(source);
    expect(result.report.findings.map((f) => f.rule)).toEqual(["execute-signature"]);
  });
});
