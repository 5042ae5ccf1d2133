import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { PatternCandidate, PatternKind, PatternMeta } from "../../../src/learn/patterns/index.js";
import { extractPatterns, PatternExtractionError } from "../../../src/learn/patterns/index.js";
import {
  FILE_SENSOR,
  PY2_DUAL_IMPORT,
  REDIS_HOOK,
  S3_OPERATOR,
  STOCK_OPERATOR,
  STOCK_TEST,
  WEATHER_OPERATOR,
  WEATHER_TEST,
} from "./sources.js";

const operator: PatternMeta = { role: "component", componentType: "operator", category: "http" };

function byKind(candidates: PatternCandidate[], kind: PatternKind): PatternCandidate[] {
  return candidates.filter((c) => c.kind === kind);
}

function one(candidates: PatternCandidate[], kind: PatternKind): PatternCandidate {
  const found = byKind(candidates, kind);
  expect(found, `one ${kind} pattern`).toHaveLength(1);
  return found[0] as PatternCandidate;
}

describe("extractPatterns on an operator", () => {
  it("finds each kind of pattern an operator has", async () => {
    const found = await extractPatterns(WEATHER_OPERATOR, operator);
    expect(found.map((c) => c.kind).sort()).toEqual(
      ["connection_use", "error_handling", "execute_shape", "import_block", "init_signature", "logging", "template_fields"].sort(),
    );
    for (const c of found) {
      expect(c.fingerprint).toBe(createHash("sha256").update(`${c.kind}\n${c.code}`).digest("hex"));
      expect(c.libraries).toEqual(["airflow", "requests", "typing"]);
      expect(c).toMatchObject({ role: "component", componentType: "operator", category: "http" });
      expect(c.description.length).toBeGreaterThan(10);
      expect(c.description).not.toContain("\n");
    }
  });

  it("abstracts the file's own names and keeps Airflow, library and API names", async () => {
    const found = await extractPatterns(WEATHER_OPERATOR, operator);
    expect(one(found, "init_signature").code).toBe(
      [
        'def __init__(self, *, <P1>: str, <P2>: str = "<S>", <P3>: str = "<S>", <P4>: int = <N>, **kwargs) -> None:',
        "    super().__init__(**kwargs)",
        "    self.<P1> = <P1>",
        "    self.<P2> = <P2>",
        "    self.<P3> = <P3>",
        "    self.<P4> = <P4>",
      ].join("\n"),
    );
    expect(one(found, "template_fields").code).toBe('template_fields: Sequence[str] = ("<P1>", "<P2>")\nui_color = "<S>"');
    const execute = one(found, "execute_shape").code;
    expect(execute).toContain("def execute(self, context: Any) -> dict:");
    expect(execute).toContain("<V1> = BaseHook.get_connection(self.<P1>)");
    expect(execute).toContain('self.log.info("<S>", self.<P2>, <V2>)');
    expect(execute).toContain("except requests.exceptions.RequestException as <V4>:");
    expect(execute).toContain("timeout=self.<P3>");
    for (const local of ["WeatherFetchOperator", "city", "endpoint", "http_conn_id", "response", "err", "Fetching"]) {
      for (const c of found) expect(c.code).not.toContain(local);
    }
  });

  it("renders a try/except as its handler shape with the guarded body elided", async () => {
    const found = await extractPatterns(WEATHER_OPERATOR, operator);
    const handling = one(found, "error_handling");
    expect(handling.code).toBe(
      'try:\n    ...\nexcept requests.exceptions.RequestException as <V1>:\n    raise AirflowException(f"<S>") from <V1>',
    );
    expect(handling.description).toBe("In execute(): try/except RequestException → raise AirflowException");
  });

  it("gives the same fingerprints to the same shapes written with other names, quotes and wrapping", async () => {
    const weather = await extractPatterns(WEATHER_OPERATOR, operator);
    const stock = await extractPatterns(STOCK_OPERATOR, { ...operator, category: "finance" });
    expect(stock.map((c) => `${c.kind}:${c.fingerprint}`)).toEqual(weather.map((c) => `${c.kind}:${c.fingerprint}`));
  });

  it("gives different fingerprints to different shapes", async () => {
    const weather = await extractPatterns(WEATHER_OPERATOR, operator);
    const s3 = await extractPatterns(S3_OPERATOR, { ...operator, category: "storage" });
    for (const kind of ["import_block", "init_signature", "template_fields", "execute_shape", "error_handling", "logging"] as const) {
      expect(one(s3, kind).fingerprint, kind).not.toBe(one(weather, kind).fingerprint);
    }
    expect(one(s3, "init_signature").description).toBe(
      "__init__ of an operator with 4 parameters (0 keyword-only, 1 with defaults), **kwargs passed to super().__init__",
    );
    expect(one(s3, "error_handling").code).toContain("except ClientError as <V1>:\n    self.log.error(\"<S>\")\n    raise AirflowException(str(<V1>))");
    expect(one(s3, "template_fields").description).toContain("3 templated fields as a list");
  });

  it("recognizes a guarded 2.x/3.x base class import", async () => {
    const block = one(await extractPatterns(WEATHER_OPERATOR, operator), "import_block");
    expect(block.code).toContain(
      "try:\n    from airflow.sdk import BaseOperator\nexcept ImportError:\n    from airflow.models.baseoperator import BaseOperator",
    );
    expect(block.description).toContain("version-dual import (try/except ImportError) of BaseOperator");
  });

  it("recognizes Python 2/3 dual imports and aliased fallbacks", async () => {
    const block = one(await extractPatterns(PY2_DUAL_IMPORT, operator), "import_block");
    expect(block.description).toContain("version-dual import (try/except ImportError) of urlencode, json");
    expect(block.code).toContain("try:\n    import simplejson as json\nexcept ImportError:\n    import json");
    expect(block.libraries).toEqual(["airflow", "json", "simplejson", "urllib"]);
  });

  it("a plain import block is not called guarded", async () => {
    const block = one(await extractPatterns(S3_OPERATOR, operator), "import_block");
    expect(block.description).toBe("Import block of an operator: airflow, boto3, botocore, typing");
  });

  it("fills search text with split identifiers, libraries and kind", async () => {
    const execute = one(await extractPatterns(WEATHER_OPERATOR, operator), "execute_shape");
    const words = execute.text.split(" ");
    for (const w of ["execute", "shape", "requests", "http", "base", "hook", "connection", "city", "raise", "status"]) {
      expect(words, w).toContain(w);
    }
    expect(execute.text).toBe(execute.text.toLowerCase());
  });
});

describe("extractPatterns on sensors and hooks", () => {
  it("takes the poke method and sensor template fields", async () => {
    const found = await extractPatterns(FILE_SENSOR, { role: "component", componentType: "sensor", category: "filesystem" });
    const poke = one(found, "poke_shape");
    expect(poke.code).toBe(
      [
        "def poke(self, context) -> PokeReturnValue:",
        '    self.log.info("<S>", self.<P1>)',
        "    if not os.path.exists(self.<P1>):",
        "        return PokeReturnValue(is_done=False)",
        "    <V1> = os.path.getsize(self.<P1>)",
        "    return PokeReturnValue(is_done=<V1> >= self.<P2>, xcom_value=<V1>)",
      ].join("\n"),
    );
    expect(byKind(found, "execute_shape")).toEqual([]);
    expect(one(found, "template_fields").code).toBe('template_fields: Sequence[str] = ("<P1>",)');
    expect(one(found, "import_block").description).toContain("of BaseSensorOperator, PokeReturnValue");
  });

  it("takes a hook's connection attributes and get_conn, and its connection use", async () => {
    const found = await extractPatterns(REDIS_HOOK, { role: "component", componentType: "hook", category: "cache" });
    const hook = one(found, "hook_shape");
    expect(hook.code.split("\n").slice(0, 5)).toEqual([
      'conn_name_attr = "<P1>"',
      'default_conn_name = "<S>"',
      'conn_type = "<S>"',
      'hook_name = "<S>"',
      "def get_conn(self) -> redis.Redis:",
    ]);
    expect(hook.code).toContain("<V2> = self.get_connection(self.<P1>)");
    expect(hook.code).toContain("redis.Redis(host=<V2>.host, port=<V2>.port or <N>, password=<V2>.password, db=<V3>)");
    const conn = one(found, "connection_use");
    expect(conn.code).toBe('<V1> = self.get_connection(self.<P1>)\n<V2> = <V1>.extra_dejson.get("<S>", <N>)');
    expect(conn.description).toBe("Connection use: get_connection, .extra_dejson");
  });
});

describe("extractPatterns on tests", () => {
  const meta: PatternMeta = { role: "test", componentType: "operator", category: "http" };

  it("takes fixtures and test functions with their mocks", async () => {
    const found = await extractPatterns(WEATHER_TEST, meta);
    const tests = byKind(found, "test_structure");
    expect(tests).toHaveLength(3);
    expect(tests[0]?.code).toBe('@pytest.fixture\ndef <V1>():\n    return <CLS>(task_id="<S>", <V2>="<S>", <V3>="<S>")');
    expect(tests[0]?.description).toContain("pytest fixture");
    expect(tests[1]?.code.split("\n").slice(0, 3)).toEqual(['@mock.patch("<S>")', '@mock.patch("<S>")', "def <V1>(<P1>, <P2>, <P3>):"]);
    expect(tests[1]?.description).toBe("pytest test of an operator: 3 fixtures, 1 assert, mocks mock.patch");
    expect(tests[2]?.description).toBe("pytest test of an operator: 1 fixture, 0 asserts, mocks mock.patch, pytest.raises");
    const imports = one(found, "import_block");
    expect(imports.code).toContain("from <MOD> import <CLS>");
    expect(imports.libraries).toEqual(["airflow", "pytest", "requests", "unittest"]);
  });

  it("the same test structure for another component has the same fingerprints", async () => {
    const weather = await extractPatterns(WEATHER_TEST, meta);
    const stock = await extractPatterns(STOCK_TEST, meta);
    const stockPrints = stock.map((c) => c.fingerprint);
    expect(stockPrints).toHaveLength(3);
    expect(weather.slice(0, 3).map((c) => c.fingerprint)).toEqual(stockPrints);
  });

  it("does not take component shapes from a test file", async () => {
    const found = await extractPatterns(WEATHER_OPERATOR, meta);
    expect(found.map((c) => c.kind)).toEqual(["import_block"]);
  });
});

describe("extractPatterns input checks", () => {
  it("names the line of a syntax error", async () => {
    await expect(extractPatterns("import os\n\ndef broken(:\n    pass\n", operator)).rejects.toThrow(
      /syntax error at line 3/,
    );
    await expect(extractPatterns("x = (\n", operator)).rejects.toBeInstanceOf(PatternExtractionError);
  });

  it("names a bad metadata field", async () => {
    await expect(extractPatterns("import os\n", { ...operator, role: "module" as never })).rejects.toThrow(/meta.role/);
    await expect(extractPatterns("import os\n", { ...operator, componentType: "trigger" as never })).rejects.toThrow(/meta.componentType/);
    await expect(extractPatterns("import os\n", { ...operator, category: " " })).rejects.toThrow(/meta.category/);
  });

  it("returns nothing for a file without patterns", async () => {
    expect(await extractPatterns("x = 1\n", operator)).toEqual([]);
  });
});

describe("extractPatterns with the repository's own modules", () => {
  it("names the component <CLS> and its own hook, imported from the plugins package, <CLS2> from <MOD>", async () => {
    const source = `from airflow.models import BaseOperator
from hooks.forecast_hook import ForecastHook


class ForecastOperator(BaseOperator):
    def __init__(self, *, city: str, **kwargs):
        super().__init__(**kwargs)
        self.city = city

    def execute(self, context):
        return ForecastHook(conn_id="forecast_default").fetch(self.city)
`;
    const found = await extractPatterns(source, operator);
    expect(one(found, "import_block").code).toBe("from airflow.models import BaseOperator\nfrom <MOD> import <CLS2>");
    expect(one(found, "execute_shape").code).toBe('def execute(self, context):\n    return <CLS2>(conn_id="<S>").fetch(self.<P1>)');
    expect(one(found, "import_block").libraries).toEqual(["airflow"]);
  });
});
