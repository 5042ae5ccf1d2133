import { beforeAll, describe, expect, it } from "vitest";
import type { LearnedRuleCandidate } from "../../../src/learn/fixes/index.js";
import { analyzeMerge, learnedRulesReady, learnFromMerge, toRewriteRule } from "../../../src/learn/fixes/index.js";
import { analyze, applyEdits, repairPython, validatePython } from "../../../src/python/index.js";
import { parsePython } from "../../../src/python/parser.js";
import { mergeInput, ORDER_GENERATED, ORDER_MERGED, ORDER_OTHER, S3_SENSOR, WEATHER_GENERATED, WEATHER_MERGED } from "./samples.js";

beforeAll(async () => {
  await learnedRulesReady();
});

/** Applies a candidate the way the repair engine does: find, rewrite, apply the edits. */
async function applyOnce(candidate: LearnedRuleCandidate, id: number, source: string): Promise<{ source: string; matches: number }> {
  const rule = toRewriteRule({ id, ...candidate });
  const analysis = await analyze(source);
  const matches = rule.find(analysis);
  const edits = matches.flatMap((m) => rule.rewrite(m, analysis));
  return { source: applyEdits(source, edits), matches: matches.length };
}

function byBefore(candidates: LearnedRuleCandidate[], prefix: string): LearnedRuleCandidate {
  const found = candidates.find((c) => c.before.startsWith(prefix));
  if (!found) throw new Error(`no candidate starting with ${prefix}: ${candidates.map((c) => c.before).join(" | ")}`);
  return found;
}

async function findingRules(source: string): Promise<string[]> {
  return (await validatePython(source, { componentType: "sensor" })).findings.map((f) => f.rule);
}

describe("learnFromMerge", () => {
  it("draws one rule per changed statement, with the component's names as holes and the PR cited", async () => {
    const candidates = await learnFromMerge(mergeInput(WEATHER_GENERATED, WEATHER_MERGED, { signatureIds: [3, 3, 5] }));
    expect(candidates.map((c) => [c.before, c.after, c.context, c.holes])).toEqual([
      ['template_fields = ("$1")', 'template_fields = ("$1",)', "class *", 1],
      [
        "def __init__(self, *, $1, $2, $3=None):\n    super().__init__()",
        "def __init__(self, *, $1, $2, $3=None, **kwargs):\n    super().__init__(**kwargs)",
        "class *",
        3,
      ],
      ['$1 = context["execution_date"]', '$1 = context["logical_date"]', "def execute", 1],
    ]);
    const [first] = candidates;
    expect(first?.source).toEqual({ repo: "acme/pipelines", prNumber: 12, commitSha: "9f2c4e1ab7d3", path: "plugins/operators/component.py", hunkIndex: 0 });
    expect(first?.signatureIds).toEqual([3, 5]);
    expect(first?.diff).toBe('@@ -6,1 +6,1 @@\n-    template_fields = ("city")\n+    template_fields = ("city",)');
    expect(first?.description).toBe('In a class body, `template_fields = ("$1")` → `template_fields = ("$1",)`: add `,`.');
  });

  it("keeps library and Airflow names literal: methods of library objects, keyword arguments the fix adds", async () => {
    const generated = WEATHER_GENERATED.replace(
      "        return hook.run(self.endpoint, headers=self.headers).json()",
      "        return hook.run(self.endpoint).json()",
    );
    const [candidate] = await learnFromMerge(mergeInput(generated, WEATHER_GENERATED));
    // `hook` is a local variable, `run` and `json` belong to the library; `headers` appears only after the fix.
    expect(candidate?.before).toBe("return $1.run(self.$2).json()");
    expect(candidate?.after).toBe("return $1.run(self.$2, headers=self.headers).json()");
    expect(candidate?.context).toBe("def execute");
  });

  it("reports each change with the reason no rule was drawn from it", async () => {
    const lessons = await analyzeMerge(mergeInput(WEATHER_GENERATED, WEATHER_MERGED));
    const [file] = lessons.files;
    expect(file?.status).toBe("modified");
    expect(file?.hunks.map((h) => h.skipped ?? "rule")).toEqual(["rule", "rule", "only whitespace or comments changed", "rule"]);

    const bigBody = Array.from({ length: 14 }, (_, i) => `        self.extra_${i} = ${i}`).join("\n");
    const big = await analyzeMerge(mergeInput(ORDER_GENERATED, ORDER_GENERATED.replace("        self.target = target\n", `        self.target = target\n${bigBody}\n`)));
    expect(big.candidates).toEqual([]);
    expect(big.files[0]?.hunks[0]?.skipped).toMatch(/^too large for a rewrite rule \(15 lines/);

    const tiny = await analyzeMerge(mergeInput(ORDER_GENERATED, ORDER_GENERATED.replace("self.where = where", "self.where = where.strip()")));
    expect(tiny.candidates).toEqual([]);
    expect(tiny.files[0]?.hunks[0]?.skipped).toBe("too little fixed code around the change to apply it elsewhere safely");

    const deleted = await analyzeMerge(mergeInput(ORDER_GENERATED, null));
    expect(deleted).toEqual({ files: [{ path: "plugins/operators/component.py", status: "deleted", hunks: [] }], candidates: [] });
    expect(await analyzeMerge(mergeInput(ORDER_GENERATED, ORDER_GENERATED))).toEqual({ files: [], candidates: [] });

    const broken = await analyzeMerge(mergeInput(ORDER_GENERATED, ORDER_MERGED.replace("def execute(self, context):", "def execute(self, context:")));
    expect(broken.candidates).toEqual([]);
    expect(broken.files[0]?.hunks.every((h) => h.skipped === "the merged file does not parse")).toBe(true);
  });

  it("names the bad input", async () => {
    await expect(learnFromMerge(mergeInput(ORDER_GENERATED, ORDER_MERGED, { mergeSha: "main" }))).rejects.toThrow(
      'learnFromMerge: mergeSha must be a commit sha, got "main"',
    );
    await expect(learnFromMerge(mergeInput(ORDER_GENERATED, ORDER_MERGED, { repo: "pipelines" }))).rejects.toThrow('repo must be "owner/name"');
    await expect(learnFromMerge(mergeInput(ORDER_GENERATED, ORDER_MERGED, { prNumber: 0 }))).rejects.toThrow("prNumber must be a positive integer");
  });
});

describe("a learned rule applied to a different component", () => {
  it("turns template_fields = (\"x\") into a tuple in a sensor with other names", async () => {
    const rule = byBefore(await learnFromMerge(mergeInput(WEATHER_GENERATED, WEATHER_MERGED)), "template_fields");
    expect(await findingRules(S3_SENSOR)).toContain("template-fields-string");
    const result = await applyOnce(rule, 1, S3_SENSOR);
    expect(result.matches).toBe(1);
    expect(result.source).toBe(S3_SENSOR.replace('template_fields = ("bucket_key")', 'template_fields = ("bucket_key",)'));
    expect((await parsePython(result.source)).hasError).toBe(false);
    expect(await findingRules(result.source)).not.toContain("template-fields-string");
    // Once fixed, the rule finds nothing more to do.
    expect((await applyOnce(rule, 1, result.source)).matches).toBe(0);
  });

  it("adds **kwargs to __init__ and passes it to super() in a sensor with other parameter names", async () => {
    const rule = byBefore(await learnFromMerge(mergeInput(WEATHER_GENERATED, WEATHER_MERGED)), "def __init__");
    const before = await findingRules(S3_SENSOR);
    expect(before).toContain("init-kwargs");
    const result = await applyOnce(rule, 2, S3_SENSOR);
    expect(result.source).toContain(
      "    def __init__(self, *, bucket_key, bucket_name, aws_conn_id=None, **kwargs):\n        super().__init__(**kwargs)\n        self.bucket_key = bucket_key",
    );
    expect((await parsePython(result.source)).hasError).toBe(false);
    const after = await findingRules(result.source);
    expect(after).not.toContain("init-kwargs");
    expect(after).not.toContain("super-init");
  });

  it("reorders parameters the way the human did, whatever they are called", async () => {
    const [rule] = await learnFromMerge(mergeInput(ORDER_GENERATED, ORDER_MERGED));
    expect(rule?.before).toBe("def __init__(self, $1, $2=None, $3, **kwargs):");
    expect(rule?.after).toBe("def __init__(self, $1, $3, $2=None, **kwargs):");
    const result = await applyOnce(rule!, 3, ORDER_OTHER);
    expect(result.source).toBe(
      ORDER_OTHER.replace(
        "def __init__(self, source_path, pattern=None, archive_path, **kwargs):",
        "def __init__(self, source_path, archive_path, pattern=None, **kwargs):",
      ),
    );
    expect((await parsePython(result.source)).hasError).toBe(false);
  });

  it("matches a signature laid out over several lines and re-indents the rewrite", async () => {
    const [rule] = await learnFromMerge(mergeInput(ORDER_GENERATED, ORDER_MERGED));
    const spread = ORDER_OTHER.replace(
      "    def __init__(self, source_path, pattern=None, archive_path, **kwargs):",
      "    def __init__(\n        self,\n        source_path,\n        pattern=None,  \n        archive_path,\n        **kwargs,\n    ):".replace(",\n        **kwargs,\n", ",\n        **kwargs\n"),
    );
    const result = await applyOnce(rule!, 3, spread);
    expect(result.source).toContain("    def __init__(self, source_path, archive_path, pattern=None, **kwargs):\n        super().__init__(**kwargs)");
  });

  it("repairs context[\"execution_date\"] through the repair engine, and cites the learned rule", async () => {
    const rule = byBefore(await learnFromMerge(mergeInput(WEATHER_GENERATED, WEATHER_MERGED)), "$1 = context");
    const other = S3_SENSOR.replace(
      "        hook = S3Hook(aws_conn_id=self.aws_conn_id)\n",
      '        hook = S3Hook(aws_conn_id=self.aws_conn_id)\n        run_day = context["execution_date"]\n        self.log.info("poking for %s", run_day)\n',
    ).replace("def poke(self, context):", "def execute(self, context):");
    const repaired = await repairPython(other, { componentType: "sensor" }, [toRewriteRule({ id: 9, ...rule })]);
    expect(repaired.source).toContain('        run_day = context["logical_date"]\n');
    expect(repaired.applied.filter((a) => a.source === "learned").map((a) => a.rule)).toEqual(["learned/9"]);
    expect(repaired.report.findings.map((f) => f.rule)).not.toContain("removed-context-key");
  });

  it("anchors a change inside __init__ on the function it sits in, not on the lines around it", async () => {
    const generated = ORDER_MERGED.replace("        super().__init__(**kwargs)\n", '        """Export a table."""\n        super().__init__()\n');
    const [rule] = await learnFromMerge(mergeInput(generated, generated.replace("super().__init__()", "super().__init__(**kwargs)")));
    expect([rule?.before, rule?.after, rule?.context]).toEqual(["super().__init__()", "super().__init__(**kwargs)", "def __init__"]);

    // Another component: fixed inside __init__, left alone in a helper method.
    const other = ORDER_OTHER.replace("        super().__init__(**kwargs)\n", "        self.ready = False\n        super().__init__()\n").replace(
      "    def execute(self, context):",
      "    def reset(self):\n        super().__init__()\n\n    def execute(self, context):",
    );
    const result = await applyOnce(rule!, 4, other);
    expect(result.matches).toBe(1);
    expect(result.source).toContain("        self.ready = False\n        super().__init__(**kwargs)\n");
    expect(result.source).toContain("    def reset(self):\n        super().__init__()\n");
  });

  it("learns a syntax fix line by line where the generated file did not parse, and repairs another broken file", async () => {
    const broken = ORDER_MERGED.replace("def execute(self, context):", "def execute(self, context)");
    const [rule] = await learnFromMerge(mergeInput(broken, ORDER_MERGED));
    expect([rule?.before, rule?.after]).toEqual(["def execute(self, context)", "def execute(self, context):"]);

    const other = ORDER_OTHER.replace("def execute(self, context):", "def execute(self, context)");
    expect((await parsePython(other)).hasError).toBe(true);
    const result = await applyOnce(rule!, 5, other);
    expect(result.source).toBe(ORDER_OTHER);
    expect((await parsePython(result.source)).hasError).toBe(false);
  });

  it("does not fire outside the context it was learned in, over comments, or where the result would not parse", async () => {
    const rule = byBefore(await learnFromMerge(mergeInput(WEATHER_GENERATED, WEATHER_MERGED)), "$1 = context");
    // In poke() rather than execute(): the rule was learned in `def execute`.
    const inPoke = S3_SENSOR.replace("        hook = S3Hook(", '        day = context["execution_date"]\n        hook = S3Hook(');
    expect((await applyOnce(rule, 1, inPoke)).matches).toBe(0);

    const [order] = await learnFromMerge(mergeInput(ORDER_GENERATED, ORDER_MERGED));
    const commented = ORDER_OTHER.replace("pattern=None, archive_path", "pattern=None,  # optional glob\n        archive_path");
    expect((await applyOnce(order!, 1, commented)).matches).toBe(0);

    const broken = { ...order!, after: "def __init__(self, $1, $3, $2=None, **kwargs)" };
    expect((await applyOnce(broken, 1, ORDER_OTHER)).matches).toBe(0);
  });
});
