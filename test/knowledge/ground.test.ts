import { describe, expect, it } from "vitest";
import { API_FACTS_HEADING, DEFAULT_API_FACTS_TOKEN_BUDGET, apiFactsFor, groundSpec, renderApiFact, type ApiFact } from "../../src/knowledge/ground.js";
import { defaultKnowledgeBase, type KnowledgeBase } from "../../src/knowledge/kb.js";
import type { AirflowTarget, ComponentSpec } from "../../src/spec/types.js";
import { exampleSpec, makeSpec, param } from "../generate/helpers.js";

function shippedKb(): KnowledgeBase {
  const kb = defaultKnowledgeBase();
  if (kb === null) throw new Error("the knowledge base data (src/knowledge/data) is missing: run npm run kb:build");
  return kb;
}

const kb = shippedKb();

const s3Spec = (): ComponentSpec =>
  makeSpec({
    name: "ReportUploadOperator",
    description: "Uploads a CSV report, given as a string, to an S3 key.",
    category: "storage",
    params: [param("bucket", "str", { required: true }), param("key", "str", { required: true })],
    dependencies: ["apache-airflow-providers-amazon>=8.20"],
  });

const sensorSpec = (target: AirflowTarget): ComponentSpec =>
  makeSpec({ name: "QueueDrainedSensor", component_type: "sensor", category: "messaging", airflow_version: target });

function fact(facts: ApiFact[], name: string): ApiFact {
  const found = facts.find((f) => f.name === name);
  if (!found) throw new Error(`no ${name} among ${facts.map((f) => f.name).join(", ")}`);
  return found;
}

describe("the API facts of a spec", () => {
  it("give an http spec HttpHook with its connection argument and method, named in the spec and implied by its dependency", async () => {
    const facts = apiFactsFor(await exampleSpec("http_operator"), kb, "both");
    expect(facts[0]).toMatchObject({ name: "BaseOperator", role: "base", reasons: ["base class of this operator"] });
    // The task arguments, as the (decorated) class writes its __init__.
    expect(facts[0]?.init?.params.slice(0, 2)).toEqual(["task_id", "owner"]);
    expect(renderApiFact(facts[0] as ApiFact)).toContain("- `__init__` keyword arguments (pass them on through `**kwargs`): task_id, owner, ");
    const http = fact(facts, "HttpHook");
    expect(http.role).toBe("hook");
    expect(http.importStatements).toEqual(["from airflow.providers.http.hooks.http import HttpHook"]);
    expect(http.distribution).toBe("apache-airflow-providers-http");
    expect(http.connection).toEqual({ attr: "http_conn_id", param: "http_conn_id", default: "http_default", type: "http" });
    expect(http.init?.params.slice(0, 2)).toEqual(["method", "http_conn_id"]);
    expect(http.reasons).toEqual([
      "named in the requirements",
      "named in the implementation hints",
      "named in the description",
      "implied by the dependency apache-airflow-providers-http",
      'implied by the category "http"',
    ]);
    expect(http.methods.map((m) => m.name)).toContain("run");
    const text = renderApiFact(http);
    expect(text).toContain(
      '## HttpHook (hook): named in the requirements, implementation hints and description; implied by the dependency apache-airflow-providers-http and the category "http"\n`from airflow.providers.http.hooks.http import HttpHook`\nProvider package: `apache-airflow-providers-http`.\n',
    );
    expect(text).toContain('- `conn_name_attr = "http_conn_id"`, `default_conn_name = "http_default"`, `conn_type = "http"`');
    expect(text).toContain('- `__init__(self, method: str = "POST", http_conn_id: str = default_conn_name, ');
    expect(text).toContain("- `run(self, endpoint: str | None = None, ");
  });

  it("give an S3 spec S3Hook with load_string and the aws connection", () => {
    const s3 = fact(apiFactsFor(s3Spec(), kb, "both"), "S3Hook");
    expect(s3.importStatements).toEqual(["from airflow.providers.amazon.aws.hooks.s3 import S3Hook"]);
    expect(s3.connection).toEqual({ attr: "aws_conn_id", param: "aws_conn_id", default: "aws_default", type: "aws" });
    expect(s3.methods[0]?.text).toMatch(/^load_string\(self, string_data: str, key: str, bucket_name: str \| None = None, replace: bool = False/);
    expect(s3.reasons).toEqual(["implied by the dependency apache-airflow-providers-amazon"]);
  });

  it("import a sensor's base class from airflow.sdk on Airflow 3, from both paths on both", () => {
    const base = (target: AirflowTarget) => apiFactsFor(sensorSpec(target), kb, target)[0] as ApiFact;
    expect(base("3")).toMatchObject({ name: "BaseSensorOperator", role: "base", imports: ["from airflow.sdk import BaseSensorOperator"] });
    expect(base("2").imports).toEqual(["from airflow.sensors.base import BaseSensorOperator"]);
    expect(base("both").imports).toEqual([
      "try:",
      "    from airflow.sdk import BaseSensorOperator",
      "except ImportError:",
      "    from airflow.sensors.base import BaseSensorOperator",
    ]);
    expect(base("both").importStatements).toEqual([
      "from airflow.sdk import BaseSensorOperator",
      "from airflow.sensors.base import BaseSensorOperator",
    ]);
    expect(base("3").methods.map((m) => m.text)).toEqual(["poke(self, context: Context)"]);
    expect(base("3").init?.params).toEqual(expect.arrayContaining(["poke_interval", "timeout", "mode"]));
    expect(renderApiFact(base("both"))).toContain(
      "## BaseSensorOperator: base class of this sensor\n```python\ntry:\n    from airflow.sdk import BaseSensorOperator\nexcept ImportError:\n    from airflow.sensors.base import BaseSensorOperator\n```\n",
    );
  });

  it("resolve a class named by its dotted path or by a bare name the KB finds, and skip names it does not know", () => {
    const spec = makeSpec({
      name: "ChatNotifyOperator",
      category: "notifications",
      requirements: ["Send through airflow.providers.telegram.hooks.telegram.TelegramHook", "Fall back to DiscordWebhookHook"],
      implementation_hints: ["Never use the made-up NotARealHook"],
    });
    const facts = apiFactsFor(spec, kb, "3");
    expect(facts.map((f) => f.name)).toEqual(["BaseOperator", "TelegramHook", "DiscordWebhookHook"]);
    expect(fact(facts, "DiscordWebhookHook").importStatements).toEqual([
      "from airflow.providers.discord.hooks.discord_webhook import DiscordWebhookHook",
    ]);
    expect(fact(facts, "TelegramHook").reasons).toEqual(["named in the requirements"]);
  });

  it("leave out a class the category implies when a chosen hook inherits from it", async () => {
    const names = apiFactsFor(await exampleSpec("postgres_to_s3_operator"), kb, "both").map((f) => f.name);
    expect(names).toEqual(["BaseOperator", "PostgresHook", "S3Hook", "SQLExecuteQueryOperator"]);
  });
});

describe("the API facts budget", () => {
  it("is 1,200 tokens by default and holds the section, heading included", async () => {
    expect(DEFAULT_API_FACTS_TOKEN_BUDGET).toBe(1200);
    const grounding = groundSpec(await exampleSpec("postgres_to_s3_operator"), kb, "both");
    expect(grounding.text.startsWith(`${API_FACTS_HEADING}\n\n`)).toBe(true);
    expect(grounding.tokens).toBe(Math.ceil(grounding.text.length / 4));
    expect(grounding.tokens).toBeLessThanOrEqual(1200);
  });

  it("cuts the category's guesses and the methods first, then whole classes, keeping the rank order", async () => {
    const spec = await exampleSpec("postgres_to_s3_operator");
    const all = groundSpec(spec, kb, "both", 100_000);
    expect(all.dropped).toEqual([]);
    const mid = groundSpec(spec, kb, "both", 900);
    expect(mid.facts.map((f) => f.name)).toEqual(["BaseOperator", "PostgresHook", "S3Hook"]);
    expect(mid.dropped.map((f) => f.name)).toEqual(["SQLExecuteQueryOperator"]);
    for (const f of mid.facts) {
      const full = fact(all.facts, f.name);
      expect(f.methods).toEqual(full.methods.slice(0, f.methods.length));
    }
    expect(fact(mid.facts, "S3Hook").methods.length).toBeLessThan(fact(all.facts, "S3Hook").methods.length);
    const small = groundSpec(spec, kb, "both", 350);
    expect(small.tokens).toBeLessThanOrEqual(350);
    expect(small.facts.length).toBeLessThan(mid.facts.length);
    expect(small.facts.map((f) => f.name)).toEqual(mid.facts.map((f) => f.name).filter((n) => small.facts.some((f) => f.name === n)));
    expect(groundSpec(spec, kb, "both", 10)).toMatchObject({ facts: [], text: "", tokens: 0 });
  });
});
