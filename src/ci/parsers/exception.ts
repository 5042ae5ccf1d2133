import type { CiFailureKind } from "../types.js";

/** `airflow.exceptions.AirflowTaskTimeout: message` or a bare `KeyboardInterrupt`. */
const EXCEPTION_LINE = /^([A-Za-z_]\w{0,200}(?:\.[A-Za-z_]\w{0,200}){0,20})(?::(?: (.*))?)?$/;
const EXCEPTION_SUFFIX = /(?:Error|Exception|Exit|Interrupt|Timeout|Warning|Failure|Iteration)$/;

export interface ExceptionLine {
  /** Unqualified class name. */
  type: string;
  message: string;
}

/** Last dotted segment: `airflow.exceptions.AirflowException` → `AirflowException`. */
export function unqualified(type: string): string {
  const dot = type.lastIndexOf(".");
  return dot === -1 ? type : type.slice(dot + 1);
}

export function looksLikeExceptionType(type: string): boolean {
  const name = unqualified(type);
  return EXCEPTION_SUFFIX.test(name) || name === "Failed";
}

/**
 * Reads `Type: message` from a line. With `strict`, the type must look like an exception class
 * (outside a traceback a line such as `Note: something` is not an exception).
 */
export function parseExceptionLine(text: string, strict: boolean): ExceptionLine | undefined {
  const match = EXCEPTION_LINE.exec(text.trim());
  if (!match || match[1] === undefined) return undefined;
  const type = match[1];
  if (strict && !looksLikeExceptionType(type)) return undefined;
  if (!strict && match[2] === undefined && !text.includes(":") && !looksLikeExceptionType(type)) return undefined;
  return { type: unqualified(type), message: (match[2] ?? "").trim() };
}

const KIND_BY_TYPE: Readonly<Record<string, CiFailureKind>> = {
  SyntaxError: "syntax",
  IndentationError: "syntax",
  TabError: "syntax",
  ImportError: "import",
  ModuleNotFoundError: "import",
  NameError: "name",
  UnboundLocalError: "name",
  TypeError: "type",
  AttributeError: "attribute",
  AirflowTaskTimeout: "timeout",
  TimeoutError: "timeout",
};

// Airflow raises these constructor mistakes as AirflowException on 2.x, where 3.x raises TypeError.
const AIRFLOW_CONSTRUCTOR_MESSAGE =
  /missing keyword argument|Invalid arguments were passed|Use keyword arguments when initializing/;

/** The failure kind an exception stands for; `fallback` when the type says nothing specific. */
export function kindForException(type: string, message: string, fallback: CiFailureKind): CiFailureKind {
  if (message.includes("DagBag import timeout")) return "timeout";
  if (type === "Failed" && message.startsWith("Timeout")) return "timeout";
  const byType = KIND_BY_TYPE[type];
  if (byType !== undefined) return byType;
  if (type === "AirflowException" && AIRFLOW_CONSTRUCTOR_MESSAGE.test(message)) return "type";
  return fallback;
}
