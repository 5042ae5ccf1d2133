/**
 * Airflow import paths by target version, as in the shared airflow notes: which modules moved or were removed,
 * and where each base class lives on 2.x and 3.x.
 */
import type { ImportFact } from "./facts.js";
import type { AirflowTarget } from "./types.js";

export interface MovedModule {
  /** Old module path. */
  from: string;
  /** Replacement on Airflow 2.x, and on 3.x when it differs. */
  to2: string;
  to3: string;
  /** Class renames that come with the move (`DummyOperator` → `EmptyOperator`). */
  renames?: Record<string, string>;
  /** Gone on Airflow 3 (ImportError) rather than a deprecated alias. */
  removedIn3: boolean;
}

const P = "airflow.providers";

/** Exact old module paths with their replacements. `airflow.contrib.*` not listed here is handled generically. */
export const MOVED_MODULES: MovedModule[] = [
  { from: "airflow.operators.bash_operator", to2: "airflow.operators.bash", to3: `${P}.standard.operators.bash`, removedIn3: true },
  { from: "airflow.operators.python_operator", to2: "airflow.operators.python", to3: `${P}.standard.operators.python`, removedIn3: true },
  {
    from: "airflow.operators.dummy_operator",
    to2: "airflow.operators.empty",
    to3: `${P}.standard.operators.empty`,
    renames: { DummyOperator: "EmptyOperator" },
    removedIn3: true,
  },
  {
    from: "airflow.operators.dummy",
    to2: "airflow.operators.empty",
    to3: `${P}.standard.operators.empty`,
    renames: { DummyOperator: "EmptyOperator" },
    removedIn3: true,
  },
  { from: "airflow.operators.email_operator", to2: "airflow.operators.email", to3: `${P}.smtp.operators.smtp`, renames: {}, removedIn3: true },
  { from: "airflow.operators.subdag_operator", to2: "airflow.operators.subdag", to3: "airflow.operators.subdag", removedIn3: true },
  { from: "airflow.operators.branch_operator", to2: "airflow.operators.branch", to3: `${P}.standard.operators.branch`, removedIn3: true },
  { from: "airflow.operators.latest_only_operator", to2: "airflow.operators.latest_only", to3: `${P}.standard.operators.latest_only`, removedIn3: true },
  { from: "airflow.operators.dagrun_operator", to2: "airflow.operators.trigger_dagrun", to3: `${P}.standard.operators.trigger_dagrun`, removedIn3: true },
  { from: "airflow.operators.http_operator", to2: `${P}.http.operators.http`, to3: `${P}.http.operators.http`, removedIn3: true },
  { from: "airflow.operators.sql", to2: `${P}.common.sql.operators.sql`, to3: `${P}.common.sql.operators.sql`, removedIn3: true },
  { from: "airflow.operators.check_operator", to2: `${P}.common.sql.operators.sql`, to3: `${P}.common.sql.operators.sql`, removedIn3: true },
  { from: "airflow.operators.postgres_operator", to2: `${P}.postgres.operators.postgres`, to3: `${P}.common.sql.operators.sql`, removedIn3: true },
  { from: "airflow.operators.mysql_operator", to2: `${P}.mysql.operators.mysql`, to3: `${P}.common.sql.operators.sql`, removedIn3: true },
  { from: "airflow.operators.docker_operator", to2: `${P}.docker.operators.docker`, to3: `${P}.docker.operators.docker`, removedIn3: true },
  { from: "airflow.operators.slack_operator", to2: `${P}.slack.operators.slack`, to3: `${P}.slack.operators.slack`, removedIn3: true },
  { from: "airflow.hooks.base_hook", to2: "airflow.hooks.base", to3: "airflow.hooks.base", removedIn3: true },
  { from: "airflow.hooks.dbapi_hook", to2: `${P}.common.sql.hooks.sql`, to3: `${P}.common.sql.hooks.sql`, removedIn3: true },
  { from: "airflow.hooks.dbapi", to2: `${P}.common.sql.hooks.sql`, to3: `${P}.common.sql.hooks.sql`, removedIn3: true },
  { from: "airflow.hooks.http_hook", to2: `${P}.http.hooks.http`, to3: `${P}.http.hooks.http`, removedIn3: true },
  { from: "airflow.hooks.postgres_hook", to2: `${P}.postgres.hooks.postgres`, to3: `${P}.postgres.hooks.postgres`, removedIn3: true },
  { from: "airflow.hooks.mysql_hook", to2: `${P}.mysql.hooks.mysql`, to3: `${P}.mysql.hooks.mysql`, removedIn3: true },
  { from: "airflow.hooks.S3_hook", to2: `${P}.amazon.aws.hooks.s3`, to3: `${P}.amazon.aws.hooks.s3`, removedIn3: true },
  { from: "airflow.hooks.sqlite_hook", to2: `${P}.sqlite.hooks.sqlite`, to3: `${P}.sqlite.hooks.sqlite`, removedIn3: true },
  { from: "airflow.hooks.slack_hook", to2: `${P}.slack.hooks.slack`, to3: `${P}.slack.hooks.slack`, removedIn3: true },
  { from: "airflow.sensors.base_sensor_operator", to2: "airflow.sensors.base", to3: "airflow.sdk", removedIn3: true },
  { from: "airflow.sensors.external_task_sensor", to2: "airflow.sensors.external_task", to3: `${P}.standard.sensors.external_task`, removedIn3: true },
  { from: "airflow.sensors.time_delta_sensor", to2: "airflow.sensors.time_delta", to3: `${P}.standard.sensors.time_delta`, removedIn3: true },
  { from: "airflow.sensors.date_time_sensor", to2: "airflow.sensors.date_time", to3: `${P}.standard.sensors.date_time`, removedIn3: true },
  { from: "airflow.sensors.http_sensor", to2: `${P}.http.sensors.http`, to3: `${P}.http.sensors.http`, removedIn3: true },
  { from: "airflow.sensors.sql_sensor", to2: `${P}.common.sql.sensors.sql`, to3: `${P}.common.sql.sensors.sql`, removedIn3: true },
  { from: "airflow.sensors.sql", to2: `${P}.common.sql.sensors.sql`, to3: `${P}.common.sql.sensors.sql`, removedIn3: true },
  { from: "airflow.sensors.s3_key_sensor", to2: `${P}.amazon.aws.sensors.s3`, to3: `${P}.amazon.aws.sensors.s3`, removedIn3: true },
  { from: "airflow.utils.dates", to2: "pendulum / datetime", to3: "pendulum / datetime", removedIn3: true },
  // Still importable on Airflow 3 with a deprecation warning; the standard provider is the new home.
  { from: "airflow.operators.bash", to2: "airflow.operators.bash", to3: `${P}.standard.operators.bash`, removedIn3: false },
  { from: "airflow.operators.python", to2: "airflow.operators.python", to3: `${P}.standard.operators.python`, removedIn3: false },
  { from: "airflow.operators.empty", to2: "airflow.operators.empty", to3: `${P}.standard.operators.empty`, removedIn3: false },
];

const MOVED_BY_PATH = new Map(MOVED_MODULES.map((m) => [m.from, m]));

export function movedModule(module: string): MovedModule | undefined {
  return MOVED_BY_PATH.get(module);
}

/** Where a base class lives per Airflow major version. */
export const BASE_IMPORTS: Record<string, { v2: string[]; v3: string }> = {
  BaseOperator: { v2: ["airflow.models.baseoperator", "airflow.models"], v3: "airflow.sdk" },
  BaseSensorOperator: { v2: ["airflow.sensors.base"], v3: "airflow.sdk" },
  PokeReturnValue: { v2: ["airflow.sensors.base"], v3: "airflow.sdk" },
  BaseHook: { v2: ["airflow.hooks.base"], v3: "airflow.sdk" },
  Context: { v2: ["airflow.utils.context"], v3: "airflow.sdk" },
};

/** Context keys removed in Airflow 3, with what to use instead. */
export const REMOVED_CONTEXT_KEYS: Record<string, string> = {
  execution_date: "logical_date",
  next_ds: "data_interval_end | ds",
  next_ds_nodash: "data_interval_end | ds_nodash",
  prev_ds: "prev_data_interval_start_success | ds",
  prev_ds_nodash: "prev_data_interval_start_success | ds_nodash",
  next_execution_date: "data_interval_end",
  prev_execution_date: "prev_data_interval_start_success",
  prev_execution_date_success: "prev_data_interval_start_success",
  tomorrow_ds: "macros.ds_add(ds, 1)",
  tomorrow_ds_nodash: "macros.ds_add(ds, 1)",
  yesterday_ds: "macros.ds_add(ds, -1)",
  yesterday_ds_nodash: "macros.ds_add(ds, -1)",
};

export function targetsAirflow3(version: AirflowTarget): boolean {
  return version === "3" || version === "both";
}

/** The 2.x imports that replace `from airflow.sdk import …`, one line per module, or undefined if a name has no 2.x home. */
export function airflow2Fallback(imp: Pick<ImportFact, "names">): string[] | undefined {
  const byModule = new Map<string, string[]>();
  for (const n of imp.names) {
    const module = BASE_IMPORTS[n.name]?.v2[0];
    if (!module) return undefined;
    byModule.set(module, [...(byModule.get(module) ?? []), n.alias ? `${n.name} as ${n.alias}` : n.name]);
  }
  return [...byModule].map(([module, names]) => `from ${module} import ${names.join(", ")}`);
}
