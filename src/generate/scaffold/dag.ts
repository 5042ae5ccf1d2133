import { DAG_IMPORT, TASK_IMPORT, importLines } from "../airflow-imports.js";
import { SCAFFOLD_HEADER } from "./component.js";
import type { ScaffoldPlan } from "./plan.js";
import { indent, pyString } from "./python.js";

/** The header and imports of an example DAG for the target version. */
export function dagImports(plan: ScaffoldPlan, withTask: boolean): string[] {
  if (!withTask) return importLines(DAG_IMPORT, plan.target);
  if (plan.target === "2") return importLines(DAG_IMPORT, "2").concat(importLines(TASK_IMPORT, "2"));
  if (plan.target === "3") return ["from airflow.sdk import DAG, task"];
  return [
    "try:",
    "    from airflow.sdk import DAG, task",
    "except ImportError:",
    "    from airflow import DAG",
    "    from airflow.decorators import task",
  ];
}

export function renderDag(plan: ScaffoldPlan): string {
  const isHook = plan.spec.component_type === "hook";
  const out = [
    SCAFFOLD_HEADER,
    `"""Example DAG for ${plan.className}; runs on Airflow 2.x and 3.x (scaffold sample values)."""`,
    "",
    "from __future__ import annotations",
    "",
    "import datetime",
    "",
    ...dagImports(plan, isHook),
    "",
    `from ${plan.componentModule} import ${plan.className}`,
    "",
    "with DAG(",
    `    dag_id=${pyString(`${plan.snake}_example`)},`,
    "    schedule=None,",
    "    start_date=datetime.datetime(2025, 1, 1),",
    "    catchup=False,",
    `    tags=["example", ${pyString(plan.spec.category || plan.spec.component_type)}],`,
    ") as dag:",
  ];
  const args = plan.params.filter((p) => p.signatureDefault === undefined || p.templated).map((p) => `${p.name}=${p.sample},`);
  if (isHook) {
    const hook = plan.hook;
    out.push(
      ...indent(
        [
          "",
          "@task",
          `def use_${plan.snake}() -> None:`,
          ...(args.length === 0 ? [`    hook = ${plan.className}()`] : [`    hook = ${plan.className}(`, ...indent(args, 2), "    )"]),
          "    conn = hook.get_conn()",
          `    hook.log.info("Connected with %s through %s", type(conn).__name__, hook.${hook?.connAttr ?? "conn_id"})`,
          "",
          `use_${plan.snake}()`,
        ],
        1,
      ),
    );
  } else {
    out.push(...indent([`${plan.className}(`, `    task_id=${pyString(plan.snake)},`, ...indent(args, 1), ")"], 1));
  }
  return `${out.join("\n")}\n`;
}
