import { describe, expect, it } from "vitest";
import { normalizeCheckRun } from "../../../src/ci/normalize.js";
import type { AnnotationInput } from "../../../src/ci/types.js";
import { errorSignature } from "../../../src/learn/errors/classify.js";
import { abstractMessage } from "../../../src/learn/errors/signature.js";
import { fixtureJson, fixtureText } from "../../ci/fixtures.js";

describe("abstractMessage", () => {
  it("abstracts class names, quoted literals, paths, numbers and addresses", () => {
    expect(abstractMessage("S3ReportOperator.__init__() got an unexpected keyword argument 'bucket_name'")).toBe(
      "<CLS>.__init__() got an unexpected keyword argument <STR>",
    );
    expect(abstractMessage("DagBag import timeout for /home/runner/work/a/a/dags/x.py after 30.0s.")).toBe(
      "DagBag import timeout for <PATH> after <NUM>s.",
    );
    expect(abstractMessage("cannot import name 'apply_defaults' from 'airflow.utils.decorators' (/opt/x/decorators.py)")).toBe(
      "cannot import name <STR> from <STR> (<PATH>)",
    );
    expect(abstractMessage("module airflow.operators.bash has no attribute BashOp")).toBe("module <MOD> has no attribute <CLS>");
    expect(abstractMessage("<operators.x.Op object at 0x7fc40b777cd0> is not serializable")).toBe("<<MOD>.<CLS> object at <ADDR>> is not serializable");
    expect(abstractMessage("Invalid arguments were passed to FooOperator (task_id: report). Invalid arguments were:\n**kwargs: {'foo': 1}")).toBe(
      "Invalid arguments were passed to <CLS> (task_id: <ID>). Invalid arguments were:",
    );
  });

  it("keeps the literals that name the mistake", () => {
    expect(abstractMessage("Op.__init__() got an unexpected keyword argument 'task_id'")).toBe("<CLS>.__init__() got an unexpected keyword argument 'task_id'");
    expect(abstractMessage("Op.execute() got an unexpected keyword argument 'context'")).toBe("<CLS>.execute() got an unexpected keyword argument 'context'");
  });

  it("reads the same for the same mistake in different components", () => {
    expect(abstractMessage("'bucket' is configured as a template field but S3ReportOperator does not have this attribute.")).toBe(
      abstractMessage("'endpoint' is configured as a template field but HttpStatusOperator does not have this attribute."),
    );
  });
});

describe("errorSignature: the known Airflow failures", () => {
  const cases: Array<[string, { message: string; exceptionType?: string; ruleCode?: string }, string, string]> = [
    ["parameter_ordering", { exceptionType: "SyntaxError", message: "non-default argument follows default argument" }, "parameter_after_default", "keyword-only"],
    ["parameter_ordering", { exceptionType: "SyntaxError", message: "parameter without a default follows parameter with a default" }, "parameter_after_default", "keyword-only"],
    ["parameter_ordering", { exceptionType: "SyntaxError", message: "arguments cannot follow var-keyword argument" }, "parameter_after_var_keyword", "**kwargs` last"],
    ["type", { exceptionType: "TypeError", message: "Op.__init__() got an unexpected keyword argument 'task_id'" }, "init_without_kwargs", "super().__init__(**kwargs)"],
    ["type", { exceptionType: "AirflowException", message: "missing keyword argument 'task_id'" }, "super_init_without_kwargs", "super().__init__(**kwargs)"],
    ["type", { exceptionType: "TypeError", message: "missing keyword argument 'task_id'" }, "super_init_without_kwargs", "super().__init__(**kwargs)"],
    ["type", { exceptionType: "TypeError", message: "Op.execute() got an unexpected keyword argument 'context'" }, "execute_without_context", "def execute(self, context)"],
    ["template_fields", { exceptionType: "AttributeError", message: "'foo' is configured as a template field but Op does not have this attribute." }, "template_field_not_assigned", "self.<name> = <name>"],
    ["type", { exceptionType: "AirflowException", message: "Invalid arguments were passed to Op (task_id: t). Invalid arguments were:\n**kwargs: {'x': 1}" }, "invalid_operator_arguments", "named parameter"],
    ["type", { exceptionType: "AirflowException", message: "Use keyword arguments when initializing operators" }, "positional_operator_arguments", "keyword"],
    ["type", { exceptionType: "AirflowException", message: "The mode must be one of ['poke', 'reschedule'],'Op.t'" }, "sensor_mode", "mode='poke'"],
    ["type", { exceptionType: "AirflowException", message: "Operator arg poke_interval must be timedelta object or a non-negative number" }, "sensor_interval", "timedelta"],
    ["import", { exceptionType: "ModuleNotFoundError", message: "No module named 'snowflake'" }, "module_not_found", "requirements"],
    ["import", { exceptionType: "ModuleNotFoundError", message: "No module named 'airflow.sdk'" }, "airflow3_import_on_airflow2", "except ImportError"],
    ["import", { exceptionType: "ModuleNotFoundError", message: "No module named 'airflow.providers.http'" }, "provider_not_installed", "apache-airflow-providers-http"],
    ["import", { exceptionType: "ImportError", message: "cannot import name 'apply_defaults' from 'airflow.utils.decorators'" }, "apply_defaults_removed", "@apply_defaults"],
    ["attribute", { exceptionType: "KeyError", message: "'execution_date'" }, "removed_context_key", "logical_date"],
    ["timeout", { exceptionType: "AirflowTaskTimeout", message: "DagBag import timeout for /opt/airflow/dags/x.py after 30.0s." }, "dagbag_import_timeout", "execute()"],
    ["timeout", { exceptionType: "JobTimeout", message: "The job running on runner GitHub Actions 12 has exceeded the maximum execution time of 15 minutes." }, "job_timeout", "mock"],
    ["dependency_conflict", { exceptionType: "ResolutionImpossible", message: "Cannot install apache-airflow==2.10.3 and pandas==2.2.3 because these package versions have conflicting dependencies." }, "resolution_impossible", "constraints"],
    ["dependency_conflict", { exceptionType: "DistributionNotFound", message: "No matching distribution found for apache-airflow-providers-snowflak==5.8.0" }, "no_matching_distribution", "distribution name"],
    ["dependency_conflict", { exceptionType: "AttributeError", message: "'Connection' object has no attribute 'cursor'" }, "pandas_sqlalchemy", "2.1.x"],
    ["name", { exceptionType: "NameError", message: "name 'requests' is not defined" }, "name_not_defined", "import"],
    ["attribute", { exceptionType: "AttributeError", message: "'HttpStatusOperator' object has no attribute 'hook'" }, "missing_attribute", "execute()"],
    ["syntax", { exceptionType: "SyntaxError", message: "expected ':'" }, "syntax", "py_compile"],
    ["syntax", { exceptionType: "SyntaxError", message: "'(' was never closed" }, "syntax", "py_compile"],
  ];

  it.each(cases)("%s ← %j (%s)", (kind, input, matched, fixFragment) => {
    const result = errorSignature(input);
    expect(result.kind).toBe(kind);
    expect(result.matched).toBe(matched);
    expect(result.fixStrategy).toContain(fixFragment);
    expect(result.rootCause.length).toBeGreaterThan(10);
  });

  it("writes the signature as type, colon, abstracted message", () => {
    expect(errorSignature({ exceptionType: "TypeError", message: "S3ReportOperator.__init__() got an unexpected keyword argument 'task_id'" })).toMatchObject({
      signature: "TypeError: <CLS>.__init__() got an unexpected keyword argument 'task_id'",
      subject: "task_id",
    });
  });

  it("tells a missing **kwargs from an argument the constructor does not know", () => {
    const base = errorSignature({ exceptionType: "TypeError", message: "Op.__init__() got an unexpected keyword argument 'retries'" });
    const own = errorSignature({ exceptionType: "TypeError", message: "Op.__init__() got an unexpected keyword argument 'bucket_name'" });
    expect(base.rootCause).toContain("does not accept **kwargs");
    expect(own.rootCause).toContain("no parameter 'bucket_name'");
    expect(own.fixStrategy).toContain("add 'bucket_name'");
  });

  it("names the module, field or keyword it is about", () => {
    expect(errorSignature({ exceptionType: "ModuleNotFoundError", message: "No module named 'snowflake.connector'" }).subject).toBe("snowflake.connector");
    expect(errorSignature({ exceptionType: "AttributeError", message: "'sql' is configured as a template field but Op does not have this attribute." }).subject).toBe("sql");
  });
});

describe("errorSignature: lint rules and fallbacks", () => {
  it("maps ruff S-codes to security with the rule's remedy", () => {
    const shell = errorSignature({ ruleCode: "S602", message: "`subprocess` call with `shell=True` identified, security issue" });
    expect(shell).toMatchObject({ kind: "security", subject: "S602", signature: "S602: <STR> call with <STR> identified, security issue" });
    expect(shell.fixStrategy).toContain("without shell=True");
    expect(errorSignature({ ruleCode: "S105", message: 'Possible hardcoded password assigned to: "API_TOKEN"' }).fixStrategy).toContain("connection");
    expect(errorSignature({ ruleCode: "S307", message: "Use of possibly insecure function; consider using `ast.literal_eval`" }).fixStrategy).toContain("literal_eval");
    expect(errorSignature({ ruleCode: "S311", message: "Standard pseudo-random generators are not suitable for cryptographic purposes" }).kind).toBe("security");
  });

  it("maps other rule codes by what they mean", () => {
    expect(errorSignature({ ruleCode: "F821", message: "undefined name 'ShellExportOperatr'" }).kind).toBe("name");
    expect(errorSignature({ ruleCode: "AIR301", message: "`airflow.operators.dummy.DummyOperator` is removed in Airflow 3.0" }).kind).toBe("import");
    expect(errorSignature({ ruleCode: "attr-defined", message: '"Op" has no attribute "hook"' }).kind).toBe("attribute");
    const style = errorSignature({ ruleCode: "E501", message: "line too long (96 > 79 characters)" });
    expect(style).toMatchObject({ kind: "unknown", rootCause: "lint rule E501", signature: "E501: line too long (<NUM> > <NUM> characters)" });
  });

  it("falls back on the exception type, then the failure kind", () => {
    expect(errorSignature({ exceptionType: "TypeError", message: "unsupported operand type(s) for +: 'int' and 'str'" })).toMatchObject({
      kind: "type",
      matched: "generic:type",
    });
    expect(errorSignature({ exceptionType: "AssertionError", message: "assert 1 == 2" }).kind).toBe("test_failure");
    expect(errorSignature({ kind: "dag_import", message: "something broke" }).kind).toBe("import");
    expect(errorSignature({ message: "Preview build failed" })).toMatchObject({ kind: "unknown", signature: "Preview build failed" });
  });
});

describe("errorSignature: validator findings", () => {
  it("classifies a finding by its message first, then by rule id and category", () => {
    expect(
      errorSignature({ rule: "template-field-assigned", category: "airflow", message: "'sql' is configured as a template field but SqlOp does not have this attribute." }),
    ).toMatchObject({ kind: "template_fields", signature: "template-field-assigned: <STR> is configured as a template field but <CLS> does not have this attribute." });
    expect(errorSignature({ rule: "no-shell-true", category: "security", message: "subprocess called with shell=True" }).kind).toBe("security");
    expect(errorSignature({ rule: "init-kwargs", category: "airflow", message: "__init__ must accept **kwargs" }).kind).toBe("type");
    expect(errorSignature({ rule: "default-order", category: "syntax", message: "bad order" }).kind).toBe("syntax");
    expect(errorSignature({ rule: "heavy-top-level", category: "airflow", message: "pandas imported at module level" }).kind).toBe("timeout");
    expect(errorSignature({ rule: "style-x", category: "style", message: "nothing known" }).kind).toBe("unknown");
  });
});

describe("errorSignature on failures read from CI", () => {
  it("classifies every failure of the fixture jobs", () => {
    const failures = [
      ...normalizeCheckRun({ checkRun: { name: "test (3.11)", conclusion: "failure" }, log: fixtureText("actions-pytest-typeerror.log") }),
      ...normalizeCheckRun({
        checkRun: { name: "lint", conclusion: "failure" },
        annotations: fixtureJson<AnnotationInput[]>("annotations.lint.json"),
      }),
      ...normalizeCheckRun({ checkRun: { name: "dag-import", conclusion: "failure" }, log: fixtureText("actions-dagbag-import.log") }),
      ...normalizeCheckRun({ checkRun: { name: "test (3.11)", conclusion: "failure" }, log: fixtureText("actions-pip-resolution.log") }),
      ...normalizeCheckRun({ checkRun: { name: "compile", conclusion: "failure" }, log: fixtureText("actions-syntax-error.log") }),
    ];
    expect(failures.map((f) => [errorSignature(f).kind, errorSignature(f).signature])).toEqual([
      ["attribute", "AttributeError: <STR> object has no attribute <STR>"],
      ["type", "TypeError: <CLS>.__init__() got an unexpected keyword argument 'task_id'"],
      // pytest shortens the right tuple to ('bucket', 'p...'aws_conn_id'), so the quotes pair up oddly.
      ["test_failure", "AssertionError: assert (<STR>, <STR>) == (<STR>, 'p...<STR>)"],
      ["security", "S602: <STR> call with <STR> identified, security issue"],
      ["security", 'S105: Possible hardcoded password assigned to: <STR>'],
      ["unknown", "F401: <STR> imported but unused"],
      ["import", "ModuleNotFoundError: No module named <STR>"],
      ["timeout", "AirflowTaskTimeout: DagBag import timeout for <PATH> after <NUM>s."],
      ["dependency_conflict", "ResolutionImpossible: Cannot install -r <PATH> (line <NUM>) and pandas==<NUM> because these package versions have conflicting dependencies."],
      ["parameter_ordering", "SyntaxError: non-default argument follows default argument"],
    ]);
  });
});
