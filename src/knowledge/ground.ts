/**
 * Grounded generation: the Airflow API facts a spec will likely use, read from the knowledge base (kb.ts) so
 * that the prompt carries exact import paths and signatures instead of what a model remembers.
 *
 * Chosen, in this order: the base class of the component for the target Airflow version; classes the spec
 * names (a dotted `airflow.…` path, `from airflow… import X`, or a CamelCase `…Hook` / `…Operator` /
 * `…Sensor` / `…Trigger` name the KB resolves); provider hooks its dependencies imply; hooks its category
 * implies. Each class keeps only what the KB holds: where to import it from, `__init__` as written, its
 * connection attributes and template fields, and its most relevant public methods. The facts are then cut to
 * a token budget (characters / 4, the estimate every prompt budget in opforge uses).
 *
 * Pure: spec, KB, target and budget in, plain data out.
 */
import { BASE_IMPORTS, importLines } from "../generate/airflow-imports.js";
import { normalizeProjectName } from "../spec/pep508.js";
import type { AirflowTarget, ComponentSpec } from "../spec/types.js";
import type { KbVersion } from "./format.js";
import type { ClassAt, KnowledgeBase, ParsedSignature } from "./kb.js";
import { parseSignature } from "./kb.js";

export const DEFAULT_API_FACTS_TOKEN_BUDGET = 1200;

export const API_FACTS_HEADING = "# Airflow API facts (from Airflow's source; use exactly these names and parameters)";

export type ApiFactRole = "base" | "hook" | "operator" | "sensor" | "trigger" | "class";

export interface ApiMethodFact {
  name: string;
  /** `run(self, endpoint: str | None = None, …)`, with `@classmethod` / `@staticmethod` / `@property` first when decorated. */
  text: string;
  /** The class that defines it. */
  owner: string;
}

export interface ApiInitFact {
  /** `__init__(self, …)` as written in Airflow's source. */
  text: string;
  /** The class whose `__init__` a call runs (the first in the MRO that defines one). */
  owner: string;
  /** Parameter names, without `self` and the `*`/`**` catch-alls. */
  params: string[];
  kwargs: boolean;
  /** Where `**kwargs` go: the next `__init__` up the MRO, with its parameter names. */
  kwargsTo?: { owner: string; params: string[] };
}

/** One class the prompt shows, with where each fact comes from. */
export interface ApiFact {
  name: string;
  /** Where the class is defined (`airflow.providers.http.hooks.http.HttpHook`). */
  qualified: string;
  role: ApiFactRole;
  /** Why it was chosen: "base class of this operator", "named in the requirements", … */
  reasons: string[];
  /** Python lines importing it for the target (a `try:/except ImportError:` pair when the paths differ). */
  imports: string[];
  /** The import statements of those lines (`from airflow.sdk import BaseOperator`). */
  importStatements: string[];
  init?: ApiInitFact;
  /** `conn_name_attr`, `default_conn_name`, `conn_type`, `hook_name`, `template_fields`, `template_ext` as written. */
  attrs: Record<string, string>;
  /**
   * For hooks: `attr` is the hook's `conn_name_attr`, `param` the constructor argument that takes the
   * connection id (usually the same name), with the default connection id and the connection type.
   */
  connection?: { attr: string; param: string; default?: string; type?: string };
  /** Ranked, most relevant first (cut to the budget in a grounding). */
  methods: ApiMethodFact[];
  deprecated?: string;
  /** PyPI distribution of a provider class (`apache-airflow-providers-http`); absent for Airflow itself. */
  distribution?: string;
  /** The KB version the signatures were read from. */
  source: { version: string; ref: string; commit: string; release: string };
  /** For Airflow's own classes: the target's majors in which the class exists. Providers install on any. */
  majors: ("2" | "3")[];
  /** The target's majors in which an Airflow class does not exist. */
  missingOn: ("2" | "3")[];
}

export interface Grounding {
  /** The facts given, in rank order, with their methods cut to the budget. */
  facts: ApiFact[];
  /** Facts that did not fit at all. */
  dropped: ApiFact[];
  /** The prompt section ("" when there are no facts). */
  text: string;
  tokens: number;
  budget: number;
}

interface KnownClass {
  name: string;
  /** Alternatives, most current first; for Airflow's own classes each major keeps the first that resolves there. */
  paths: string[];
  /** Category words and PEP 503 dependency names that imply the class. */
  keys: string[];
  /** Methods most specs of its kind call, in order. */
  methods?: string[];
}

/** Category words and dependencies → the provider class a component should use instead of a raw client. */
const KNOWN_CLASSES: KnownClass[] = [
  {
    name: "HttpHook",
    paths: ["airflow.providers.http.hooks.http.HttpHook"],
    keys: ["http", "https", "rest", "api", "webhook", "requests", "httpx", "urllib3", "apache-airflow-providers-http"],
    methods: ["run", "run_and_check", "check_response", "url_from_endpoint", "get_conn"],
  },
  {
    name: "S3Hook",
    paths: ["airflow.providers.amazon.aws.hooks.s3.S3Hook"],
    keys: ["s3", "aws", "amazon", "boto3", "botocore", "s3fs", "apache-airflow-providers-amazon"],
    methods: ["load_string", "load_file", "load_bytes", "read_key", "check_for_key", "list_keys", "get_key", "download_file"],
  },
  {
    name: "PostgresHook",
    paths: ["airflow.providers.postgres.hooks.postgres.PostgresHook"],
    keys: ["postgres", "postgresql", "psycopg2", "psycopg2-binary", "psycopg", "asyncpg", "apache-airflow-providers-postgres"],
    methods: ["get_records", "get_first", "run", "insert_rows", "copy_expert", "get_conn"],
  },
  {
    name: "MySqlHook",
    paths: ["airflow.providers.mysql.hooks.mysql.MySqlHook"],
    keys: ["mysql", "mariadb", "mysqlclient", "pymysql", "mysql-connector-python", "apache-airflow-providers-mysql"],
    methods: ["get_records", "get_first", "run", "insert_rows", "bulk_load", "get_conn"],
  },
  {
    name: "SnowflakeHook",
    paths: ["airflow.providers.snowflake.hooks.snowflake.SnowflakeHook"],
    keys: ["snowflake", "snowflake-connector-python", "snowflake-sqlalchemy", "apache-airflow-providers-snowflake"],
    methods: ["run", "get_records", "get_first", "get_conn"],
  },
  {
    name: "SlackHook",
    paths: ["airflow.providers.slack.hooks.slack.SlackHook"],
    keys: ["slack", "slack-sdk", "slackclient", "apache-airflow-providers-slack"],
    methods: ["call", "send_file_v1_to_v2", "get_channel_id", "get_conn"],
  },
  {
    name: "SlackWebhookHook",
    paths: ["airflow.providers.slack.hooks.slack_webhook.SlackWebhookHook"],
    keys: ["slack", "slack-sdk", "apache-airflow-providers-slack"],
    methods: ["send", "send_text", "send_dict", "get_conn"],
  },
  {
    name: "SFTPHook",
    paths: ["airflow.providers.sftp.hooks.sftp.SFTPHook"],
    keys: ["sftp", "pysftp", "apache-airflow-providers-sftp"],
    methods: ["retrieve_file", "store_file", "list_directory", "path_exists", "get_conn"],
  },
  {
    name: "SSHHook",
    paths: ["airflow.providers.ssh.hooks.ssh.SSHHook"],
    keys: ["ssh", "paramiko", "apache-airflow-providers-ssh"],
    methods: ["exec_ssh_client_command", "get_conn"],
  },
  {
    name: "RedisHook",
    paths: ["airflow.providers.redis.hooks.redis.RedisHook"],
    keys: ["redis", "apache-airflow-providers-redis"],
    methods: ["get_conn"],
  },
  {
    name: "GCSHook",
    paths: ["airflow.providers.google.cloud.hooks.gcs.GCSHook"],
    keys: ["gcs", "gcp", "google-cloud-storage", "apache-airflow-providers-google"],
    methods: ["upload", "download", "exists", "list", "delete", "get_conn"],
  },
  {
    name: "BigQueryHook",
    paths: ["airflow.providers.google.cloud.hooks.bigquery.BigQueryHook"],
    keys: ["bigquery", "google-cloud-bigquery", "apache-airflow-providers-google"],
    methods: ["insert_job", "get_records", "get_pandas_df", "get_client", "get_conn"],
  },
  {
    name: "DatabricksHook",
    paths: ["airflow.providers.databricks.hooks.databricks.DatabricksHook"],
    keys: ["databricks", "databricks-sdk", "databricks-sql-connector", "apache-airflow-providers-databricks"],
    methods: ["submit_run", "run_now", "get_run_state", "get_run", "cancel_run"],
  },
  {
    name: "WasbHook",
    paths: ["airflow.providers.microsoft.azure.hooks.wasb.WasbHook"],
    keys: ["azure", "blob", "wasb", "azure-storage-blob", "apache-airflow-providers-microsoft-azure"],
    methods: ["load_string", "load_file", "read_file", "check_for_blob", "get_blobs_list", "get_conn"],
  },
  {
    name: "DockerHook",
    paths: ["airflow.providers.docker.hooks.docker.DockerHook"],
    keys: ["docker", "apache-airflow-providers-docker"],
    methods: ["get_conn"],
  },
  {
    name: "KubernetesHook",
    paths: ["airflow.providers.cncf.kubernetes.hooks.kubernetes.KubernetesHook"],
    keys: ["kubernetes", "k8s", "apache-airflow-providers-cncf-kubernetes"],
    methods: ["get_conn", "create_custom_object", "get_pod", "get_namespace"],
  },
  {
    name: "SmtpHook",
    paths: ["airflow.providers.smtp.hooks.smtp.SmtpHook"],
    keys: ["smtp", "email", "mail", "apache-airflow-providers-smtp"],
    methods: ["send_email_smtp", "get_conn"],
  },
  {
    name: "DbApiHook",
    paths: ["airflow.providers.common.sql.hooks.sql.DbApiHook"],
    keys: ["sql", "database", "db", "sqlalchemy", "apache-airflow-providers-common-sql"],
    methods: ["get_records", "get_first", "run", "insert_rows", "get_conn"],
  },
  {
    name: "SQLExecuteQueryOperator",
    paths: ["airflow.providers.common.sql.operators.sql.SQLExecuteQueryOperator"],
    keys: ["sql", "database", "db", "apache-airflow-providers-common-sql"],
    methods: ["execute"],
  },
  {
    name: "FSHook",
    paths: ["airflow.providers.standard.hooks.filesystem.FSHook", "airflow.hooks.filesystem.FSHook"],
    keys: ["file", "files", "filesystem", "fs"],
    methods: ["get_path"],
  },
];

/** Attributes shown as written, in this order. */
const SHOWN_ATTRS = ["conn_name_attr", "default_conn_name", "conn_type", "hook_name", "template_fields", "template_ext"];

/** Methods of a base class that the component implements or calls. */
const BASE_METHODS: Record<ComponentSpec["component_type"], string[]> = {
  operator: ["execute"],
  sensor: ["poke"],
  hook: ["get_connection", "get_conn"],
};

/** Members of every hook that say nothing about what the class does (UI forms, connection tests, discovery). */
const SKIPPED_METHODS = new Set([
  "get_connection_form_widgets",
  "get_ui_field_behaviour",
  "test_connection",
  "get_hook",
  "get_connections",
  "get_conn_uri",
  "get_uri",
  "get_sqlalchemy_engine",
  "get_openlineage_database_info",
  "get_openlineage_database_dialect",
  "get_openlineage_default_schema",
  "get_openlineage_database_specific_lineage",
  "get_openlineage_facets_on_start",
  "get_openlineage_facets_on_complete",
  "get_openlineage_facets_on_failure",
  "get_openlineage_authority_part",
  "get_openlineage_authority_name",
  "get_openlineage_authority",
  "sql_dialect",
  "dialect",
  "dialect_name",
  "log",
  "render_template",
  "render_template_fields",
]);

/** Methods every hook inherits that are worth showing: how hooks read their connection. */
const GENERIC_METHODS = ["get_conn", "run", "get_connection"];

const STOP_WORDS = new Set([
  "get", "set", "the", "and", "for", "with", "from", "into", "this", "that", "its", "are", "not", "use", "uses",
  "all", "any", "one", "per", "via", "when", "then", "than", "each", "has", "have", "was", "will", "can", "never",
  "conn", "default", "str", "int", "bool", "dict", "list", "none", "true", "false", "optional", "type",
]);

const MAX_METHODS = 6;
const MAX_NAMES_ONLY = 16;
/** An `__init__` longer than this is shown as its parameter names. */
const LONG_INIT = 600;
const MAX_BARE_CANDIDATES = 12;

const estimate = (text: string): number => Math.ceil(text.length / 4);

/** PEP 503 names of the spec's dependencies. */
function dependencyNames(spec: ComponentSpec): string[] {
  const out: string[] = [];
  for (const dep of spec.dependencies) {
    const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(dep);
    if (m?.[1]) out.push(normalizeProjectName(m[1]));
  }
  return out;
}

/**
 * Lower-case word stems of what the spec says it does (description, requirements, hints, outputs), for
 * matching method names. Parameter names and descriptions are left out: they name data (`s3_key`,
 * `file_format`) more than actions, and would pull reading methods into a spec that writes.
 */
function specWords(spec: ComponentSpec): Set<string> {
  const texts = [
    spec.display_name ?? "",
    spec.description,
    spec.category,
    ...spec.requirements,
    ...spec.implementation_hints,
    ...spec.outputs.flatMap((o) => [o.method ?? "", o.description ?? ""]),
  ];
  const words = new Set<string>();
  for (const text of texts) {
    const split = text.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase().split(/[^a-z0-9]+/);
    for (const w of split) if (w.length > 2 && !STOP_WORDS.has(w)) words.add(stem(w));
  }
  return words;
}

/** `loading` → `load`, `checks` → `check`, `rows` → `row`: enough to match method names. */
function stem(word: string): string {
  if (word.length > 5 && word.endsWith("ing")) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith("ed")) return word.slice(0, -2);
  return word.length > 3 && word.endsWith("s") && !word.endsWith("ss") ? word.slice(0, -1) : word;
}

function shared(method: string, words: Set<string>): number {
  return method.split("_").filter((w) => w.length > 2 && !STOP_WORDS.has(w) && words.has(stem(w))).length;
}

function bitIndex(bit: number): number {
  return Math.round(Math.log2(bit));
}

/** Bits of a mask, newest version first. */
function newestFirst(kb: KnowledgeBase, mask: number): number[] {
  return kb.bits(mask).reverse();
}

export function majorsOf(target: AirflowTarget): ("2" | "3")[] {
  return target === "both" ? ["3", "2"] : [target];
}

function moduleOf(path: string): { module: string; name: string } {
  const dot = path.lastIndexOf(".");
  return { module: path.slice(0, dot), name: path.slice(dot + 1) };
}

function plainString(literal: string | undefined): string | undefined {
  if (literal === undefined) return undefined;
  const m = /^(["'])(.*)\1$/.exec(literal.trim());
  return m ? m[2] : undefined;
}

function methodText(name: string, sig: ParsedSignature): string {
  const decorator = sig.decorator ? `@${sig.decorator} ` : "";
  return `${decorator}${name}(${sig.text})`;
}

function roleOf(name: string): ApiFactRole {
  if (name.endsWith("Hook")) return "hook";
  if (name.endsWith("Sensor") || name.endsWith("SensorOperator")) return "sensor";
  if (name.endsWith("Operator")) return "operator";
  if (name.endsWith("Trigger")) return "trigger";
  return "class";
}

/** The Python lines importing `name` from one module per major (a try/except pair when they differ). */
function importBlock(name: string, byMajor: { major: "2" | "3"; module: string }[]): { lines: string[]; statements: string[] } {
  const modules = [...new Set(byMajor.map((m) => m.module))];
  const statements = modules.map((module) => `from ${module} import ${name}`);
  if (statements.length === 1) return { lines: statements, statements };
  return { lines: ["try:", `    ${statements[0]}`, "except ImportError:", ...statements.slice(1).map((s) => `    ${s}`)], statements };
}

/** Where each path named in the candidate resolves: providers in any version, Airflow's own classes per major. */
interface Resolved {
  at: ClassAt;
  bit: number;
  byMajor: { major: "2" | "3"; module: string }[];
}

function resolvePaths(kb: KnowledgeBase, paths: string[], target: AirflowTarget): Resolved | undefined {
  // A provider class is one install away on any Airflow: the newest version that has it speaks for all.
  if (paths.every((p) => kb.isProviderModule(p))) {
    for (const path of paths) {
      for (const bit of newestFirst(kb, kb.allMask)) {
        const at = kb.classAt(path, bit);
        if (at.status === "found") return { at: at.value, bit, byMajor: [{ major: "3", module: moduleOf(path).module }] };
      }
    }
    return undefined;
  }
  // Airflow's own classes (or a class that moved from Airflow to a provider): per major, the first path in
  // the given order that holds there, a deprecated alias only when nothing else does.
  let first: { at: ClassAt; bit: number } | undefined;
  const byMajor: Resolved["byMajor"] = [];
  for (const major of majorsOf(target)) {
    const bits = newestFirst(kb, kb.majorMask(major));
    let pick: { at: ClassAt; bit: number; path: string } | undefined;
    for (const path of paths) {
      for (const bit of bits) {
        const at = kb.classAt(path, bit);
        if (at.status !== "found") continue;
        if (!at.value.deprecated) pick = { at: at.value, bit, path };
        else pick ??= { at: at.value, bit, path };
        break;
      }
      if (pick && !pick.at.deprecated) break;
    }
    if (!pick) continue;
    byMajor.push({ major, module: moduleOf(pick.path).module });
    first ??= pick;
  }
  return first ? { at: first.at, bit: first.bit, byMajor } : undefined;
}

function versionOf(kb: KnowledgeBase, bit: number): KbVersion {
  return kb.versions[bitIndex(bit)] as KbVersion;
}

/**
 * The `__init__` a call runs. Where the KB will not vouch for it (a decorated class, which the validator must
 * treat as unknown), the first one written in the MRO is what the source shows, and that is the fact given.
 */
function writtenInit(kb: KnowledgeBase, qualified: string, bit: number): { sig: ParsedSignature; owner: string } | undefined {
  const init = kb.initOf(qualified, bit);
  if (init.status === "found") return init.value;
  const mro = kb.mro(qualified, bit);
  const owner = mro.status === "found" ? mro.value.find((c) => c.cls.init) : undefined;
  return owner?.cls.init ? { sig: parseSignature(owner.cls.init), owner: owner.qualified } : undefined;
}

function initFact(kb: KnowledgeBase, qualified: string, bit: number): ApiInitFact | undefined {
  const init = writtenInit(kb, qualified, bit);
  if (!init) return undefined;
  const names = (sig: ParsedSignature) => sig.params.filter((p) => p.kind !== "args" && p.kind !== "kwargs" && p.name !== "self").map((p) => p.name);
  const fact: ApiInitFact = { text: `__init__(${init.sig.text})`, owner: init.owner, params: names(init.sig), kwargs: init.sig.hasKwargs };
  if (init.sig.hasKwargs) {
    const mro = kb.mro(qualified, bit);
    if (mro.status === "found") {
      const at = mro.value.findIndex((c) => c.qualified === init.owner);
      const next = mro.value.slice(at + 1).find((c) => c.cls.init);
      if (next?.cls.init) {
        fact.kwargsTo = { owner: next.qualified, params: names(parseSignature(next.cls.init)) };
      }
    }
  }
  return fact;
}

function attrsOf(kb: KnowledgeBase, resolved: Resolved): Record<string, string> {
  const mro = kb.mro(resolved.at.qualified, resolved.bit);
  const classes = mro.status === "found" ? mro.value : [resolved.at];
  const out: Record<string, string> = {};
  for (const name of SHOWN_ATTRS) {
    const owner = classes.find((c) => (c.cls.attrs[name] ?? "") !== "");
    const value = owner?.cls.attrs[name];
    // An empty tuple or list (BaseOperator's template_fields) says nothing.
    if (value !== undefined && !/^\(\s*\)$|^\[\s*\]$/.test(value.trim())) out[name] = value;
  }
  return out;
}

/** The constructor argument that names the connection, following how the class reads it. */
function connectionOf(attrs: Record<string, string>, init: ApiInitFact | undefined): ApiFact["connection"] {
  const attr = plainString(attrs.conn_name_attr);
  if (!attr) return undefined;
  let param: string | undefined;
  if (init?.params.includes(attr)) param = attr;
  else if (init?.params.includes("conn_id")) param = "conn_id";
  else if (init === undefined || init.kwargs) param = attr;
  else param = init.params.find((p) => p.endsWith("conn_id"));
  if (!param) return undefined;
  const dflt = plainString(attrs.default_conn_name);
  const type = plainString(attrs.conn_type);
  return { attr, param, ...(dflt === undefined ? {} : { default: dflt }), ...(type === undefined ? {} : { type }) };
}

function rankedMethods(kb: KnowledgeBase, resolved: Resolved, words: Set<string>, preferred: string[]): ApiMethodFact[] {
  const qualified = resolved.at.qualified;
  const mro = kb.mro(qualified, resolved.bit);
  const classes = mro.status === "found" ? mro.value : [resolved.at];
  const provider = kb.isProviderModule(qualified);
  const hook = roleOf(qualified) === "hook";
  const seen = new Set<string>();
  const all: (ApiMethodFact & { own: boolean; index: number })[] = [];
  for (const c of classes) {
    const related = c.qualified === qualified || (provider && kb.isProviderModule(c.qualified));
    for (const [name, raw] of Object.entries(c.cls.methods)) {
      if (seen.has(name)) continue;
      seen.add(name);
      if (SKIPPED_METHODS.has(name) || name.startsWith("get_openlineage")) continue;
      if (!related && !(hook && GENERIC_METHODS.includes(name)) && !preferred.includes(name)) continue;
      const sig = parseSignature(raw);
      // Properties are attributes more than calls: shown only when the spec speaks of them.
      if (sig.decorator === "property" && !preferred.includes(name) && shared(name, words) === 0) continue;
      all.push({ name, text: methodText(name, sig), owner: c.qualified, own: c.qualified === qualified, index: all.length });
    }
  }
  const rank = (m: (typeof all)[number]): number[] => {
    const p = preferred.indexOf(m.name);
    const g = GENERIC_METHODS.indexOf(m.name);
    // The methods specs of its kind usually call, and names sharing words with the spec, come first.
    return [-(shared(m.name, words) + (p < 0 ? 0 : 2)), p < 0 ? 99 : p, g < 0 ? 99 : g, m.own ? 0 : 1, m.index];
  };
  all.sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number);
    return 0;
  });
  return all.slice(0, MAX_METHODS).map(({ name, text, owner }) => ({ name, text, owner }));
}

function distributionOf(kb: KnowledgeBase, qualified: string): string | undefined {
  if (!kb.isProviderModule(qualified)) return undefined;
  const shard = kb.shardName(moduleOf(qualified).module);
  if (shard === undefined || shard === "core" || shard === "sdk") return undefined;
  return `apache-airflow-providers-${shard.replace(/\./g, "-")}`;
}

interface Candidate {
  paths: string[];
  reason: string;
  /** Forces the role (base classes). */
  role?: ApiFactRole;
  /** Import lines decided by the caller (base classes follow the system prompt's convention). */
  imports?: string[];
  preferred?: string[];
  methodsOnly?: string[];
}

function buildFact(kb: KnowledgeBase, c: Candidate, target: AirflowTarget, words: Set<string>): ApiFact | undefined {
  const resolved = resolvePaths(kb, c.paths, target);
  if (!resolved) return undefined;
  const { at, bit } = resolved;
  const name = at.qualified.slice(at.qualified.lastIndexOf(".") + 1);
  const block = c.imports
    ? { lines: c.imports, statements: c.imports.map((l) => l.trim()).filter((l) => l.startsWith("from ") || l.startsWith("import ")) }
    : importBlock(moduleOf(c.paths.find((p) => resolved.byMajor.some((m) => p.startsWith(`${m.module}.`))) ?? at.qualified).name, resolved.byMajor);
  const init = initFact(kb, at.qualified, bit);
  const attrs = attrsOf(kb, resolved);
  const connection = connectionOf(attrs, init);
  let methods: ApiMethodFact[];
  if (c.methodsOnly) {
    methods = [];
    const mask = target === "both" ? kb.allMask : kb.majorMask(target) || kb.allMask;
    for (const m of c.methodsOnly) {
      // The class read first, then the other paths of the target's versions, newest first.
      const tries = [[at.qualified, bit] as const, ...c.paths.flatMap((p) => newestFirst(kb, mask).map((b) => [p, b] as const))];
      for (const [path, b] of tries) {
        const found = kb.methodOf(path, m, b);
        if (found.status !== "found") continue;
        methods.push({ name: m, text: methodText(m, found.value.sig), owner: found.value.owner });
        break;
      }
    }
  } else {
    methods = rankedMethods(kb, resolved, words, c.preferred ?? []);
  }
  const v = versionOf(kb, bit);
  const distribution = distributionOf(kb, at.qualified);
  const majors = c.paths.every((p) => kb.isProviderModule(p)) ? majorsOf(target) : resolved.byMajor.map((m) => m.major);
  return {
    name,
    qualified: at.qualified,
    role: c.role ?? roleOf(name),
    reasons: [c.reason],
    imports: block.lines,
    importStatements: block.statements,
    ...(init ? { init } : {}),
    attrs,
    ...(connection ? { connection } : {}),
    methods,
    ...(at.deprecated ? { deprecated: at.deprecated } : {}),
    ...(distribution ? { distribution } : {}),
    source: { version: v.id, ref: v.ref, commit: v.commit, release: v.release },
    majors,
    missingOn: majorsOf(target).filter((m) => !majors.includes(m)),
  };
}

function baseCandidate(spec: ComponentSpec, target: AirflowTarget): Candidate {
  const type = spec.component_type;
  const entry = BASE_IMPORTS[type];
  // The 2.x path stays on 3 as a fallback (Airflow 3.0 has no airflow.sdk.BaseHook, and its alias modules
  // still hold the signatures when the KB cannot follow airflow.sdk).
  const two = `${entry.airflow2}.${entry.className}`;
  const paths = target === "2" ? [two] : [`${entry.airflow3}.${entry.className}`, two];
  return {
    paths,
    reason: `base class of this ${type}`,
    role: "base",
    imports: importLines(entry, target, type === "hook"),
    methodsOnly: BASE_METHODS[type],
  };
}

const CLASS_NAME = /(?<![\w.])([A-Z][A-Za-z0-9]*?(?:Hook|Operator|Sensor|SensorOperator|Trigger))\b/g;
const DOTTED = /\bairflow(?:\.[A-Za-z_]\w*)+/g;
const FROM_IMPORT = /\bfrom\s+(airflow(?:\.\w+)+)\s+import\s+\(?\s*([\w\s,]+)/g;
const BASE_NAMES = new Set(["BaseOperator", "BaseSensorOperator", "BaseHook", "BaseTrigger"]);

/** The texts of the spec where class names are looked for, with how the reason reads. */
function namedTexts(spec: ComponentSpec): { label: string; text: string }[] {
  return [
    { label: "named in the requirements", text: spec.requirements.join("\n") },
    { label: "named in the implementation hints", text: spec.implementation_hints.join("\n") },
    { label: "named in the description", text: [spec.display_name ?? "", spec.description].join("\n") },
    {
      label: "named in the spec",
      text: [...spec.params.map((p) => p.description ?? ""), ...spec.outputs.map((o) => o.description ?? "")].join("\n"),
    },
    { label: "named in the examples", text: spec.examples.map((e) => `${e.description ?? ""}\n${e.code ?? ""}`).join("\n") },
  ];
}

function snakeOf(stem: string): string {
  return stem
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

/** Paths a bare class name may stand for: the known table, else KB modules of the right kind and name. */
function pathsForBareName(kb: KnowledgeBase, name: string): string[] {
  const known = KNOWN_CLASSES.find((k) => k.name === name);
  if (known) return known.paths;
  const suffix = /(SensorOperator|Hook|Operator|Sensor|Trigger)$/.exec(name)?.[1] ?? "";
  const folder = suffix === "Hook" ? "hooks" : suffix === "Trigger" ? "triggers" : suffix === "Operator" ? "operators" : "sensors";
  const stem = name.slice(0, name.length - suffix.length);
  if (stem === "") return [];
  const snake = snakeOf(stem);
  const flat = stem.toLowerCase();
  const scored: { module: string; score: number }[] = [];
  for (const module of kb.moduleNames()) {
    const parts = module.split(".");
    if (parts[parts.length - 2] !== folder) continue;
    const last = parts[parts.length - 1] as string;
    const lastFlat = last.replace(/_/g, "");
    let score = 0;
    if (last === snake || lastFlat === flat) score = 3;
    else if (lastFlat.length >= 3 && flat.startsWith(lastFlat)) score = 2;
    else if (flat.length >= 3 && lastFlat.startsWith(flat)) score = 1;
    if (score > 0) scored.push({ module, score: score * 10 + (kb.isProviderModule(module) ? 1 : 0) });
  }
  scored.sort((a, b) => b.score - a.score || a.module.length - b.module.length);
  return scored.slice(0, MAX_BARE_CANDIDATES).map((s) => `${s.module}.${name}`);
}

function namedCandidates(kb: KnowledgeBase, spec: ComponentSpec): Candidate[] {
  const out: Candidate[] = [];
  const ignore = new Set([spec.name, ...BASE_NAMES]);
  for (const { label, text } of namedTexts(spec)) {
    if (text.trim() === "") continue;
    const found: { at: number; paths: string[] }[] = [];
    for (const m of text.matchAll(FROM_IMPORT)) {
      for (const n of (m[2] ?? "").split(/[\s,]+/)) {
        if (/^[A-Z]\w*$/.test(n) && !ignore.has(n)) found.push({ at: m.index ?? 0, paths: [`${m[1]}.${n}`] });
      }
    }
    for (const m of text.matchAll(DOTTED)) {
      const last = m[0].slice(m[0].lastIndexOf(".") + 1);
      if (/^[A-Z]/.test(last) && !ignore.has(last)) found.push({ at: m.index ?? 0, paths: [m[0]] });
    }
    for (const m of text.matchAll(CLASS_NAME)) {
      const name = m[1] as string;
      if (ignore.has(name)) continue;
      const paths = pathsForBareName(kb, name);
      if (paths.length > 0) found.push({ at: m.index ?? 0, paths });
    }
    found.sort((a, b) => a.at - b.at);
    for (const f of found) out.push({ paths: f.paths, reason: label, preferred: preferredFor(f.paths) });
  }
  return out;
}

function preferredFor(paths: string[]): string[] {
  return KNOWN_CLASSES.find((k) => k.paths.some((p) => paths.includes(p)))?.methods ?? [];
}

/** A provider distribution the table does not know: the hooks module named after the provider. */
function providerHookPaths(kb: KnowledgeBase, dist: string): string[] {
  const id = dist.slice("apache-airflow-providers-".length);
  const shard = Object.keys(kb.index.shards).find((s) => s.replace(/\./g, "-") === id);
  if (!shard) return [];
  const last = shard.split(".").pop() as string;
  const out: string[] = [];
  for (const module of kb.index.shards[shard] ?? []) {
    if (!module.endsWith(`.hooks.${last}`)) continue;
    const entry = kb.module(module);
    for (const [name, variants] of Object.entries(entry?.names ?? {})) {
      if (name.endsWith("Hook") && variants.some((v) => v.k === "class" && !v.from)) out.push(`${module}.${name}`);
    }
  }
  return out.slice(0, 1);
}

function impliedCandidates(kb: KnowledgeBase, spec: ComponentSpec): Candidate[] {
  const out: Candidate[] = [];
  for (const dep of dependencyNames(spec)) {
    const known = KNOWN_CLASSES.filter((k) => k.keys.includes(dep));
    for (const k of known) out.push({ paths: k.paths, reason: `implied by the dependency ${dep}`, preferred: k.methods ?? [] });
    if (known.length === 0 && dep.startsWith("apache-airflow-providers-")) {
      for (const path of providerHookPaths(kb, dep)) out.push({ paths: [path], reason: `implied by the dependency ${dep}` });
    }
  }
  const category = spec.category.toLowerCase().trim();
  const words = new Set([category, ...category.split(/[^a-z0-9]+/).filter((w) => w !== "")]);
  for (const k of KNOWN_CLASSES) {
    if (k.keys.some((key) => words.has(key))) out.push({ paths: k.paths, reason: `implied by the category "${spec.category}"`, preferred: k.methods ?? [] });
  }
  return out;
}

/** Every fact the spec likely needs, ranked, before any budget: base class, named classes, implied hooks. */
export function apiFactsFor(spec: ComponentSpec, kb: KnowledgeBase, target: AirflowTarget): ApiFact[] {
  const words = specWords(spec);
  const candidates = [baseCandidate(spec, target), ...namedCandidates(kb, spec), ...impliedCandidates(kb, spec)];
  const facts: ApiFact[] = [];
  const byClass = new Map<string, ApiFact>();
  const tried = new Map<string, ApiFact | undefined>();
  for (const c of candidates) {
    const key = c.paths.join("|");
    const fact = tried.has(key) ? tried.get(key) : buildFact(kb, c, target, words);
    tried.set(key, fact);
    if (!fact) continue;
    const existing = byClass.get(fact.qualified);
    if (existing) {
      if (!existing.reasons.includes(c.reason)) existing.reasons.push(c.reason);
      continue;
    }
    const own = { ...fact, reasons: [c.reason] };
    byClass.set(fact.qualified, own);
    facts.push(own);
  }
  // A class only the category implies adds nothing when a chosen class already inherits from it
  // (DbApiHook under PostgresHook).
  const inherited = new Set<string>();
  for (const f of facts) {
    const mro = kb.mro(f.qualified, 1 << kb.versions.findIndex((v) => v.id === f.source.version));
    if (mro.status === "found") for (const c of mro.value.slice(1)) inherited.add(c.qualified);
  }
  return facts.filter((f) => !(inherited.has(f.qualified) && f.reasons.every((r) => r.startsWith("implied by the category"))));
}

function inlineCode(text: string): string {
  return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function initLines(fact: ApiFact): string[] {
  const init = fact.init;
  if (!init) return [];
  const inherited = init.owner === fact.qualified ? "" : ` (defined in \`${init.owner.split(".").pop()}\`)`;
  if (init.text.length <= LONG_INIT) {
    // A base class's own base takes the task arguments everyone knows; its names would only mislead.
    const names = init.kwargsTo && fact.role !== "base" && init.kwargsTo.params.length > 0 ? `: ${shortList(init.kwargsTo.params)}` : "";
    const to = init.kwargsTo ? `; \`**kwargs\` go to \`${init.kwargsTo.owner.split(".").pop()}\`${names}` : "";
    return [`- ${inlineCode(init.text)}${inherited}${to}`];
  }
  return [`- \`__init__\` keyword arguments${inherited}${fact.role === "base" ? " (pass them on through `**kwargs`)" : ""}: ${shortList(init.params)}`];
}

function shortList(names: string[]): string {
  if (names.length <= MAX_NAMES_ONLY) return names.join(", ");
  return `${names.slice(0, MAX_NAMES_ONLY).join(", ")}, … (${names.length - MAX_NAMES_ONLY} more)`;
}

function joinWords(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** "named in the requirements and description; implied by the dependency x and the category "http"". */
export function describeReasons(reasons: string[]): string {
  const named = reasons.filter((r) => r.startsWith("named in the ")).map((r) => r.slice("named in the ".length));
  const implied = reasons.filter((r) => r.startsWith("implied by ")).map((r) => r.slice("implied by ".length));
  const other = reasons.filter((r) => !r.startsWith("named in the ") && !r.startsWith("implied by "));
  return [
    ...other,
    ...(named.length > 0 ? [`named in the ${joinWords(named)}`] : []),
    ...(implied.length > 0 ? [`implied by ${joinWords(implied)}`] : []),
  ].join("; ");
}

/** One class as the prompt shows it. */
export function renderApiFact(fact: ApiFact): string {
  const role = fact.role === "base" ? "" : ` (${fact.role})`;
  const out = [`## ${fact.name}${role}: ${describeReasons(fact.reasons)}`];
  if (fact.imports.length === 1) out.push(inlineCode(fact.imports[0] as string));
  else out.push("```python", ...fact.imports, "```");
  for (const major of fact.missingOn) out.push(`Not in Airflow ${major}.`);
  if (fact.distribution) {
    const mixed = fact.importStatements.some((st) => !st.startsWith("from airflow.providers."));
    out.push(`Provider package: \`${fact.distribution}\`${mixed ? " (for the `airflow.providers` import)" : ""}.`);
  }
  if (fact.deprecated) out.push(`Deprecated: ${fact.deprecated}`);
  const attrs = Object.entries(fact.attrs).map(([k, v]) => `${k} = ${v}`);
  if (attrs.length > 0) out.push(`- ${attrs.map(inlineCode).join(", ")}`);
  out.push(...initLines(fact));
  for (const m of fact.methods) out.push(`- ${inlineCode(m.text)}`);
  return out.join("\n");
}

function describeSources(facts: ApiFact[]): string {
  const seen = new Map<string, string>();
  for (const f of facts) seen.set(f.source.version, `${f.source.version} (\`${f.source.ref}\` @ ${f.source.commit.slice(0, 10)})`);
  return [...seen.values()].join(", ");
}

/** The prompt section for these facts ("" when there are none). */
export function renderApiFacts(facts: ApiFact[]): string {
  if (facts.length === 0) return "";
  const intro = [
    API_FACTS_HEADING,
    `Import paths and signatures as Airflow's source defines them, read from Airflow ${describeSources(facts)}. Use these classes where the spec needs them, with exactly these import paths, argument names and methods; do not call members of them that are not listed here unless you are sure they exist.`,
  ];
  return [...intro, ...facts.map(renderApiFact)].join("\n\n");
}

/**
 * The facts for the prompt within `budget` tokens. First every class the spec names or its dependencies
 * imply (a class that does not fit is skipped and the next ones are still tried), then their first methods
 * one rank at a time across classes, then the classes only the category implies, then the remaining
 * methods: a budget spreads over what the spec asks for before it deepens any one class or guesses more.
 */
export function groundSpec(
  spec: ComponentSpec,
  kb: KnowledgeBase,
  target: AirflowTarget,
  budget: number = DEFAULT_API_FACTS_TOKEN_BUDGET,
): Grounding {
  return fitApiFacts(apiFactsFor(spec, kb, target), budget);
}

/** Methods each named or dependency-implied class gets before the category's guesses are added. */
const FIRST_METHODS = 3;

export function fitApiFacts(all: ApiFact[], budget: number): Grounding {
  const state = all.map((fact) => ({ fact, included: false, methods: 0 }));
  const given = () => state.filter((s) => s.included).map((s) => ({ ...s.fact, methods: s.fact.methods.slice(0, s.methods) }));
  const fits = () => estimate(renderApiFacts(given())) <= budget;
  const addClasses = (list: typeof state) => {
    for (const s of list) {
      s.included = true;
      if (!fits()) s.included = false;
    }
  };
  const addMethods = (list: typeof state, upTo: number) => {
    for (let rank = 0; rank < upTo; rank++) {
      for (const s of list) {
        if (!s.included || s.methods !== rank || rank >= s.fact.methods.length) continue;
        s.methods += 1;
        if (!fits()) s.methods -= 1;
      }
    }
  };
  const guessed = (f: ApiFact) => f.reasons.every((r) => r.startsWith("implied by the category"));
  const asked = state.filter((s) => !guessed(s.fact));
  addClasses(asked);
  addMethods(asked, FIRST_METHODS);
  addClasses(state.filter((s) => guessed(s.fact)));
  addMethods(state, MAX_METHODS);
  const facts = given();
  const text = renderApiFacts(facts);
  return { facts, dropped: state.filter((s) => !s.included).map((s) => s.fact), text, tokens: estimate(text), budget };
}
