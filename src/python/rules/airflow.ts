/** Airflow rules: the structure of an operator, sensor or hook, and what Airflow 3 removed. */
import type { Analysis, ComponentClass } from "../analysis.js";
import { componentKindOfClass } from "../analysis.js";
import { REMOVED_CONTEXT_KEYS, targetsAirflow3 } from "../airflow-paths.js";
import type { ClassFact, FunctionFact } from "../facts.js";
import type { PyNode } from "../parser.js";
import { field, namedChildren, stringBody, stringValue, unparen, walk } from "../tree.js";
import type { ComponentKind } from "../types.js";
import type { Hit, Rule } from "./rule.js";
import { hitAt } from "./rule.js";

const DIRECT_BASES: Record<ComponentKind, string> = { operator: "BaseOperator", sensor: "BaseSensorOperator", hook: "BaseHook" };

function baseImportHint(kind: ComponentKind, version: string): string {
  const base = DIRECT_BASES[kind];
  const v2 = kind === "operator" ? "airflow.models.baseoperator" : kind === "sensor" ? "airflow.sensors.base" : "airflow.hooks.base";
  const v3 = kind === "hook" ? "airflow.hooks.base" : "airflow.sdk";
  if (version === "2") return `from ${v2} import ${base}`;
  if (version === "3") return `from ${v3} import ${base}`;
  return v2 === v3 ? `from ${v2} import ${base}` : `from ${v3} import ${base} (fallback ${v2} on Airflow 2)`;
}

/** The component classes the structure rules look at, with the kind each is checked as. */
export function structureTargets(a: Analysis): ComponentClass[] {
  if (a.options.kind !== "component") return [];
  if (a.options.className) {
    const cls = a.facts?.classes.find((c) => c.name === a.options.className);
    if (!cls) return [];
    const type = a.options.componentType ?? componentKindOfClass(cls);
    return type ? [{ cls, type }] : [];
  }
  return a.components.filter((c) => !isRemovedStub(c.cls));
}

/** A class kept only to fail loudly (`__init__` that just raises), as providers do for removed components. */
function isRemovedStub(cls: ClassFact): boolean {
  const init = cls.methods.get("__init__");
  if (!init?.body) return false;
  const body = namedChildren(init.body).filter((n) => !(n.type === "expression_statement" && n.children[0]?.type === "string"));
  return body[0]?.type === "raise_statement";
}

function withArticle(word: string): string {
  return `${/^[aeiou]/.test(word) ? "an" : "a"} ${word}`;
}

function lastSegment(name: string): string {
  return name.split(".").pop() ?? name;
}

/** Derives straight from the Airflow base of its kind (so it must implement the abstract methods itself). */
export function derivesDirectly(cls: ClassFact, kind: ComponentKind): boolean {
  return cls.bases.some((b) => lastSegment(b) === DIRECT_BASES[kind]);
}

function looksAbstract(cls: ClassFact): boolean {
  if (/Base|Abstract|Mixin$|^_/.test(cls.name)) return true;
  if (cls.bases.some((b) => /(^|\.)(ABC|ABCMeta|Protocol|Generic)$/.test(b))) return true;
  for (const m of cls.methods.values()) if (m.decorators.some((d) => /abstractmethod$/.test(d.name))) return true;
  return false;
}

function baseClass(a: Analysis): Hit[] {
  if (a.options.kind !== "component" || !a.facts) return [];
  const wanted = a.options.componentType;
  const version = a.options.airflowVersion;
  if (a.options.className) {
    const cls = a.facts.classes.find((c) => c.name === a.options.className);
    if (!cls) {
      return [{ line: 1, column: 1, message: `class ${a.options.className} named by the spec is not defined in this file` }];
    }
    const kind = componentKindOfClass(cls);
    if (wanted && kind !== wanted) {
      const bases = cls.bases.length ? cls.bases.join(", ") : "nothing";
      return [hitAt(a, cls.nameNode, `class ${cls.name} derives from ${bases}; ${withArticle(wanted)} must derive from ${DIRECT_BASES[wanted]} (${baseImportHint(wanted, version)})`)];
    }
    return [];
  }
  if (!wanted) return [];
  if (a.components.some((c) => c.type === wanted)) return [];
  const other = a.components[0];
  if (other) {
    // A deferrable operator that waits (defer + execute) is a legitimate way to write a sensor.
    const sensorAsOperator = wanted === "sensor" && other.type === "operator" && other.cls.methods.has("execute");
    return [
      hitAt(
        a,
        other.cls.nameNode,
        `class ${other.cls.name} looks like ${withArticle(other.type)}, but the component is ${withArticle(wanted)}; derive it from ${DIRECT_BASES[wanted]} (${baseImportHint(wanted, version)})`,
        sensorAsOperator ? { severity: "warning" } : {},
      ),
    ];
  }
  // Without a class name from the spec this may be a helper module next to the components: warn only.
  return [
    {
      line: 1,
      column: 1,
      message: `no class deriving from ${DIRECT_BASES[wanted]} found; ${withArticle(wanted)} module defines one (${baseImportHint(wanted, version)})`,
      severity: "warning",
    },
  ];
}

function secondParamIsContext(fn: FunctionFact): boolean {
  const rest = fn.params.slice(1).filter((p) => p.kind !== "slash" && p.kind !== "bare-star");
  if (rest.some((p) => p.kind === "kwargs")) return true;
  return rest.some((p) => p.name === "context" && p.kind === "plain");
}

function executeSignature(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const { cls, type } of structureTargets(a)) {
    if (type === "hook") continue;
    const deferTargets = new Set<string>();
    for (const node of a.nodes("keyword_argument")) {
      if (node.start < cls.node.start || node.end > cls.node.end) continue;
      if (a.text(field(node, "name") ?? node) === "method_name") {
        const target = stringValue(field(node, "value"), a.source);
        if (target) deferTargets.add(target);
      }
    }
    for (const name of new Set(["execute", "poke", "execute_complete", ...deferTargets])) {
      const fn = cls.methods.get(name);
      if (!fn || secondParamIsContext(fn)) continue;
      // A resume method nothing defers to is dead code: worth a warning, not a failure.
      const severity = name === "execute_complete" && !deferTargets.has(name) && !/\.defer\(/.test(a.text(cls.node)) ? "warning" : undefined;
      const got = fn.params.slice(1).map((p) => p.name);
      hits.push(
        hitAt(
          a,
          fn.paramsNode,
          `${cls.name}.${name}(${["self", ...got].join(", ")}): Airflow calls ${name}() with context= as a keyword (TypeError: ${cls.name}.${name}() got an unexpected keyword argument 'context'); declare it as ${name}(self, context${name === "execute" || name === "poke" ? "" : ", event=None"})`,
          {
            ...(severity ? { severity } : {}),
            fixable: name === "execute" || name === "poke" || (name === "execute_complete" && (fn.params[1]?.name === "event" || fn.params.length === 1)),
          },
        ),
      );
    }
  }
  return hits;
}

function missingMethod(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const { cls, type } of structureTargets(a)) {
    if (type === "hook" || !derivesDirectly(cls, type) || looksAbstract(cls)) continue;
    if (type === "operator" && !cls.methods.has("execute")) {
      hits.push(hitAt(a, cls.nameNode, `${cls.name} derives from BaseOperator but defines no execute(self, context); BaseOperator.execute raises NotImplementedError`));
    }
    if (type === "sensor" && !cls.methods.has("poke") && !cls.methods.has("execute")) {
      hits.push(hitAt(a, cls.nameNode, `${cls.name} derives from BaseSensorOperator but defines no poke(self, context) returning bool or PokeReturnValue`));
    }
  }
  return hits;
}

function hookGetConn(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const { cls, type } of structureTargets(a)) {
    if (type !== "hook" || !derivesDirectly(cls, "hook") || looksAbstract(cls)) continue;
    const getters = [...cls.methods.keys()].filter((m) => /^(get_conn|get_client|get_connection|get_session|get_async_conn|aget_conn|get_hook)/.test(m) || m === "conn" || m === "client");
    if (getters.length === 0) {
      hits.push(hitAt(a, cls.nameNode, `hook ${cls.name} has no connection getter; define get_conn() that reads self.get_connection(self.<conn_id>) and returns a client`));
    }
  }
  return hits;
}

function superInitCall(init: FunctionFact, a: Analysis): PyNode | undefined {
  let found: PyNode | undefined;
  if (!init.body) return undefined;
  walk(init.body, (node) => {
    if (found) return false;
    if (node.type === "function_definition" || node.type === "class_definition") return false;
    if (node.type !== "call") return;
    const fn = field(node, "function");
    if (fn?.type !== "attribute") return;
    const attr = field(fn, "attribute");
    if (!attr || a.text(attr) !== "__init__") return;
    const obj = field(fn, "object");
    if (!obj) return;
    if (obj.type === "call" && a.text(field(obj, "function") ?? obj) === "super") found = node;
    else if (obj.type === "identifier" || obj.type === "attribute") found = node;
  });
  return found;
}

export function initInfo(cls: ClassFact, a: Analysis): { init: FunctionFact; superCall?: PyNode; kwargsName?: string } | undefined {
  const init = cls.methods.get("__init__");
  if (!init) return undefined;
  const kwargs = init.params.find((p) => p.kind === "kwargs");
  return { init, superCall: superInitCall(init, a), kwargsName: kwargs?.name };
}

function initKwargs(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const { cls, type } of structureTargets(a)) {
    if (type === "hook") continue;
    const info = initInfo(cls, a);
    if (!info || info.kwargsName) continue;
    hits.push(
      hitAt(
        a,
        info.init.paramsNode,
        `${cls.name}.__init__ takes no **kwargs, so task_id and every BaseOperator argument fail (TypeError: ${cls.name}.__init__() got an unexpected keyword argument 'task_id'); add **kwargs and pass it to super().__init__(**kwargs)`,
      ),
    );
  }
  return hits;
}

function superInit(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const { cls, type } of structureTargets(a)) {
    const info = initInfo(cls, a);
    if (!info) continue;
    if (!info.superCall) {
      hits.push(
        hitAt(
          a,
          info.init.nameNode,
          type === "hook"
            ? `${cls.name}.__init__ never calls super().__init__(); BaseHook's setup (logging) is skipped`
            : `${cls.name}.__init__ never calls super().__init__(**kwargs), so BaseOperator is never initialised (missing keyword argument 'task_id'); call it first thing in __init__`,
          // Only a direct BaseHook subclass is known to take no required constructor arguments.
          type === "hook" ? { severity: "warning", fixable: derivesDirectly(cls, "hook") } : {},
        ),
      );
      continue;
    }
    if (type === "hook" || !info.kwargsName) continue;
    const args = field(info.superCall, "arguments");
    const passesKwargs = !!args && namedChildren(args).some((c) => c.type === "dictionary_splat");
    if (!passesKwargs) {
      hits.push(
        hitAt(
          a,
          info.superCall,
          `${cls.name}.__init__ calls super().__init__ without **${info.kwargsName}, so task_id and the other BaseOperator arguments are dropped (missing keyword argument 'task_id'); pass **${info.kwargsName}`,
        ),
      );
    }
  }
  return hits;
}

function applyDefaults(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  const v3 = targetsAirflow3(a.options.airflowVersion);
  const severity = v3 ? "error" : "warning";
  const why = v3 ? "removed in Airflow 3 (ImportError)" : "a no-op since Airflow 2.0";
  for (const imp of a.facts?.imports ?? []) {
    if (imp.module === "airflow.utils.decorators" && imp.names.some((n) => n.name === "apply_defaults")) {
      hits.push(hitAt(a, imp.node, `apply_defaults is ${why}; remove the import — BaseOperator applies default_args itself`, { severity }));
    }
  }
  for (const fn of a.facts?.functions ?? []) {
    for (const d of fn.decorators) {
      if (lastSegment(d.name) === "apply_defaults") {
        hits.push(hitAt(a, d.node, `@apply_defaults is ${why}; remove the decorator`, { severity }));
      }
    }
  }
  return hits;
}

/** `template_fields` whose value is one string, e.g. `("foo")`, which is not a tuple. */
export function stringTemplateFields(cls: ClassFact, a: Analysis): { node: PyNode; value: string } | undefined {
  const attr = cls.attributes.get("template_fields");
  const value = unparen(attr?.value);
  if (!attr?.value || !value) return undefined;
  const s = stringValue(value, a.source);
  return s === undefined ? undefined : { node: attr.value, value: s };
}

function templateFieldsString(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const cls of a.facts?.classes ?? []) {
    const hit = stringTemplateFields(cls, a);
    if (!hit) continue;
    hits.push(
      hitAt(
        a,
        hit.node,
        `${cls.name}.template_fields is the string ${JSON.stringify(hit.value)}, not a tuple (parentheses alone do not make a tuple); write ("${hit.value}",) — with one string Airflow warns and templates the wrong thing`,
      ),
    );
  }
  return hits;
}

function templateFieldUnassigned(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const { cls, type } of structureTargets(a)) {
    if (type === "hook") continue;
    const attr = cls.attributes.get("template_fields");
    const value = unparen(attr?.value);
    if (!value || !["tuple", "list", "set"].includes(value.type)) continue;
    const info = initInfo(cls, a);
    if (!info) continue;
    const direct = derivesDirectly(cls, type) && cls.bases.length === 1;
    const params = new Set(info.init.params.map((p) => p.name));
    for (const entry of namedChildren(value)) {
      const name = stringValue(entry, a.source);
      if (name === undefined || cls.properties.has(name)) continue;
      const assignments = cls.initAssignments.filter((s) => s.attr === name);
      if (assignments.length === 0) {
        hits.push(
          hitAt(
            a,
            entry,
            `template field '${name}' is never assigned in ${cls.name}.__init__ (AttributeError: '${name}' is configured as a template field but ${cls.name} does not have this attribute); add self.${name} = ${name}`,
            direct ? {} : { severity: "warning" },
          ),
        );
        continue;
      }
      const directAssign = assignments.some((s) => s.value && a.text(s.value) === name);
      if (!directAssign && params.has(name)) {
        hits.push(
          hitAt(
            a,
            assignments[0]?.node ?? entry,
            `template field '${name}' is assigned from an expression; Airflow's validate-operators-init check wants the parameter assigned as is (self.${name} = ${name}) and any processing done in execute()`,
            { severity: "warning" },
          ),
        );
      }
    }
  }
  return hits;
}

function versionGuarded(node: PyNode, a: Analysis): boolean {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === "if_statement" || p.type === "conditional_expression" || p.type === "elif_clause") {
      const cond = p.type === "conditional_expression" ? namedChildren(p)[1] : field(p, "condition");
      if (cond && /AIRFLOW_V_|AIRFLOW_3|version|logical_date/i.test(a.text(cond))) return true;
    }
    if (p.type === "boolean_operator" && /logical_date/.test(a.text(p))) return true;
  }
  return false;
}

const REMOVED_KEYS = Object.keys(REMOVED_CONTEXT_KEYS);
const JINJA_REMOVED = new RegExp(`\\{\\{[^}]*?(?<![.\\w])(${REMOVED_KEYS.join("|")})(?!\\w)`);

function removedContextKey(a: Analysis): Hit[] {
  if (!a.parsed) return [];
  const hits: Hit[] = [];
  const v3 = targetsAirflow3(a.options.airflowVersion);
  const extra = v3 ? {} : { severity: "warning" as const };
  const why = v3 ? "removed from the task context in Airflow 3 (KeyError)" : "deprecated since Airflow 2.2 and removed in 3";
  let nextBraces = a.source.indexOf("{{");
  for (const node of a.nodes("subscript", "call", "string")) {
    if (node.type === "subscript") {
      const key = stringValue(field(node, "subscript"), a.source);
      if (key && key in REMOVED_CONTEXT_KEYS && !versionGuarded(node, a)) {
        hits.push(hitAt(a, node, `context key '${key}' is ${why}; use '${REMOVED_CONTEXT_KEYS[key]}'`, extra));
      }
    } else if (node.type === "call") {
      const fn = field(node, "function");
      if (fn?.type === "attribute" && a.text(field(fn, "attribute") ?? fn) === "get") {
        const args = field(node, "arguments");
        const key = stringValue(args ? namedChildren(args)[0] : undefined, a.source);
        if (key && key in REMOVED_CONTEXT_KEYS && !versionGuarded(node, a)) {
          hits.push(hitAt(a, node, `context key '${key}' is ${why}; use '${REMOVED_CONTEXT_KEYS[key]}'`, extra));
        }
      }
    } else if (node.type === "string") {
      // Only a string holding "{{" can name a template variable; most strings are skipped without a copy.
      // Nodes come in source order, so one forward search serves every string up to the next "{{".
      if (nextBraces !== -1 && nextBraces < node.start) nextBraces = a.source.indexOf("{{", node.start);
      if (nextBraces === -1 || nextBraces >= node.end) continue;
      const m = JINJA_REMOVED.exec(stringBody(node, a.source));
      if (m && !versionGuarded(node, a)) {
        hits.push(hitAt(a, node, `template variable '${m[1]}' is ${why}; use '${REMOVED_CONTEXT_KEYS[m[1] ?? ""] ?? "logical_date"}'`, extra));
      }
    }
  }
  return hits;
}

function provideContext(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  const v3 = targetsAirflow3(a.options.airflowVersion);
  for (const call of a.facts?.calls ?? []) {
    for (const kw of call.keywords) {
      if (kw.name !== "provide_context") continue;
      hits.push(
        hitAt(
          a,
          kw.node,
          v3
            ? "provide_context was removed in Airflow 3 (Invalid arguments were passed); drop it — the callable receives the context keys it names"
            : "provide_context is deprecated since Airflow 2.0 (the context is always provided); drop it",
          v3 ? {} : { severity: "warning" },
        ),
      );
    }
  }
  return hits;
}

function sleepInPoke(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  const sleepNames = new Set(["time.sleep"]);
  for (const imp of a.facts?.imports ?? []) {
    if (imp.module === "time") for (const n of imp.names) if (n.name === "sleep") sleepNames.add(n.alias ?? "sleep");
  }
  for (const fn of a.facts?.functions ?? []) {
    if (fn.name !== "poke" || !fn.owner) continue;
    for (const call of a.facts?.calls ?? []) {
      if (call.node.start < fn.node.start || call.node.end > fn.node.end) continue;
      if (call.callee && sleepNames.has(call.callee)) {
        hits.push(hitAt(a, call.node, "sleeping inside poke() holds a worker slot; return False and let poke_interval (or mode=\"reschedule\") do the waiting"));
      }
    }
  }
  return hits;
}

/** Calls that are cheap and customary at module level (logging setup, constants, typing helpers). */
const LIGHT_CALLS = new Set([
  "getLogger", "TypeVar", "ParamSpec", "NewType", "namedtuple", "NamedTuple", "TypedDict", "compile", "get", "getenv",
  "getboolean", "getint", "getfloat", "getsection", "get_base_airflow_version_tuple", "Version", "parse", "parse_version",
  "timedelta", "datetime", "date", "time", "frozenset", "set", "tuple", "dict", "list", "object", "Path", "PurePath",
  "field", "dataclass", "Enum", "IntEnum", "StrEnum", "Flag", "cast", "warn", "filterwarnings", "simplefilter",
  "deprecated", "partial", "lru_cache", "cache", "int", "str", "float", "bool", "len", "range", "max", "min", "sorted",
  "getattr", "hasattr", "isinstance", "issubclass", "import_module", "find_spec", "version", "Literal", "Union",
  "Optional", "Annotated", "TypeAdapter", "auto", "frozen", "s", "ib", "define", "attrib", "zip", "enumerate",
  "abspath", "dirname", "join", "basename", "realpath", "Lock", "RLock", "local", "ContextVar", "Counter", "defaultdict",
  "OrderedDict", "namedtuple", "deque", "Decimal", "UUID", "Template", "Environment", "SimpleNamespace", "MappingProxyType",
  "format", "upper", "lower", "strip", "split", "replace", "keys", "values", "items", "update", "setdefault",
  "NullHandler", "setLevel", "addHandler", "Formatter", "StreamHandler", "basicConfig", "TypeAliasType", "timezone",
  "ZoneInfo", "is_available", "register", "lazy_object_proxy", "Proxy", "total_seconds", "now", "utcnow", "today",
  "fromtimestamp", "compile_regex", "Pattern", "TYPE_CHECKING", "overload", "final", "runtime_checkable", "Protocol",
  "debug", "info", "warning", "error", "exception", "critical", "suppress",
]);

/** Calls that do I/O or block: never at a DAG file's top level (Variable.get is Airflow's classic example). */
const HEAVY_CALL = /^(requests\.|httpx\.|boto3\.|urllib\.request\.|subprocess\.|time\.sleep$|open$|Variable\.get$|BaseHook\.get_connection$|Connection\.get_connection_from_secrets$|pd\.read_|pandas\.read_|psycopg2\.connect$|create_engine$|socket\.)/;

function moduleLevelWork(a: Analysis): Hit[] {
  if (!a.parsed) return [];
  const hits: Hit[] = [];
  const reported = new Set<string>();
  walk(a.parsed.root, (node) => {
    if (["function_definition", "class_definition", "lambda", "decorator", "parameters", "raise_statement"].includes(node.type)) return false;
    if (node.type === "if_statement") {
      const cond = field(node, "condition");
      if (cond && /TYPE_CHECKING|__name__/.test(a.text(cond))) return false;
    }
    if (node.type !== "call") return;
    const fn = field(node, "function");
    const callee = fn ? a.text(fn) : "";
    const last = lastSegment(callee.replace(/\s+/g, ""));
    if (reported.has(callee)) return;
    // A DAG file builds tasks at module level by design; there only calls known to do I/O count.
    if (a.options.kind === "dag" ? !HEAVY_CALL.test(callee.replace(/\s+/g, "")) : LIGHT_CALLS.has(last) || /^[A-Z0-9_]+$/.test(last)) return;
    reported.add(callee);
    hits.push(
      hitAt(
        a,
        node,
        `module-level call ${callee.length > 60 ? `${callee.slice(0, 60)}…` : callee}() runs every time the DAG processor imports this file (DagBag import timeout after 30 s); move it into execute()/poke() or a hook method`,
      ),
    );
    return false;
  });
  return hits;
}

const HEAVY_MODULES = new Set(["numpy", "pandas", "polars", "pyarrow", "torch", "tensorflow", "scipy", "sklearn", "matplotlib"]);

function heavyModuleImport(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const imp of a.facts?.imports ?? []) {
    if (!imp.moduleLevel || imp.typeChecking || imp.kind === "future") continue;
    const modules = imp.kind === "from" ? [imp.module] : imp.names.map((n) => n.name);
    for (const m of modules) {
      const top = m.split(".")[0] ?? m;
      if (!HEAVY_MODULES.has(top)) continue;
      hits.push(
        hitAt(a, imp.node, `module-level import of ${top} slows every DAG parse (Airflow's own lint bans module-level numpy/pandas imports); import it inside execute() or under if TYPE_CHECKING`),
      );
    }
  }
  return hits;
}

const COMPONENT_ONLY: Rule["kinds"] = ["component"];

export const airflowRules: Rule[] = [
  { id: "base-class", category: "airflow", severity: "error", description: "The component class derives from the base its component_type requires (BaseOperator, BaseSensorOperator, BaseHook).", fixable: false, kinds: COMPONENT_ONLY, check: baseClass },
  { id: "execute-signature", category: "airflow", severity: "error", description: "execute/poke/execute_complete take the context as a parameter named `context`.", fixable: true, kinds: COMPONENT_ONLY, check: executeSignature },
  { id: "missing-execute", category: "airflow", severity: "error", description: "A direct BaseOperator subclass defines execute(self, context); a sensor defines poke(self, context).", fixable: false, kinds: COMPONENT_ONLY, check: missingMethod },
  { id: "hook-get-conn", category: "airflow", severity: "warning", description: "A hook defines a connection getter (get_conn).", fixable: false, kinds: COMPONENT_ONLY, check: hookGetConn },
  { id: "init-kwargs", category: "airflow", severity: "error", description: "An operator's __init__ takes **kwargs.", fixable: true, kinds: COMPONENT_ONLY, check: initKwargs },
  { id: "super-init", category: "airflow", severity: "error", description: "__init__ calls super().__init__(**kwargs).", fixable: true, kinds: COMPONENT_ONLY, check: superInit },
  { id: "apply-defaults", category: "airflow", severity: "error", description: "@apply_defaults (and its import) is gone: deprecated in 2.0, removed in 3.", fixable: true, check: applyDefaults },
  { id: "template-fields-string", category: "airflow", severity: "error", description: "template_fields is a sequence of strings, not one string (`(\"foo\")` is a string).", fixable: true, check: templateFieldsString },
  { id: "template-field-unassigned", category: "airflow", severity: "error", description: "Each template field is an attribute set in __init__ (self.x = x).", fixable: false, kinds: COMPONENT_ONLY, check: templateFieldUnassigned },
  { id: "removed-context-key", category: "airflow", severity: "error", description: "Context keys removed in Airflow 3 (execution_date, next_ds, prev_ds, ...).", fixable: false, check: removedContextKey },
  { id: "provide-context", category: "airflow", severity: "error", description: "provide_context is gone in Airflow 3 (deprecated since 2.0).", fixable: true, check: provideContext },
  { id: "sleep-in-poke", category: "airflow", severity: "warning", description: "time.sleep inside poke(); the sensor's scheduling does the waiting.", fixable: false, kinds: COMPONENT_ONLY, check: sleepInPoke },
  { id: "module-level-work", category: "airflow", severity: "warning", description: "Calls at import time other than logging setup and constants.", fixable: false, kinds: ["component", "dag"], check: moduleLevelWork },
  { id: "heavy-module-import", category: "airflow", severity: "warning", description: "numpy/pandas (and similar) imported at module level.", fixable: false, kinds: ["component", "dag"], check: heavyModuleImport },
];
