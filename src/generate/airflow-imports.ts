import type { AirflowTarget, ComponentType } from "../spec/types.js";

/** Import paths by Airflow major version; the prompt's conventions and the scaffold both read this table. */
export const BASE_IMPORTS: Record<ComponentType, { className: string; airflow2: string; airflow3: string }> = {
  operator: { className: "BaseOperator", airflow2: "airflow.models.baseoperator", airflow3: "airflow.sdk" },
  sensor: { className: "BaseSensorOperator", airflow2: "airflow.sensors.base", airflow3: "airflow.sdk" },
  // Airflow 3.0 still ships airflow.hooks.base; later task SDKs move BaseHook to airflow.sdk.
  hook: { className: "BaseHook", airflow2: "airflow.hooks.base", airflow3: "airflow.sdk" },
};

export const CONTEXT_IMPORT = { className: "Context", airflow2: "airflow.utils.context", airflow3: "airflow.sdk" };
export const DAG_IMPORT = { className: "DAG", airflow2: "airflow", airflow3: "airflow.sdk" };
export const TASK_IMPORT = { className: "task", airflow2: "airflow.decorators", airflow3: "airflow.sdk" };

interface ImportEntry {
  className: string;
  airflow2: string;
  airflow3: string;
}

/**
 * Lines importing `entry` for the target: the 2.x path, the `airflow.sdk` path, or for "both" (and for
 * hooks on 3, which must also load on 3.0) a `try: airflow.sdk / except ImportError: 2.x path` pair.
 */
export function importLines(entry: ImportEntry, target: AirflowTarget, hookOnThree = false): string[] {
  const two = `from ${entry.airflow2} import ${entry.className}`;
  const three = `from ${entry.airflow3} import ${entry.className}`;
  if (target === "2") return [two];
  if (target === "3" && !hookOnThree) return [three];
  return ["try:", `    ${three}`, "except ImportError:", `    ${two}`];
}

export function baseImportLines(type: ComponentType, target: AirflowTarget): string[] {
  return importLines(BASE_IMPORTS[type], target, type === "hook");
}
