/**
 * Error messages with the parts that vary between occurrences abstracted, so the same mistake made in
 * different operators, files and runs reads as one signature.
 */

const MAX_MESSAGE_CHARS = 1000;

/** Quoted literals that name the mistake rather than vary with it: they stay in the signature. */
const MEANINGFUL_LITERALS: ReadonlySet<string> = new Set(["task_id", "context", "event"]);

/** Class-name endings of Airflow components, for names without an inner capital (`Op`, `FooHook`). */
const COMPONENT_SUFFIX = /(?:Operator|Sensor|Hook|Trigger|Op|Dag|DAG)$/;

/** Airflow's own classes and exception types name the mistake, not the component: they stay. */
const KEPT_NAMES: ReadonlySet<string> = new Set([
  "DagBag",
  "BaseOperator",
  "BaseSensorOperator",
  "BaseHook",
  "BaseTrigger",
  "TriggerEvent",
  "PokeReturnValue",
  "PythonVirtualenvOperator",
  "ExternalPythonOperator",
]);

function isClassName(segment: string): boolean {
  if (KEPT_NAMES.has(segment) || /(?:Error|Exception|Warning|Timeout)$/.test(segment)) return false;
  if (!/^[A-Z]/.test(segment) || !/[a-z]/.test(segment)) return false;
  return /[A-Z0-9]/.test(segment.slice(1)) || COMPONENT_SUFFIX.test(segment);
}

function isDunder(segment: string): boolean {
  return segment.length > 4 && segment.startsWith("__") && segment.endsWith("__");
}

/** One identifier or dotted name from the message, abstracted by what it looks like. */
function abstractName(token: string, followedByCall: boolean): string {
  const segments = token.split(".");
  if (segments.length === 1) return isClassName(token) ? "<CLS>" : token;
  // `Op.__init__`, `Op.execute(`: keep the method, abstract the owner.
  const last = segments[segments.length - 1]!;
  if (isDunder(last) || followedByCall) {
    const owner = segments.slice(0, -1);
    const ownerText = owner.length === 1 && isClassName(owner[0]!) ? "<CLS>" : owner.every((s) => !isClassName(s)) ? "<MOD>" : "<MOD>.<CLS>";
    return `${ownerText}.${last}`;
  }
  return isClassName(last) ? "<MOD>.<CLS>" : "<MOD>";
}

/** The first line of a message with quotes, paths, names, numbers and ids replaced by placeholders. */
export function abstractMessage(message: string): string {
  const firstLine = message.split("\n", 1)[0]!.slice(0, MAX_MESSAGE_CHARS);
  return firstLine
    .replace(/\b0x[0-9a-fA-F]{1,32}\b/g, "<ADDR>")
    .replace(/\bhttps?:\/\/\S{1,500}/g, "<URL>")
    .replace(/(?<!\w)(['"`])([^'"`\n]{0,300})\1(?!\w)/g, (_all, _quote: string, inner: string) =>
      MEANINGFUL_LITERALS.has(inner) ? `'${inner}'` : "<STR>",
    )
    .replace(/(?:[A-Za-z]:)?(?:[\w.~-]*[/\\])+[\w.-]*/g, (path) => (path.includes("<") ? path : "<PATH>"))
    .replace(/(?<![\w.])[\w-]{1,200}\.(?:py|pyi|txt|cfg|toml|ya?ml|json|sql|sh|ini|lock)\b/g, "<PATH>")
    .replace(/\(task_id: [^)]{1,200}\)/g, "(task_id: <ID>)")
    .replace(/\b[0-9a-fA-F]{7,64}\b/g, (hex) => (/\d/.test(hex) && /[a-fA-F]/.test(hex) ? "<HEX>" : hex))
    .replace(/(?<!\w)[A-Za-z_]\w{0,200}(?:\.[A-Za-z_]\w{0,200}){0,20}(\(?)/g, (token: string, paren: string) => {
      const name = paren ? token.slice(0, -1) : token;
      return abstractName(name, paren === "(") + paren;
    })
    .replace(/(?<![\w.<])\d+(?:\.\d+)*/g, "<NUM>")
    .replace(/\s+/g, " ")
    .trim();
}
