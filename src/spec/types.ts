/**
 * The normalized component spec: what every consumer (prompt builder, scaffold, validator, store) reads.
 * `src/spec/schema.ts` turns the files people already have into this shape; consumers never see raw YAML.
 */

export type ComponentType = "operator" | "sensor" | "hook";
export type AirflowTarget = "2" | "3" | "both";

/** A constructor argument (`inputs` and `config_params` in the spec file). */
export interface SpecParam {
  name: string;
  /** Python annotation as written in the spec, e.g. `str`, `Optional[int]`, `Dict[str, Any]`. */
  type: string;
  display_name?: string;
  description?: string;
  required: boolean;
  /** Coerced to the declared type when the spec wrote it as a string that parses as that type. */
  default?: unknown;
  template_field: boolean;
  /** Which list of the spec file it came from. */
  source: "inputs" | "config_params";
  /** Keys of the entry beyond the documented ones, kept as written. */
  extra?: Record<string, unknown>;
}

/** A parameter the DAG author can set at run time (JSON-schema words for types). */
export interface RuntimeParam {
  name: string;
  type: "string" | "number" | "integer" | "boolean" | "array" | "object";
  description?: string;
  default?: unknown;
  enum?: unknown[];
  min_value?: number;
  max_value?: number;
  min_length?: number;
  max_length?: number;
}

export interface SpecOutput {
  name: string;
  type: string;
  description?: string;
  method?: string;
}

export interface SpecExample {
  description?: string;
  code?: string;
}

export interface SensorSettings {
  poke_interval?: number;
  timeout?: number;
  mode?: "poke" | "reschedule";
}

export interface HookSettings {
  conn_name_attr?: string;
  conn_type?: string;
  hook_name?: string;
  default_conn_name?: string;
}

export interface ComponentSpec {
  /** PascalCase Python class name. */
  name: string;
  display_name?: string;
  description: string;
  /** Free text, lower-cased. */
  category: string;
  component_type: ComponentType;
  /** Normalized: `BaseOperator`, `BaseSensorOperator` or `BaseHook`, decided by component_type when absent. */
  base_class: "BaseOperator" | "BaseSensorOperator" | "BaseHook";
  airflow_version: AirflowTarget;
  platforms: string[];
  icon?: string;
  ui_color?: string;
  ui_fgcolor?: string;
  /**
   * `inputs` followed by `config_params`, in the spec's order. A sensor's `poke_interval`, `timeout`
   * and `mode` entries are not params (BaseSensorOperator takes them): they are read into `sensor`.
   */
  params: SpecParam[];
  runtime_params: RuntimeParam[];
  outputs: SpecOutput[];
  /** Free-text requirements (sentences), as written. */
  requirements: string[];
  /** PEP 508 requirement specifiers, e.g. `requests>=2.31`. */
  dependencies: string[];
  /** The union of the top-level list and `template_field: true` inputs, in first-seen order. */
  template_fields: string[];
  template_ext: string[];
  sensor: SensorSettings;
  hook: HookSettings;
  implementation_hints: string[];
  prerequisites: unknown;
  examples: SpecExample[];
  author?: string;
  version?: string;
  documentation_url?: string;
  license?: string;
  /** Top-level keys nobody documents, kept as written (each also reported as a warning). */
  extra: Record<string, unknown>;
}

/** One problem (or warning) found in a spec, named by its field path, e.g. `inputs[2].default`. */
export interface SpecFinding {
  path: string;
  severity: "error" | "warning";
  message: string;
  /** 1-based line in the source text when known. */
  line?: number;
}

export type SpecParseResult =
  | { ok: true; spec: ComponentSpec; warnings: SpecFinding[] }
  | { ok: false; errors: SpecFinding[]; warnings: SpecFinding[] };
