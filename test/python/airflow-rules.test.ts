import { describe, expect, it } from "vitest";
import { validatePython } from "../../src/python/index.js";
import type { ValidateOptions } from "../../src/python/index.js";

async function rules(source: string, options: ValidateOptions): Promise<string[]> {
  const report = await validatePython(source, options);
  return report.findings.map((f) => `${f.rule}:${f.severity}`);
}

const OPERATOR = { componentType: "operator", airflowVersion: "2" } as const;

describe("Airflow structure rules", () => {
  it("accept keyword-only parameters, *args and an explicit BaseOperator.__init__ call", async () => {
    const source = `from airflow.models import BaseOperator


class A(BaseOperator):
    def __init__(self, x, *args, y=1, **options):
        BaseOperator.__init__(self, *args, **options)
        self.x = x

    def execute(self, context, *args, **kwargs):
        return self.x
`;
    expect(await rules(source, OPERATOR)).toEqual([]);
  });

  it("do not ask a subclass of a concrete operator for execute(), nor an abstract base", async () => {
    const source = `from airflow.models import BaseOperator
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator


class MyQueryOperator(SQLExecuteQueryOperator):
    template_fields = ("sql", "extra")

    def __init__(self, *, extra, **kwargs):
        super().__init__(**kwargs)
        self.extra = extra


class BaseThingOperator(BaseOperator):
    pass
`;
    expect(await rules(source, OPERATOR)).toEqual(["template-field-unassigned:warning"]);
  });

  it("skip classes that only exist to fail loudly (removed components)", async () => {
    const source = `from airflow.sensors.base import BaseSensorOperator


class OldSensor(BaseSensorOperator):
    def __init__(self, *args, **kwargs):
        raise RuntimeError("removed; use NewSensor")
`;
    expect(await rules(source, { componentType: "sensor", airflowVersion: "2" })).toEqual([]);
  });

  it("check the method a deferral resumes into", async () => {
    const source = `from airflow.models import BaseOperator


class Waits(BaseOperator):
    def execute(self, context):
        self.defer(trigger=None, method_name="resume")

    def resume(self, event=None):
        return event
`;
    expect(await rules(source, OPERATOR)).toEqual(["execute-signature:error"]);
  });

  it("skip structure rules when nothing derives from Airflow and no component type is given", async () => {
    expect(await rules("class Helper:\n    def __init__(self, a):\n        self.a = a\n", { airflowVersion: "2" })).toEqual([]);
  });

  it("read a sensor built as a deferrable operator as a warning, not an error", async () => {
    const source = `from airflow.models import BaseOperator


class AwaitThingSensor(BaseOperator):
    def execute(self, context):
        return None
`;
    expect(await rules(source, { componentType: "sensor", airflowVersion: "2" })).toEqual(["base-class:warning"]);
  });
});

describe("Airflow 3 removals", () => {
  it("leave version-guarded uses of removed context keys alone", async () => {
    const source = `from airflow.models import BaseOperator

AIRFLOW_V_3_0_PLUS = False


class A(BaseOperator):
    def execute(self, context):
        if AIRFLOW_V_3_0_PLUS:
            date = context["logical_date"]
        else:
            date = context["execution_date"]
        other = context.get("logical_date") or context.get("execution_date")
        return date, other
`;
    expect(await rules(source, { componentType: "operator", airflowVersion: "both" })).toEqual(["airflow2-base-import:warning"]);
  });

  it("grade removed context keys and provide_context by target version", async () => {
    const source = 'def f(**context):\n    return context["next_ds"]\n\n\nt = PythonOperator(task_id="t", python_callable=f, provide_context=True)\n';
    expect(await rules(source, { kind: "dag", airflowVersion: "3" })).toEqual(["removed-context-key:error", "undefined-name:error", "provide-context:error"]);
    expect(await rules(source, { kind: "dag", airflowVersion: "2" })).toEqual(["removed-context-key:warning", "undefined-name:error", "provide-context:warning"]);
  });

  it("find removed variables inside Jinja templates", async () => {
    const report = await validatePython('cmd = "echo {{ ds }} {{ yesterday_ds_nodash }} {{ dag_run.logical_date }}"\n', { kind: "dag", airflowVersion: "3" });
    expect(report.findings.map((f) => f.message)).toEqual([expect.stringContaining("template variable 'yesterday_ds_nodash'")]);
  });
});

describe("module level", () => {
  it("allows logging setup and constants, flags I/O", async () => {
    const source = `import logging
import os
import re
from datetime import timedelta

log = logging.getLogger(__name__)
PATTERN = re.compile(r"x+")
TIMEOUT = timedelta(minutes=5)
HOME = os.environ.get("HOME", "/")
DATA = open("/etc/hosts").read()
`;
    const report = await validatePython(source, { airflowVersion: "2" });
    expect(report.findings.map((f) => `${f.rule} ${f.line}`)).toEqual(["module-level-work 10"]);
  });

  it("in a DAG file only flags calls known to do I/O, not the tasks it builds", async () => {
    const source = `from airflow import DAG
from airflow.models import Variable
from airflow.operators.empty import EmptyOperator

with DAG(dag_id="d", schedule=None) as dag:
    EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")

THRESHOLD = Variable.get("threshold")
`;
    const report = await validatePython(source, { kind: "dag", airflowVersion: "2" });
    expect(report.findings.map((f) => `${f.rule} ${f.line}`)).toEqual(["module-level-work 8"]);
  });
});
