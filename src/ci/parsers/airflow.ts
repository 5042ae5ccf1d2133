import { repoRelativePath, type LogLine } from "../log-text.js";
import { kindForException, parseExceptionLine } from "./exception.js";
import { failure, type Found, type LineRanges } from "./found.js";

const BROKEN_DAG = /^(?:.{0,200}?)Broken DAG: \[([^\]]{1,1000})\] ?(.*)$/;
const DAGBAG_TIMEOUT = /DagBag import timeout for (\S{1,1000}) after (\d{1,6}(?:\.\d{1,3})?)s\.?/;
const JOB_TIMEOUT = /The job running on runner .{1,300} has exceeded the maximum execution time of \d{1,6} minutes\.?/;

/**
 * One-line Airflow and runner failures: `Broken DAG: [path] Error: message` (the traceback form is read
 * by the traceback parser), `DagBag import timeout for <file> after 30.0s`, and Actions job timeouts.
 */
export function parseAirflowAndRunner(lines: readonly LogLine[], skip: LineRanges): Found[] {
  const found: Found[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.text;
    if (text.length < 20) continue;
    if (text.includes("Broken DAG: [") && !text.includes("Traceback (most recent call last)")) {
      const broken = BROKEN_DAG.exec(text);
      if (broken) {
        const rest = broken[2]!.trim();
        const exception = parseExceptionLine(rest, true);
        const message = exception?.message ?? rest;
        found.push({
          failure: failure({
            kind: kindForException(exception?.type ?? "", message, "dag_import") === "timeout" ? "timeout" : "dag_import",
            exceptionType: exception?.type,
            message: message || "Broken DAG",
            file: repoRelativePath(broken[1]!),
            excerpt: text,
          }),
          start: i,
          end: i,
        });
        continue;
      }
    }
    // Inside a traceback the timeout is that traceback's exception, already reported with its frames.
    if (skip.has(i)) continue;
    const timeout = DAGBAG_TIMEOUT.exec(text);
    if (timeout) {
      found.push({
        failure: failure({
          kind: "timeout",
          exceptionType: "AirflowTaskTimeout",
          message: text.slice(timeout.index).trim(),
          file: repoRelativePath(timeout[1]!),
          excerpt: text,
        }),
        start: i,
        end: i,
      });
      continue;
    }
    const job = JOB_TIMEOUT.exec(text);
    if (job) {
      found.push({
        failure: failure({ kind: "timeout", exceptionType: "JobTimeout", message: job[0], excerpt: text }),
        start: i,
        end: i,
      });
    }
  }
  return found;
}
