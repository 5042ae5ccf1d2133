import { SCAFFOLD_HEADER, pyTuple } from "./component.js";
import type { ScaffoldPlan } from "./plan.js";
import { indent, pyString } from "./python.js";

function constructorArgs(plan: ScaffoldPlan, withTaskId: boolean, overrides: Record<string, string> = {}): string[] {
  const args: string[] = [];
  if (withTaskId) args.push(`task_id=${pyString(`test_${plan.snake}`)},`);
  for (const p of plan.params) {
    if (overrides[p.name] !== undefined) args.push(`${p.name}=${overrides[p.name]},`);
    else if (p.signatureDefault === undefined) args.push(`${p.name}=${p.sample},`);
  }
  return args;
}

function factory(plan: ScaffoldPlan, withTaskId: boolean): string[] {
  const args = constructorArgs(plan, withTaskId);
  const build = args.length === 0 ? ["    arguments: dict[str, Any] = {}"] : ["    arguments: dict[str, Any] = dict(", ...indent(args, 2), "    )"];
  return [
    `def make_component(**overrides: Any) -> ${plan.className}:`,
    ...build,
    "    arguments.update(overrides)",
    `    return ${plan.className}(**arguments)`,
  ];
}

/** `is` for the singletons (ruff E711/E712), `==` for the rest. */
function compare(literal: string): string {
  return ["None", "True", "False"].includes(literal) ? `is ${literal}` : `== ${literal}`;
}

function defaultsTest(plan: ScaffoldPlan): string[] {
  const checks = plan.params
    .filter((p) => p.effectiveDefault !== undefined)
    .map((p) => `assert component.${p.name} ${compare(p.effectiveDefault ?? "None")}`);
  const required = plan.params
    .filter((p) => p.signatureDefault === undefined)
    .map((p) => `assert component.${p.name} ${compare(p.sample)}`);
  const base = plan.baseArguments
    .filter((b) => b.literal !== undefined && ["poke_interval", "timeout", "mode"].includes(b.name))
    .map((b) => `assert component.${b.name} == ${b.literal}`);
  const body = [...required, ...checks, ...base];
  if (body.length === 0) body.push(`assert isinstance(component, ${plan.className})`);
  return ["def test_arguments_and_defaults() -> None:", "    component = make_component()", ...indent(body, 1)];
}

/** A stand-in for provider hooks: records the constructor's keyword arguments, never connects. */
function fakeHookFactory(): string[] {
  return [
    "def fake_hook(name: str, created: list[tuple[str, dict[str, Any]]]) -> Any:",
    "    def build(**kwargs: Any) -> SimpleNamespace:",
    "        created.append((name, kwargs))",
    "        return SimpleNamespace(**kwargs)",
    "",
    "    return build",
  ];
}

/** Lines replacing each hook class in the component's module with the fake, and the expected calls. */
function hookPatches(plan: ScaffoldPlan, instance: string): { patch: string[]; check: string[] } {
  if (plan.usesHooks.length === 0) return { patch: [], check: [] };
  const patch = ["created: list[tuple[str, dict[str, Any]]] = []"];
  for (const h of plan.usesHooks) {
    patch.push(`monkeypatch.setattr(${pyString(`${plan.componentModule}.${h.className}`)}, fake_hook(${pyString(h.className)}, created))`);
  }
  const expected = plan.usesHooks.map(
    (h) => `(${pyString(h.className)}, {${h.args.map((a) => `${pyString(a.name)}: ${a.value.replace(/^self\./, `${instance}.`)}`).join(", ")}})`,
  );
  return { patch, check: [`assert created == [${expected.join(", ")}]`] };
}

function operatorTests(plan: ScaffoldPlan): string[] {
  const keys = plan.templateFields.length > 0 ? plan.templateFields : plan.params.map((p) => p.name);
  const checks = keys.map((k) => `assert result[${pyString(k)}] == operator.${k}`);
  for (const o of plan.spec.outputs) if (!keys.includes(o.name)) checks.push(`assert ${pyString(o.name)} in result`);
  if (checks.length === 0) checks.push("assert result == {}");
  const hooks = hookPatches(plan, "operator");
  return [
    hooks.patch.length === 0
      ? "def test_execute_returns_templated_values() -> None:"
      : `def test_execute_creates_the_${plan.usesHooks.length === 1 ? "hook" : "hooks"}_and_returns_templated_values(monkeypatch: Any) -> None:`,
    ...indent(hooks.patch, 1),
    "    operator = make_component()",
    "    result = operator.execute(context={})",
    "    assert isinstance(result, dict)",
    ...indent(checks, 1),
    ...indent(hooks.check, 1),
  ];
}

function sensorTests(plan: ScaffoldPlan): string[] {
  const p = plan.sensorPathParam;
  if (p) {
    return [
      "def test_poke_waits_for_the_path(tmp_path: Any) -> None:",
      '    target = tmp_path / "expected.txt"',
      `    sensor = make_component(${p.name}=str(target))`,
      "    assert sensor.poke(context={}) is False",
      '    target.write_text("ready")',
      "    assert sensor.poke(context={}) is True",
    ];
  }
  const hooks = hookPatches(plan, "sensor");
  return [
    hooks.patch.length === 0
      ? "def test_poke_returns_a_bool() -> None:"
      : `def test_poke_creates_the_${plan.usesHooks.length === 1 ? "hook" : "hooks"}_and_returns_a_bool(monkeypatch: Any) -> None:`,
    ...indent(hooks.patch, 1),
    "    sensor = make_component()",
    "    assert sensor.poke(context={}) in (True, False)",
    ...indent(hooks.check, 1),
  ];
}

function hookTests(plan: ScaffoldPlan): string[] {
  const hook = plan.hook;
  if (!hook) return [];
  const lines = [
    "def test_connection_attributes() -> None:",
    `    assert ${plan.className}.conn_name_attr == ${pyString(hook.connAttr)}`,
    `    assert ${plan.className}.default_conn_name == ${pyString(hook.defaultConnName)}`,
    `    assert ${plan.className}.conn_type == ${pyString(hook.connType)}`,
    `    assert make_component().${hook.connAttr} == ${pyString(hook.defaultConnName)}`,
    "",
    "",
    "def fake_connection() -> SimpleNamespace:",
    "    return SimpleNamespace(",
    '        host="example.com", port=8443, login="user", password="secret",',
    '        schema="https", extra_dejson={"headers": {"X-Test": "1"}},',
    "    )",
    "",
    "",
  ];
  if (hook.usesRequests) {
    lines.push(
      "def test_get_conn_configures_a_session(monkeypatch: Any) -> None:",
      '    requests = pytest.importorskip("requests")',
      "    hook = make_component()",
      '    monkeypatch.setattr(hook, "get_connection", lambda conn_id: fake_connection())',
      "    session = hook.get_conn()",
      "    assert isinstance(session, requests.Session)",
      '    assert session.auth == ("user", "secret")',
      '    assert session.headers["X-Test"] == "1"',
      '    assert hook.base_url == "https://example.com:8443"',
    );
  } else {
    lines.push(
      "def test_get_conn_reads_the_connection(monkeypatch: Any) -> None:",
      "    hook = make_component()",
      "    seen: list[str] = []",
      '    monkeypatch.setattr(hook, "get_connection", lambda conn_id: seen.append(conn_id) or fake_connection())',
      "    conn = hook.get_conn()",
      `    assert seen == [${pyString(hook.defaultConnName)}]`,
      '    assert conn["host"] == "example.com"',
      '    assert conn["login"] == "user"',
    );
  }
  return lines;
}

export function renderTest(plan: ScaffoldPlan): string {
  const type = plan.spec.component_type;
  const out = [
    SCAFFOLD_HEADER,
    `"""Tests of ${plan.className} (scaffold: extend them with the component's real behaviour)."""`,
    "",
    "from __future__ import annotations",
    "",
  ];
  if (type === "hook" || plan.usesHooks.length > 0) out.push("from types import SimpleNamespace");
  const usesPytest = type !== "hook" || plan.hook?.usesRequests === true;
  out.push("from typing import Any", "");
  if (usesPytest) out.push("import pytest", "");
  out.push(`from ${plan.componentModule} import ${plan.className}`, "", "");
  out.push(...factory(plan, type !== "hook"), "", "");
  if (plan.usesHooks.length > 0) out.push(...fakeHookFactory(), "", "");
  if (type !== "hook") {
    out.push(
      "def test_template_fields() -> None:",
      `    assert tuple(${plan.className}.template_fields) == ${pyTuple(plan.templateFields)}`,
      "",
      "",
    );
    out.push(
      "def test_constructor_is_keyword_only() -> None:",
      "    # Airflow 2 raises AirflowException, Python a TypeError: both name the problem.",
      '    with pytest.raises(Exception, match="keyword arguments|positional argument"):',
      `        ${plan.className}("positional")  # type: ignore[misc]`,
      "",
      "",
    );
  }
  out.push(...defaultsTest(plan), "", "");
  if (type === "operator") out.push(...operatorTests(plan));
  else if (type === "sensor") out.push(...sensorTests(plan));
  else out.push(...hookTests(plan));
  return `${out.join("\n")}\n`;
}
