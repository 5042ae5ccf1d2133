import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { normalizeCheckRun } from "../../../src/ci/normalize.js";
import type { CiFailure } from "../../../src/ci/types.js";
import { importedLibraries, libraryOutcomesFromCi } from "../../../src/learn/libraries/index.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/ci/${name}`, import.meta.url), "utf8");
const failuresOf = (check: string, text: string): CiFailure[] =>
  normalizeCheckRun({ checkRun: { name: check, conclusion: "failure", output: { title: `${check} failed`, text } } });

const YAML_MISSING = `Traceback (most recent call last):
  File "/home/runner/work/acme/acme/dags/config_loader_example_dag.py", line 3, in <module>
    from operators.config_loader import ConfigLoaderOperator
  File "/home/runner/work/acme/acme/operators/config_loader.py", line 5, in <module>
    import yaml
ModuleNotFoundError: No module named 'yaml'
`;

const SLACK_API_MOVED = `Traceback (most recent call last):
  File "/home/runner/work/acme/acme/operators/notify.py", line 4, in <module>
    from slack_sdk import WebhookClientAsync
ImportError: cannot import name 'WebhookClientAsync' from 'slack_sdk' (/opt/hostedtoolcache/Python/3.11.10/x64/lib/python3.11/site-packages/slack_sdk/__init__.py)
`;

const PANDAS_SQLALCHEMY = `=================================== FAILURES ===================================
_____________________________ test_execute_reads ______________________________

    def test_execute_reads():
>       op.execute(context={})

tests/test_report.py:12:
_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _
operators/report.py:40: in execute
    frame = pd.read_sql(self.sql, engine)
/opt/hostedtoolcache/Python/3.11.10/x64/lib/python3.11/site-packages/pandas/io/sql.py:706: in read_sql
    return pandas_sql.read_query(
/opt/hostedtoolcache/Python/3.11.10/x64/lib/python3.11/site-packages/pandas/io/sql.py:2738: in read_query
    cursor = self.execute(sql, params)
E   AttributeError: 'Connection' object has no attribute 'cursor'

/opt/hostedtoolcache/Python/3.11.10/x64/lib/python3.11/site-packages/pandas/io/sql.py:2672: AttributeError
=========================== short test summary info ============================
FAILED tests/test_report.py::test_execute_reads - AttributeError: 'Connection' object has no attribute 'cursor'
========================= 1 failed, 2 passed in 1.52s =========================
`;

describe("library outcomes from CI", () => {
  it("records a passing run as import ok and execution ok for each third-party import", () => {
    const outcomes = libraryOutcomesFromCi([], ["requests", "yaml", "json", "airflow.models", "google.cloud.storage", "apache-airflow"], true);
    expect(outcomes).toEqual([
      { name: "google-cloud-storage", kind: "import_ok" },
      { name: "google-cloud-storage", kind: "exec_ok" },
      { name: "pyyaml", kind: "import_ok" },
      { name: "pyyaml", kind: "exec_ok" },
      { name: "requests", kind: "import_ok" },
      { name: "requests", kind: "exec_ok" },
    ]);
  });

  it("turns ModuleNotFoundError for an imported library into import_failed, under its distribution name", () => {
    const failures = failuresOf("dag-import", YAML_MISSING);
    expect(failures[0]).toMatchObject({ kind: "import", exceptionType: "ModuleNotFoundError" });
    expect(libraryOutcomesFromCi(failures, ["yaml", "requests"], false)).toEqual([
      { name: "pyyaml", kind: "import_failed", detail: "ModuleNotFoundError: No module named 'yaml'" },
    ]);
    // Named by its distribution in the list of imports, the library is still matched.
    expect(libraryOutcomesFromCi(failures, ["PyYAML"], false).map((o) => o.name)).toEqual(["pyyaml"]);
  });

  it("turns ImportError (a name missing from the installed version) into import_failed", () => {
    const outcomes = libraryOutcomesFromCi(failuresOf("pytest", SLACK_API_MOVED), ["slack_sdk"], false);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ name: "slack-sdk", kind: "import_failed" });
    expect(outcomes[0]?.detail).toMatch(/^ImportError: cannot import name 'WebhookClientAsync'/);
  });

  it("ignores missing modules that are the repository's own (operators.s3_report)", () => {
    const failures = normalizeCheckRun({ checkRun: { name: "dag-import", conclusion: "failure" }, log: fixture("actions-dagbag-import.log") });
    expect(failures.some((f) => f.message === "No module named 'operators.s3_report'")).toBe(true);
    expect(libraryOutcomesFromCi(failures, ["boto3", "pandas"], false)).toEqual([]);
  });

  it("turns a pip ResolutionImpossible naming an imported library into a conflict", () => {
    const failures = normalizeCheckRun({ checkRun: { name: "test (3.11)", conclusion: "failure" }, log: fixture("actions-pip-resolution.log") });
    expect(failures[0]).toMatchObject({ kind: "dependency_conflict", exceptionType: "ResolutionImpossible" });
    const outcomes = libraryOutcomesFromCi(failures, ["pandas", "requests", "snowflake.connector"], false);
    expect(outcomes.map((o) => [o.name, o.kind])).toEqual([["pandas", "conflict"]]);
    expect(outcomes[0]?.detail).toMatch(/^ResolutionImpossible: Cannot install .* pandas==2\.1\.4/);
  });

  it("records a failure inside a library's own code as import ok and execution failed", () => {
    const failures = failuresOf("pytest", PANDAS_SQLALCHEMY);
    expect(failures[0]).toMatchObject({ kind: "attribute" });
    expect(libraryOutcomesFromCi(failures, ["pandas", "sqlalchemy"], false)).toEqual([
      { name: "pandas", kind: "import_ok" },
      { name: "pandas", kind: "exec_failed", detail: "AttributeError: 'Connection' object has no attribute 'cursor'" },
    ]);
  });

  it("says nothing about libraries a failing run does not implicate, nor from lint findings", () => {
    const lint: CiFailure = {
      check: "mypy",
      kind: "import",
      message: 'Cannot find implementation or library stub for module named "yaml"',
      ruleCode: "import-not-found",
      file: "operators/config_loader.py",
      line: 5,
      excerpt: 'operators/config_loader.py:5: error: Cannot find implementation or library stub for module named "yaml"  [import-not-found]',
      fingerprint: "x",
    };
    const assertion: CiFailure = {
      check: "pytest",
      kind: "test_failure",
      exceptionType: "AssertionError",
      message: "assert 2 == 3",
      excerpt: "E   assert 2 == 3",
      fingerprint: "y",
    };
    expect(libraryOutcomesFromCi([lint, assertion], ["yaml", "requests"], false)).toEqual([]);
  });
});

describe("imported libraries of generated files", () => {
  it("lists the distributions a component and its tests import, without stdlib, Airflow core or local modules", async () => {
    const component = `from __future__ import annotations

import json
from typing import TYPE_CHECKING

import yaml
from google.cloud import storage
from airflow.models import BaseOperator
from airflow.providers.http.hooks.http import HttpHook
from .helpers import shape

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

try:
    import orjson
except ImportError:
    orjson = None


class ConfigUploadOperator(BaseOperator):
    def execute(self, context):
        import pandas as pd
        return json.dumps(yaml.safe_load("a: 1")), pd, storage, HttpHook, shape, orjson
`;
    const test = `import pytest
from operators.config_upload import ConfigUploadOperator


def test_it():
    assert ConfigUploadOperator
`;
    const libraries = await importedLibraries([
      { path: "operators/config_upload.py", content: component },
      { path: "tests/test_config_upload.py", content: test },
      { path: "README.md", content: "import requests" },
    ]);
    expect(libraries).toEqual(["apache-airflow-providers-http", "google-cloud-storage", "orjson", "pandas", "pytest", "pyyaml"]);
    expect(libraryOutcomesFromCi(failuresOf("dag-import", YAML_MISSING), libraries, false).map((o) => o.name)).toEqual(["pyyaml"]);
  });
});
