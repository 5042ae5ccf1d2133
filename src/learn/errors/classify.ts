import type { CiFailure } from "../../ci/types.js";
import { abstractMessage } from "./signature.js";

export type ErrorKind =
  | "syntax"
  | "import"
  | "parameter_ordering"
  | "template_fields"
  | "name"
  | "type"
  | "attribute"
  | "dependency_conflict"
  | "test_failure"
  | "security"
  | "timeout"
  | "unknown";

export interface ErrorSignature {
  /** The message with names, numbers, paths and quotes abstracted, prefixed by exception type or rule. */
  signature: string;
  kind: ErrorKind;
  rootCause: string;
  fixStrategy: string;
  /** Which entry of the known-signature table matched, or `generic:<kind>` when none did. */
  matched: string;
  /** The literal the known entry is about: a module, keyword, template field or rule code. */
  subject?: string;
}

/** A CI failure, or just its message with what else is known about it. */
export interface FailureLike {
  message: string;
  exceptionType?: string | undefined;
  ruleCode?: string | undefined;
  kind?: CiFailure["kind"] | undefined;
}

/** A finding of opforge's own validator. */
export interface ValidatorFindingLike {
  rule: string;
  category: string;
  message: string;
}

export type SignatureInput = FailureLike | ValidatorFindingLike;

interface KnownSignature {
  id: string;
  /** Tested against `Type: message` (or `RULE message`), so either part can be matched. */
  pattern: RegExp;
  kind: ErrorKind;
  rootCause: string | ((subject: string | undefined) => string);
  fixStrategy: string | ((subject: string | undefined) => string);
  /** Which capture group of `pattern` holds the subject. */
  subjectGroup?: number;
}

/** Arguments `BaseOperator.__init__` (and sensors) accept: refusing one means `**kwargs` is missing. */
const BASE_OPERATOR_ARGUMENTS: ReadonlySet<string> = new Set([
  "task_id", "dag", "owner", "email", "retries", "retry_delay", "start_date", "end_date", "depends_on_past",
  "pool", "queue", "priority_weight", "trigger_rule", "execution_timeout", "on_failure_callback",
  "on_success_callback", "on_retry_callback", "doc_md", "params", "default_args", "task_group",
  "do_xcom_push", "executor_config", "mode", "poke_interval", "timeout", "soft_fail", "deferrable",
]);

const REMOVED_CONTEXT_KEYS = "execution_date|next_ds|prev_ds|next_execution_date|prev_execution_date|tomorrow_ds|yesterday_ds";

const ISOLATION =
  "install extra libraries in a second pip call that repeats apache-airflow==X.Y.Z under Airflow's constraints file, loosen the pin to Airflow's version, or isolate the library with PythonVirtualenvOperator, ExternalPythonOperator or a container";

/** Known mistakes, most specific first (the Airflow notes' "How wrong components fail" table). */
const KNOWN: readonly KnownSignature[] = [
  {
    id: "parameter_after_default",
    pattern: /non-default argument follows default argument|parameter without a default follows parameter with a default|Parameter without a default cannot follow a parameter with a default/i,
    kind: "parameter_ordering",
    rootCause: "a parameter without a default follows one with a default in a function signature",
    fixStrategy: "make the constructor keyword-only (`def __init__(self, *, ...)`), or move required parameters before defaulted ones",
  },
  {
    id: "parameter_after_var_keyword",
    pattern: /arguments cannot follow var-keyword argument|Parameter cannot follow var-keyword parameter/i,
    kind: "parameter_ordering",
    rootCause: "a parameter follows `**kwargs` in a function signature",
    fixStrategy: "put `**kwargs` last in the signature",
  },
  {
    id: "execute_without_context",
    pattern: /\.(?:execute|poke)\(\) got an unexpected keyword argument '(context)'/,
    kind: "type",
    rootCause: "Airflow calls execute/poke with `context=` as a keyword, and the method's parameter is not named `context`",
    fixStrategy: "declare the method as `def execute(self, context)` (or `def poke(self, context)`)",
    subjectGroup: 1,
  },
  {
    id: "resume_without_event",
    pattern: /\.(?:\w+)\(\) got an unexpected keyword argument '(event)'/,
    kind: "type",
    rootCause: "the deferral resume method does not take `event`",
    fixStrategy: "declare the resume method as `def execute_complete(self, context, event=None)`",
    subjectGroup: 1,
  },
  {
    id: "init_without_kwargs",
    pattern: /__init__\(\) got an unexpected keyword argument '(\w+)'/,
    kind: "type",
    rootCause: (arg) =>
      arg !== undefined && BASE_OPERATOR_ARGUMENTS.has(arg)
        ? `__init__ does not accept **kwargs, so BaseOperator's argument '${arg}' is rejected`
        : `the constructor has no parameter '${arg ?? "?"}' and no **kwargs to take it`,
    fixStrategy: (arg) =>
      arg !== undefined && BASE_OPERATOR_ARGUMENTS.has(arg)
        ? "declare `def __init__(self, *, ..., **kwargs)` and call `super().__init__(**kwargs)`"
        : `add '${arg ?? "?"}' as a keyword parameter of __init__, or stop passing it`,
    subjectGroup: 1,
  },
  {
    id: "super_init_without_kwargs",
    pattern: /missing (?:keyword argument|\d+ required keyword-only argument:) '(task_id)'/,
    kind: "type",
    rootCause: "`super().__init__()` is called without **kwargs, so BaseOperator never receives task_id",
    fixStrategy: "call `super().__init__(**kwargs)` with the keyword arguments __init__ received",
    subjectGroup: 1,
  },
  {
    id: "template_field_not_assigned",
    pattern: /'(\w+)' is configured as a template field but \S+ does not have this attribute/,
    kind: "template_fields",
    rootCause: (field) => `template field '${field ?? "?"}' is never assigned as an attribute of the same name`,
    fixStrategy: "for every entry of template_fields, take a constructor parameter of that name and assign `self.<name> = <name>` directly",
    subjectGroup: 1,
  },
  {
    id: "invalid_operator_arguments",
    pattern: /Invalid arguments were passed to/,
    kind: "type",
    rootCause: "an argument BaseOperator does not know was passed through **kwargs to `super().__init__`",
    fixStrategy: "make the argument a named parameter of __init__ instead of forwarding it to super()",
  },
  {
    id: "positional_operator_arguments",
    pattern: /Use keyword arguments when initializing operators/,
    kind: "type",
    rootCause: "the operator was constructed with positional arguments",
    fixStrategy: "make __init__ keyword-only (`*`) and construct operators with keyword arguments",
  },
  {
    id: "sensor_mode",
    pattern: /The mode must be one of/,
    kind: "type",
    rootCause: "a sensor was given a mode other than 'poke' or 'reschedule'",
    fixStrategy: "pass mode='poke' or mode='reschedule'",
  },
  {
    id: "sensor_interval",
    pattern: /Operator arg (poke_interval|timeout) must be timedelta object or a non-negative number/,
    kind: "type",
    rootCause: (arg) => `a sensor's ${arg ?? "interval"} is neither a timedelta nor a non-negative number`,
    fixStrategy: "pass a timedelta or a non-negative number of seconds",
    subjectGroup: 1,
  },
  {
    id: "removed_context_key",
    pattern: new RegExp(`KeyError: '(${REMOVED_CONTEXT_KEYS})'|context\\[["'](${REMOVED_CONTEXT_KEYS})["']\\]`),
    kind: "attribute",
    rootCause: (key) => `the task context key '${key ?? "?"}' was removed in Airflow 3`,
    fixStrategy: "use logical_date, data_interval_start or data_interval_end",
    subjectGroup: 1,
  },
  {
    id: "apply_defaults_removed",
    pattern: /cannot import name '(apply_defaults)'/,
    kind: "import",
    rootCause: "`apply_defaults` is imported, but it is deprecated since Airflow 2.0 and removed in 3",
    fixStrategy: "remove the import and the @apply_defaults decorator",
    subjectGroup: 1,
  },
  {
    id: "airflow3_import_on_airflow2",
    pattern: /No module named '(airflow\.sdk)(?:[.'])/,
    kind: "import",
    rootCause: "an Airflow 3 import (`airflow.sdk`) runs on Airflow 2",
    fixStrategy: "import with `try: from airflow.sdk import X` / `except ImportError: from <2.x path> import X`",
    subjectGroup: 1,
  },
  {
    id: "provider_not_installed",
    pattern: /No module named '(airflow\.providers\.[a-z_]+)/,
    kind: "import",
    rootCause: (module) => `the provider package for ${module ?? "the hook"} is not installed`,
    fixStrategy: (module) =>
      `add apache-airflow-providers-${(module ?? "").split(".")[2]?.replace(/_/g, "-") ?? "<name>"} to the requirements, under Airflow's constraints`,
    subjectGroup: 1,
  },
  {
    id: "cannot_import_name",
    pattern: /cannot import name '(\w+)' from '([\w.]+)'/,
    kind: "import",
    rootCause: (name) => `'${name ?? "?"}' is not in that module in the installed version (moved, renamed or removed)`,
    fixStrategy: "import from the path the target Airflow version documents; for both 2.x and 3.x, try the new path and fall back on ImportError",
    subjectGroup: 1,
  },
  {
    id: "module_not_found",
    pattern: /No module named '([\w.]+)'/,
    kind: "import",
    rootCause: (module) => `module '${module ?? "?"}' is not installed in the CI environment, or the import path is wrong`,
    fixStrategy: "add the distribution to the requirements (installed under Airflow's constraints), prefer a provider hook over a raw client, or correct the import path",
    subjectGroup: 1,
  },
  {
    id: "dagbag_import_timeout",
    pattern: /DagBag import timeout for/,
    kind: "timeout",
    rootCause: "heavy work at module level (imports, network calls, model loading) runs while the DAG is parsed",
    fixStrategy: "move heavy imports and work into execute()/poke(); keep module level to cheap definitions",
  },
  {
    id: "job_timeout",
    pattern: /has exceeded the maximum execution time/,
    kind: "timeout",
    rootCause: "the CI job ran past its time limit: a test waits on a real network call, a sleep or a sensor that never succeeds",
    fixStrategy: "mock hooks and network calls in tests, never sleep in poke(), and give sensors short timeouts in tests",
  },
  {
    id: "test_timeout",
    pattern: /^Failed: Timeout/,
    kind: "timeout",
    rootCause: "a test exceeded pytest-timeout's limit",
    fixStrategy: "mock hooks and network calls in tests; never sleep in poke()",
  },
  {
    id: "pandas_sqlalchemy",
    pattern: /'Connection' object has no attribute 'cursor'/,
    kind: "dependency_conflict",
    rootCause: "pandas ≥ 2.2 is used with the SQLAlchemy 1.4 that Airflow pins",
    fixStrategy: "stay on Airflow's pandas pin (2.1.x), or pass a DBAPI connection from the hook (hook.get_conn())",
  },
  {
    id: "resolution_impossible",
    pattern: /conflicting dependencies|ResolutionImpossible|No solution found when resolving/,
    kind: "dependency_conflict",
    rootCause: "a required library version conflicts with Airflow's pinned dependencies",
    fixStrategy: ISOLATION,
  },
  {
    id: "no_matching_distribution",
    pattern: /No matching distribution found for ([\w.[\]-]+)/,
    kind: "dependency_conflict",
    rootCause: (req) => `no release of ${req ?? "the package"} fits this Python version, platform or constraints`,
    fixStrategy: "check the distribution name, and pin a version that exists for this Python and is allowed by Airflow's constraints",
    subjectGroup: 1,
  },
  {
    id: "incompatible_install",
    pattern: /requires .+, but you have .+ which is incompatible/,
    kind: "dependency_conflict",
    rootCause: "an installed library version breaks another package's requirement (often one of Airflow's pins)",
    fixStrategy: ISOLATION,
  },
  {
    id: "name_not_defined",
    pattern: /name '(\w+)' is not defined/,
    kind: "name",
    rootCause: (name) => `'${name ?? "?"}' is used but never imported or defined`,
    fixStrategy: "add the missing import or definition",
    subjectGroup: 1,
  },
  {
    id: "abstract_method_missing",
    pattern: /Can't instantiate abstract class \S+ with(?:out an implementation for)? abstract methods? '?(\w+)/,
    kind: "type",
    rootCause: (method) => `the class does not implement the abstract method '${method ?? "?"}'`,
    fixStrategy: "implement every abstract method of the base class (execute for operators, poke for sensors, run/serialize for triggers)",
    subjectGroup: 1,
  },
  {
    id: "missing_attribute",
    pattern: /'\w+' object has no attribute '(\w+)'/,
    kind: "attribute",
    rootCause: (attr) => `attribute '${attr ?? "?"}' is read but never assigned on the object`,
    fixStrategy: "assign it in __init__, or create it where it is used (hooks and clients in execute()/poke())",
    subjectGroup: 1,
  },
  {
    id: "module_attribute",
    pattern: /module '([\w.]+)' has no attribute '(\w+)'/,
    kind: "attribute",
    rootCause: (module) => `the installed version of '${module ?? "?"}' lacks a name the code uses`,
    fixStrategy: "use the name the installed library version provides, or pin the version the code was written for",
    subjectGroup: 1,
  },
  {
    id: "wrong_argument_count",
    pattern: /takes \d+ positional arguments? but \d+ (?:were|was) given|missing \d+ required positional arguments?/,
    kind: "type",
    rootCause: "a function is called with a different number of arguments than it declares",
    fixStrategy: "match the call to the signature (Airflow passes `context` by keyword to execute/poke)",
  },
  {
    id: "syntax",
    pattern: /^(?:SyntaxError|IndentationError|TabError)\b|expected ':'|was never closed|invalid syntax|unexpected EOF|unexpected indent|unindent does not match|expected an indented block/,
    kind: "syntax",
    rootCause: "the file does not parse",
    fixStrategy: "fix the syntax at the reported line; check with `python -m py_compile`",
  },
];

interface SecurityRule {
  codes: RegExp;
  rootCause: string;
  fixStrategy: string;
}

const SECURITY_RULES: readonly SecurityRule[] = [
  {
    codes: /^(?:S105|S106|S107|B105|B106|B107)$/,
    rootCause: "a password, token or key is hard-coded",
    fixStrategy: "read credentials from an Airflow connection (`self.get_connection(conn_id)`) or a secrets backend",
  },
  {
    codes: /^(?:S602|S604|S605|S609|B602|B604|B605)$/,
    rootCause: "a subprocess runs through a shell",
    fixStrategy: "pass an argument list without shell=True (or use a provider hook / BashOperator)",
  },
  { codes: /^(?:S307|S102|B307|B102)$/, rootCause: "eval/exec runs dynamic code", fixStrategy: "parse data with json.loads or ast.literal_eval" },
  { codes: /^(?:S301|S403|B301|B403)$/, rootCause: "pickle deserializes untrusted data", fixStrategy: "serialize with json" },
  { codes: /^(?:S506|B506)$/, rootCause: "yaml.load without a safe loader", fixStrategy: "use yaml.safe_load" },
  { codes: /^(?:S608|B608)$/, rootCause: "SQL is built by string formatting", fixStrategy: "pass parameters to the hook (`parameters=`) instead of formatting SQL" },
  { codes: /^(?:S113)$/, rootCause: "an HTTP request has no timeout", fixStrategy: "pass timeout= or use HttpHook" },
  { codes: /^(?:S501|B501)$/, rootCause: "TLS certificate verification is disabled", fixStrategy: "keep verify=True; configure the CA bundle on the connection" },
  { codes: /^(?:S108|B108)$/, rootCause: "a fixed /tmp path is used", fixStrategy: "use the tempfile module" },
  { codes: /^(?:S101|B101)$/, rootCause: "assert is used for runtime checks outside tests", fixStrategy: "raise an exception (ValueError, AirflowException) instead" },
];

const GENERIC: Readonly<Record<ErrorKind, { rootCause: string; fixStrategy: string }>> = {
  syntax: { rootCause: "the file does not parse", fixStrategy: "fix the syntax at the reported line; check with `python -m py_compile`" },
  import: { rootCause: "a module or name cannot be imported", fixStrategy: "correct the import path for the target Airflow version, or add the missing distribution" },
  parameter_ordering: { rootCause: "parameters are declared in an invalid order", fixStrategy: "use keyword-only parameters (`*`) and put **kwargs last" },
  template_fields: { rootCause: "template_fields and the constructor disagree", fixStrategy: "make every template field a constructor parameter assigned to `self.<name>`" },
  name: { rootCause: "a name is used but not defined", fixStrategy: "add the missing import or definition" },
  type: { rootCause: "a call does not match the signature it reaches", fixStrategy: "match the call to the signature; operators take keyword arguments and forward **kwargs" },
  attribute: { rootCause: "an attribute is read that the object does not have", fixStrategy: "assign the attribute before use, or use the name the library provides" },
  dependency_conflict: { rootCause: "library versions conflict with each other or with Airflow's pins", fixStrategy: ISOLATION },
  test_failure: { rootCause: "a generated test's expectation does not hold", fixStrategy: "compare the test with the component's behaviour and fix whichever is wrong" },
  security: { rootCause: "code a security linter flags", fixStrategy: "follow the rule's advice; keep secrets in connections" },
  timeout: { rootCause: "work ran past a time limit", fixStrategy: "keep module level light and mock slow calls in tests" },
  unknown: { rootCause: "not recognised", fixStrategy: "read the excerpt; no known remedy" },
};

const KIND_BY_EXCEPTION: Readonly<Record<string, ErrorKind>> = {
  SyntaxError: "syntax",
  IndentationError: "syntax",
  TabError: "syntax",
  ImportError: "import",
  ModuleNotFoundError: "import",
  NameError: "name",
  UnboundLocalError: "name",
  TypeError: "type",
  AttributeError: "attribute",
  AssertionError: "test_failure",
  Failed: "test_failure",
  AirflowTaskTimeout: "timeout",
  TimeoutError: "timeout",
  JobTimeout: "timeout",
  ResolutionImpossible: "dependency_conflict",
  DistributionNotFound: "dependency_conflict",
  IncompatibleInstall: "dependency_conflict",
};

const KIND_BY_FAILURE_KIND: Readonly<Record<CiFailure["kind"], ErrorKind>> = {
  syntax: "syntax",
  import: "import",
  name: "name",
  type: "type",
  attribute: "attribute",
  test_failure: "test_failure",
  lint: "unknown",
  dependency_conflict: "dependency_conflict",
  dag_import: "import",
  timeout: "timeout",
  unknown: "unknown",
};

/** mypy error codes and the ruff/flake8 codes that are not style. */
function kindForRuleCode(code: string): ErrorKind | undefined {
  if (/^[SB]\d{3}$/.test(code)) return "security";
  if (code === "E999" || code === "syntax") return "syntax";
  if (/^F82[123]$/.test(code) || code === "name-defined") return "name";
  if (/^AIR3\d\d$/.test(code) || code === "import-not-found" || code === "import-untyped" || code === "import") return "import";
  if (code === "attr-defined" || code === "union-attr") return "attribute";
  if (/^(?:arg-type|call-arg|call-overload|return-value|assignment|misc|override)$/.test(code)) return "type";
  return undefined;
}

/** Validator rule ids and categories by the words they use. */
function kindForFinding(rule: string, category: string): ErrorKind {
  const words = `${rule} ${category}`.toLowerCase();
  if (/secur|secret|password|credential|shell|eval|exec\b|inject|pickle/.test(words)) return "security";
  if (/template/.test(words)) return "template_fields";
  if (/syntax|indent|parse/.test(words)) return "syntax";
  if (/order|default-after|non-default/.test(words)) return "parameter_ordering";
  if (/import|module|dependenc|librar|version/.test(words)) return "import";
  if (/timeout|sleep|top-level|module-level|heavy/.test(words)) return "timeout";
  if (/undefined|unknown-name|name-error/.test(words)) return "name";
  if (/kwargs|signature|init|execute|context|super|argument|param/.test(words)) return "type";
  if (/attribute/.test(words)) return "attribute";
  return "unknown";
}

function resolve(value: string | ((subject: string | undefined) => string), subject: string | undefined): string {
  return typeof value === "function" ? value(subject) : value;
}

function isFinding(input: SignatureInput): input is ValidatorFindingLike {
  return "rule" in input && typeof input.rule === "string" && "category" in input;
}

/**
 * The signature of an error (a CI failure or a validator finding) and what it usually means: its kind,
 * root cause and the fix that usually works. Known Airflow mistakes are matched first; otherwise the
 * exception type, rule code or failure kind decides.
 */
export function errorSignature(input: SignatureInput): ErrorSignature {
  const message = input.message ?? "";
  const finding = isFinding(input) ? input : undefined;
  const failure = finding ? undefined : (input as FailureLike);
  const label = finding?.rule ?? failure?.exceptionType ?? failure?.ruleCode;
  const abstracted = abstractMessage(message);
  const signature = label ? (abstracted ? `${label}: ${abstracted}` : label) : abstracted;
  const text = `${failure?.exceptionType ?? ""}${failure?.exceptionType ? ": " : ""}${message}`;

  for (const known of KNOWN) {
    const match = known.pattern.exec(text);
    if (!match) continue;
    const subject = known.subjectGroup === undefined ? undefined : (match[known.subjectGroup] ?? match[known.subjectGroup + 1]);
    const result: ErrorSignature = {
      signature,
      kind: known.kind,
      rootCause: resolve(known.rootCause, subject),
      fixStrategy: resolve(known.fixStrategy, subject),
      matched: known.id,
    };
    if (subject !== undefined) result.subject = subject;
    return result;
  }

  const code = failure?.ruleCode;
  if (code !== undefined) {
    const security = SECURITY_RULES.find((rule) => rule.codes.test(code));
    if (security) return { signature, kind: "security", rootCause: security.rootCause, fixStrategy: security.fixStrategy, matched: `security:${code}`, subject: code };
  }

  const kind: ErrorKind = finding
    ? kindForFinding(finding.rule, finding.category)
    : (failure?.exceptionType !== undefined ? KIND_BY_EXCEPTION[failure.exceptionType] : undefined) ??
      (code !== undefined ? kindForRuleCode(code) : undefined) ??
      (failure?.kind !== undefined ? KIND_BY_FAILURE_KIND[failure.kind] : undefined) ??
      "unknown";
  const generic = GENERIC[kind];
  const result: ErrorSignature = { signature, kind, rootCause: generic.rootCause, fixStrategy: generic.fixStrategy, matched: `generic:${kind}` };
  if (code !== undefined) result.subject = code;
  if (kind === "unknown" && code !== undefined) {
    result.rootCause = `lint rule ${code}`;
    result.fixStrategy = "follow the rule's documented fix";
  }
  return result;
}
