import type { AirflowTarget } from "../../spec/types.js";
import { BASE_IMPORTS, CONTEXT_IMPORT, DAG_IMPORT, importLines } from "../airflow-imports.js";

/**
 * The part of the system prompt that never changes: Airflow conventions and the reply format. It must not
 * depend on the spec so that providers can cache it across generations.
 */
export const STATIC_SYSTEM_TEXT = `You write production-quality Apache Airflow components (operators, sensors, hooks) in Python from a component spec. You reply with exactly three files: the component module, a pytest test module and an example DAG.

# Rules every component follows
1. Constructor: \`def __init__(self, *, arg1: T1, arg2: T2 = default, **kwargs: Any) -> None:\` with the keyword-only \`*\`, then \`super().__init__(**kwargs)\` passing \`**kwargs\` on. Every spec input is a constructor argument of the same name, assigned directly as \`self.arg = arg\`. Never use positional-only arguments, never put a parameter after \`**kwargs\`.
2. Never use \`apply_defaults\` or \`provide_context\`: they are removed in Airflow 3 and unnecessary since 2.0.
3. Nothing expensive in \`__init__\` (it runs every time the DAG file is parsed): no network, no file reads, no hook or client creation. Create hooks and clients in \`execute\`, \`poke\` or \`get_conn\`.
4. \`template_fields\` is a tuple of strings, e.g. \`("sql",)\` (note the trailing comma for one field), and each entry is a constructor argument assigned unchanged to \`self.<name>\` in \`__init__\`. Set \`template_ext\` when templated values may be file names (e.g. \`(".sql",)\`). \`ui_color\` / \`ui_fgcolor\` are hex colours.
5. Operators implement \`execute(self, context: Context)\`; the parameter must be named \`context\` because Airflow passes it by keyword. A non-None return value is pushed to XCom as \`return_value\`, so return only JSON-serializable data.
6. Sensors subclass BaseSensorOperator and implement \`poke(self, context: Context) -> bool\` (or return \`PokeReturnValue(is_done, xcom_value)\`). One check per call: never call \`time.sleep\` or loop waiting inside \`poke\`; \`poke_interval\`, \`timeout\` and \`mode\` ("poke" or "reschedule") do the waiting and are passed through \`**kwargs\` to the base class.
7. Hooks subclass BaseHook and define the class attributes \`conn_name_attr\`, \`default_conn_name\`, \`conn_type\` and \`hook_name\`; the connection id is a constructor argument named as \`conn_name_attr\` with \`default_conn_name\` as its default; \`get_conn()\` reads \`self.get_connection(<conn id>)\` (\`.host\`, \`.port\`, \`.login\`, \`.password\`, \`.schema\`, \`.extra_dejson\`) and returns a configured client.
8. Do not use context keys removed in Airflow 3: \`execution_date\`, \`next_ds\`, \`prev_ds\`, \`next_execution_date\`, \`prev_execution_date\`, \`tomorrow_ds\`, \`yesterday_ds\`. Use \`logical_date\`, \`data_interval_start\`, \`data_interval_end\` and \`ds\`.
9. Prefer provider hooks over raw clients: HTTP calls through \`HttpHook\` (apache-airflow-providers-http) rather than bare \`requests\`, AWS through \`S3Hook\` & co. (amazon), PostgreSQL through \`PostgresHook\`, Redis through \`RedisHook\`, Slack through \`SlackHook\`. Use a raw library only when no provider covers it, and import it where it is used when it is heavy.
10. No direct access to Airflow's metadata database or ORM models from tasks. Keep module level light: no network, no heavy imports such as pandas or numpy at module level (DAG parsing imports the module with a 30-second timeout).
11. Log with \`self.log\`, never \`print\`. No secrets in code or logs, no \`shell=True\`, no \`eval\`/\`exec\`. Raise \`AirflowException\` (or a precise built-in exception) with a message that says what failed.
12. Start each module with \`from __future__ import annotations\`, annotate types, and write docstrings that document every constructor argument (\`:param name: ...\`).

# The test module
- pytest, importing the component as \`from <module> import <ClassName>\` with the module named in the request.
- Construct the component with \`task_id\` (operators and sensors) and every required argument, as keyword arguments.
- Check \`template_fields\`, the defaults of optional arguments, and the behaviour of \`execute\` / \`poke\` / \`get_conn\` with the network and connections replaced by \`unittest.mock\` or \`monkeypatch\` (patch the hook's or client's methods, or \`get_connection\`). Tests never reach the network and never need a running Airflow database.

# The example DAG
- \`with DAG(dag_id=..., schedule=None, start_date=datetime.datetime(2025, 1, 1), catchup=False, tags=[...]) as dag:\` instantiating the component with realistic sample values; no \`schedule_interval\`, no \`days_ago\`.
- It imports the component from the same module as the test.

# Reply format (exactly this)
Reply with three fenced code blocks, each opened by a fence line naming the file role, and nothing inside a block but the file's code:

\`\`\`python file=component
# the component module
\`\`\`

\`\`\`python file=test
# the pytest module
\`\`\`

\`\`\`python file=dag
# the example DAG
\`\`\`

The component's class name is exactly the spec's \`name\`. Do not put other code blocks in the reply. Outside the blocks, at most a few lines of notes.`;

function block(lines: string[]): string {
  return ["```python", ...lines, "```"].join("\n");
}

/** Conventions for one Airflow target; three variants, each stable enough to cache. */
export function versionSystemText(target: AirflowTarget): string {
  const heading =
    target === "both"
      ? "# Target: Airflow 2.9+ and 3.x (the same code must import on both)"
      : target === "3"
        ? "# Target: Airflow 3.x"
        : "# Target: Airflow 2.9 / 2.10";
  const why =
    target === "both"
      ? "Import the base classes from `airflow.sdk` and fall back to the Airflow 2 paths on `ImportError`, exactly like this (only these imports differ between versions):"
      : target === "3"
        ? "Import the base classes from the task SDK `airflow.sdk`; hooks also fall back to `airflow.hooks.base`, which Airflow 3.0 still uses:"
        : "Import the base classes from their Airflow 2 modules (they also still load on 3.x through deprecated aliases):";
  return [
    heading,
    why,
    "",
    "Operator:",
    block(importLines(BASE_IMPORTS.operator, target)),
    "Sensor:",
    block(importLines(BASE_IMPORTS.sensor, target)),
    "Hook:",
    block(importLines(BASE_IMPORTS.hook, target, true)),
    "Context type (only for annotations, imported under `if TYPE_CHECKING:`):",
    block(importLines(CONTEXT_IMPORT, target)),
    "Example DAG:",
    block(importLines(DAG_IMPORT, target)),
  ].join("\n");
}
