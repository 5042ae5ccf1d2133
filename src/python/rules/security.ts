/** Security rules, each citing the ruff (S) and Bandit (B) codes a CI lint step would raise. */
import type { Analysis, MemoKey } from "../analysis.js";
import type { CallFact } from "../facts.js";
import type { PyNode } from "../parser.js";
import { field, stringBody, stringValue } from "../tree.js";
import type { Hit, Rule } from "./rule.js";
import { hitAt } from "./rule.js";

/** Resolves a call's dotted callee through `from x import y [as z]` imports (`run` → `subprocess.run`). */
const QUALIFIED_CALLEES: MemoKey<QualifiedCall[]> = { description: "calls with their callees resolved through imports" };

interface QualifiedCall {
  call: CallFact;
  name: string;
}

function qualifiedCallees(a: Analysis): QualifiedCall[] {
  return a.memo(QUALIFIED_CALLEES, () => resolveCallees(a));
}

function resolveCallees(a: Analysis): QualifiedCall[] {
  const aliases = new Map<string, string>();
  for (const imp of a.facts?.imports ?? []) {
    if (imp.kind === "from") for (const n of imp.names) aliases.set(n.alias ?? n.name, `${imp.module}.${n.name}`);
    else for (const n of imp.names) if (n.alias) aliases.set(n.alias, n.name);
  }
  const out: QualifiedCall[] = [];
  for (const call of a.facts?.calls ?? []) {
    if (!call.callee) continue;
    const dot = call.callee.indexOf(".");
    const resolved = aliases.get(dot === -1 ? call.callee : call.callee.slice(0, dot));
    out.push({ call, name: resolved ? resolved + (dot === -1 ? "" : call.callee.slice(dot)) : call.callee });
  }
  return out;
}

function callsTo(a: Analysis, names: readonly string[]): QualifiedCall[] {
  return qualifiedCallees(a).filter((q) => names.includes(q.name));
}

function isTrue(node: PyNode | undefined, a: Analysis): boolean {
  return !!node && node.type === "true" && a.text(node) === "True";
}

function isFalse(node: PyNode | undefined, a: Analysis): boolean {
  return !!node && node.type === "false" && a.text(node) === "False";
}

function evalExec(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const call of a.facts?.calls ?? []) {
    if (call.callee === "eval") hits.push(hitAt(a, call.node, "eval() runs arbitrary code (ruff S307, Bandit B307); parse the value with ast.literal_eval or json.loads"));
    if (call.callee === "exec") hits.push(hitAt(a, call.node, "exec() runs arbitrary code (ruff S102, Bandit B102); call the code directly instead"));
  }
  return hits;
}

const SUBPROCESS = ["subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.Popen", "subprocess.getoutput", "subprocess.getstatusoutput"];

function subprocessShell(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const { call, name } of callsTo(a, SUBPROCESS)) {
    const shell = call.keywords.find((k) => k.name === "shell");
    if (shell && isTrue(shell.value, a)) {
      hits.push(hitAt(a, call.node, `${name}(..., shell=True) lets input reach a shell (ruff S602, Bandit B602); pass the command as a list without shell=True`));
    } else if (name === "subprocess.getoutput" || name === "subprocess.getstatusoutput") {
      hits.push(hitAt(a, call.node, `${name}() runs its argument through a shell (ruff S605, Bandit B605); use subprocess.run([...]) with a list`));
    }
  }
  return hits;
}

function osSystem(a: Analysis): Hit[] {
  return callsTo(a, ["os.system", "os.popen"]).map(({ call, name }) =>
    hitAt(a, call.node, `${name}() runs a shell command (ruff S605, Bandit B605); use subprocess.run([...]) with a list of arguments`),
  );
}

function pickleLoads(a: Analysis): Hit[] {
  return callsTo(a, ["pickle.loads", "pickle.load", "cPickle.loads", "cPickle.load", "dill.loads", "dill.load", "marshal.loads"]).map(({ call, name }) =>
    hitAt(a, call.node, `${name}() executes code embedded in the data it reads (ruff S301, Bandit B301); exchange JSON instead, or unpickle only data this task wrote itself`),
  );
}

function yamlLoad(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const { call, name } of callsTo(a, ["yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.full_load"])) {
    const loader = call.keywords.find((k) => k.name === "Loader")?.value ?? call.args[1];
    if (loader && /Safe|BaseLoader/.test(a.text(loader)) && !name.includes("unsafe")) continue;
    hits.push(
      hitAt(a, call.node, `${name}() without a safe loader can construct arbitrary objects (ruff S506, Bandit B506); use yaml.safe_load()`, {
        fixable: call.callee === "yaml.load" && call.args.length === 1 && call.keywords.length === 0,
      }),
    );
  }
  return hits;
}

function verifyFalse(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const call of a.facts?.calls ?? []) {
    const verify = call.keywords.find((k) => k.name === "verify");
    if (verify && isFalse(verify.value, a)) {
      hits.push(hitAt(a, verify.node, "verify=False turns off TLS certificate checks (ruff S501, Bandit B501); keep verification on, or pass a CA bundle path"));
    }
  }
  return hits;
}

const KEY_SHAPES: { re: RegExp; what: string }[] = [
  { re: /\bAKIA[0-9A-Z]{16}\b/, what: "an AWS access key id" },
  { re: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/, what: "a GitHub token" },
  { re: /\bgithub_pat_[A-Za-z0-9_]{22,}\b/, what: "a GitHub token" },
  { re: /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b/, what: "an API secret key" },
  { re: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/, what: "a Slack token" },
  { re: /\bAIza[0-9A-Za-z_-]{35}\b/, what: "a Google API key" },
  { re: /-----BEGIN (?:RSA |EC |DSA |OPENSSH )?PRIVATE KEY-----/, what: "a private key" },
];

/** Matches wherever any key shape could (each shape starts with one of these); one pass instead of seven. */
const KEY_SHAPE_START = /\b(?:AKIA|gh[pousr]_|github_pat_|sk-|xox[abposr]-|AIza)|-----BEGIN /;

const SECRET_NAME = /(^|_)(password|passwd|pwd|token|secret|api_?key|apikey|access_key|secret_key|private_key|client_secret|auth_token)$/i;

function hardcodedSecret(a: Analysis): Hit[] {
  if (!a.parsed) return [];
  const hits: Hit[] = [];
  const named = (nameNode: PyNode | undefined, valueNode: PyNode | undefined, code: string, at: PyNode): void => {
    if (!nameNode || !valueNode) return;
    const name = nameNode.type === "attribute" ? a.text(field(nameNode, "attribute") ?? nameNode) : a.text(nameNode);
    if (!SECRET_NAME.test(name)) return;
    const value = stringValue(valueNode, a.source);
    if (!value || looksLikeLabel(value, name) || underPlaceholders(at, a)) return;
    hits.push(hitAt(a, at, `'${name}' is set to a hard-coded string (ruff ${code}, Bandit B${code.slice(1)}); read it from an Airflow connection or Variable`, { severity: "warning" }));
  };
  for (const node of a.nodes("string", "assignment", "keyword_argument", "default_parameter", "typed_default_parameter", "pair")) {
    switch (node.type) {
      case "string": {
        const text = stringBody(node, a.source);
        // Almost no string looks like a key: the shapes are tested first, the exceptions only for those that do.
        const shape = KEY_SHAPE_START.test(text) ? KEY_SHAPES.find((s) => s.re.test(text)) : undefined;
        if (!shape || /EXAMPLE|1234567890|XXXXXX|your[_-]?(key|token)/i.test(text) || underPlaceholders(node, a)) continue;
        hits.push(hitAt(a, node, `string literal looks like ${shape.what} (ruff S105, Bandit B105); never commit credentials — read them from an Airflow connection`));
        continue;
      }
      case "assignment":
        named(field(node, "left"), field(node, "right"), "S105", node);
        continue;
      case "keyword_argument":
        named(field(node, "name"), field(node, "value"), "S106", node);
        continue;
      case "default_parameter":
      case "typed_default_parameter":
        named(field(node, "name"), field(node, "value"), "S107", node);
        continue;
      case "pair": {
        const key = field(node, "key");
        const keyText = stringValue(key, a.source);
        if (keyText !== undefined && SECRET_NAME.test(keyText)) {
          const value = stringValue(field(node, "value"), a.source);
          if (value && !looksLikeLabel(value, keyText) && !underPlaceholders(node, a)) {
            hits.push(hitAt(a, node, `'${keyText}' is set to a hard-coded string (ruff S105, Bandit B105); read it from an Airflow connection or Variable`, { severity: "warning" }));
          }
        }
        continue;
      }
      default:
        continue;
    }
  }
  return hits;
}

/**
 * Values that name or describe a secret rather than hold one: masks (`***`), Jinja references, phrases ("API
 * Token"), the variable's own name (`PARAM_TOKEN = "token"`) and field names (`"secretAccessKey"`).
 */
function looksLikeLabel(value: string, name: string): boolean {
  const trimmed = value.trim();
  if (/^[*x.\-_ ]*$/i.test(trimmed) || /^\{\{.*\}\}$/.test(trimmed) || /\s/.test(trimmed)) return true;
  const norm = (t: string): string => t.toLowerCase().replace(/[^a-z0-9]/g, "");
  const v = norm(trimmed);
  const n = norm(name);
  if (v.length > 0 && (n.includes(v) || v.includes(n))) return true;
  return /^[a-z]+(?:[A-Z][a-z0-9]*)+$|^[a-z]+(?:_[a-z0-9]+)+$/.test(trimmed) && /pass|pwd|token|secret|key/i.test(trimmed);
}

/** Connection-form placeholders and relabelings (a hook's UI field behaviour) show example values and labels on purpose. */
function underPlaceholders(node: PyNode, a: Analysis): boolean {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === "pair" && ["placeholders", "relabeling"].includes(stringValue(field(p, "key"), a.source) ?? "")) return true;
    if (p.type === "function_definition") return /^get_(ui_field_behaviou?r|connection_form_widgets)$/.test(a.text(field(p, "name") ?? p));
    if (p.type === "class_definition") return false;
  }
  return false;
}

function tempfileMktemp(a: Analysis): Hit[] {
  return callsTo(a, ["tempfile.mktemp"]).map(({ call }) =>
    hitAt(a, call.node, "tempfile.mktemp() is racy: another process can create the file first (ruff S306, Bandit B306); use tempfile.NamedTemporaryFile or tempfile.mkstemp"),
  );
}

export const securityRules: Rule[] = [
  { id: "eval-exec", category: "security", severity: "error", description: "eval()/exec() on data (ruff S307/S102, Bandit B307/B102).", fixable: false, check: evalExec },
  { id: "subprocess-shell", category: "security", severity: "error", description: "subprocess with shell=True (ruff S602, Bandit B602).", fixable: false, check: subprocessShell },
  { id: "os-system", category: "security", severity: "error", description: "os.system/os.popen (ruff S605, Bandit B605).", fixable: false, check: osSystem },
  { id: "pickle-loads", category: "security", severity: "warning", description: "pickle/dill loads of data (ruff S301, Bandit B301).", fixable: false, check: pickleLoads },
  { id: "yaml-unsafe-load", category: "security", severity: "error", description: "yaml.load without a safe loader (ruff S506, Bandit B506).", fixable: true, check: yamlLoad },
  { id: "verify-false", category: "security", severity: "warning", description: "TLS verification turned off with verify=False (ruff S501, Bandit B501).", fixable: false, check: verifyFalse },
  { id: "hardcoded-secret", category: "security", severity: "error", description: "Key-shaped literals (AKIA…, ghp_…, sk-…, xox…) and password/token/secret arguments or assignments with string literals (ruff S105–S107, Bandit B105–B107).", fixable: false, check: hardcodedSecret },
  { id: "tempfile-mktemp", category: "security", severity: "error", description: "tempfile.mktemp (ruff S306, Bandit B306).", fixable: false, check: tempfileMktemp },
];


