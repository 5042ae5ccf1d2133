import type { Octokit } from "@octokit/rest";

/** What kind of failure a CI check reported, as far as its text tells. */
export type CiFailureKind =
  | "syntax"
  | "import"
  | "name"
  | "type"
  | "attribute"
  | "test_failure"
  | "lint"
  | "dependency_conflict"
  | "dag_import"
  | "timeout"
  | "unknown";

/** One failure read from a check run's output, annotations or job log, normalized across tools. */
export interface CiFailure {
  /** Name of the check run that reported it. */
  check: string;
  kind: CiFailureKind;
  /** Unqualified Python exception class (`TypeError`, `AirflowTaskTimeout`), or a tool's own label. */
  exceptionType?: string;
  /** First line of the error message, without the exception type prefix. */
  message: string;
  /** Repository-relative path when the runner's checkout prefix could be recognized. */
  file?: string;
  line?: number;
  /** The lines the failure was read from, bounded in size. */
  excerpt: string;
  /** Linter rule code (`S602`, `F401`, `E501`). */
  ruleCode?: string;
  /** Stable id: check name, exception type or rule code, and message with literals removed. */
  fingerprint: string;
}

/** A failure as a parser sees it, before it is tied to a check run. */
export type ParsedFailure = Omit<CiFailure, "check" | "fingerprint">;

/** The check run fields normalization reads (a subset of the REST API's check run object). */
export interface CheckRunOutputInput {
  title?: string | null;
  summary?: string | null;
  text?: string | null;
}

export interface CheckRunInput {
  name: string;
  conclusion?: string | null;
  output?: CheckRunOutputInput | null;
}

/** A check run annotation as `GET /repos/{owner}/{repo}/check-runs/{id}/annotations` returns it. */
export interface AnnotationInput {
  path: string;
  start_line: number;
  end_line?: number;
  annotation_level: string | null;
  title?: string | null;
  message: string | null;
  raw_details?: string | null;
}

/**
 * The part of an Octokit the CI reader calls. Both `@octokit/rest`'s Octokit and Probot 14's
 * `context.octokit` satisfy it; the full `Octokit` type would reject Probot's client.
 */
export type CiOctokit = Pick<Octokit, "rest" | "paginate" | "request">;
