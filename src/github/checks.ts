import { requireRepo, requireText } from "./client.js";
import type { GitHubClient, RepoCoordinates } from "./client.js";
import { pathProblem } from "./paths.js";

/** GitHub takes at most this many annotations per create or update request. */
export const MAX_ANNOTATIONS_PER_REQUEST = 50;
/** Limit of `output.summary` (and `output.text`) in the checks API. */
export const MAX_CHECK_OUTPUT_CHARS = 65_535;
/** Limit of an annotation's `message` (64 KB). */
const MAX_ANNOTATION_MESSAGE_CHARS = 65_535;
/** Limit of an annotation's `title`. */
const MAX_ANNOTATION_TITLE_CHARS = 255;

const TRUNCATION_NOTE = "\n\n… (truncated)";

export type CheckConclusion = "success" | "failure" | "neutral" | "action_required" | "cancelled" | "skipped" | "timed_out";

export interface CheckAnnotation {
  /** Repository-relative path of the annotated file. */
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
}

export interface CheckRunInput extends RepoCoordinates {
  headSha: string;
  /** Defaults to `opforge/validate`. */
  name?: string;
  conclusion: CheckConclusion;
  title: string;
  /** Markdown; cut to 65,535 characters with a note when longer. */
  summary: string;
  /** Optional Markdown details below the summary; cut like the summary. */
  text?: string;
  annotations: readonly CheckAnnotation[];
}

export interface CheckRunResult {
  id: number;
  url: string;
  /** Requests made: one create plus one update per further batch of 50 annotations. */
  requests: number;
}

/** Cuts `value` to `max` characters, ending with a visible note, never splitting a surrogate pair. */
export function truncateText(value: string, max: number): string {
  if (value.length <= max) return value;
  let cut = Math.max(0, max - TRUNCATION_NOTE.length);
  const last = value.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return value.slice(0, cut) + TRUNCATION_NOTE;
}

function checkAnnotation(annotation: CheckAnnotation, index: number): CheckAnnotation {
  const field = `annotations[${index}]`;
  const problem = pathProblem(annotation.path);
  if (problem !== undefined) throw new Error(`${field}.path ${JSON.stringify(annotation.path)} is invalid: ${problem}`);
  const { start_line: start, end_line: end } = annotation;
  if (!Number.isSafeInteger(start) || start < 1) throw new Error(`${field}.start_line must be a positive integer, got ${start}`);
  if (!Number.isSafeInteger(end) || end < start) throw new Error(`${field}.end_line must be an integer >= start_line (${start}), got ${end}`);
  if (!["notice", "warning", "failure"].includes(annotation.annotation_level)) {
    throw new Error(`${field}.annotation_level must be notice, warning or failure, got ${JSON.stringify(annotation.annotation_level)}`);
  }
  requireText(annotation.message, `${field}.message`);
  const out: CheckAnnotation = {
    path: annotation.path,
    start_line: start,
    end_line: end,
    annotation_level: annotation.annotation_level,
    message: truncateText(annotation.message, MAX_ANNOTATION_MESSAGE_CHARS),
  };
  if (annotation.title !== undefined) out.title = truncateText(annotation.title, MAX_ANNOTATION_TITLE_CHARS);
  return out;
}

/**
 * Reports a finished check run on `headSha`. The first 50 annotations go with the create request,
 * the rest follow in updates of 50 (GitHub appends annotations on update).
 *
 * A re-run creates a new run under the same name; GitHub shows the newest run per name, so the
 * report is never doubled the way appending annotations to an old run would double it.
 */
export async function createCheckRun(octokit: GitHubClient, input: CheckRunInput): Promise<CheckRunResult> {
  requireRepo(input);
  if (typeof input.headSha !== "string" || !/^[0-9a-f]{40}$/i.test(input.headSha)) {
    throw new Error(`headSha ${JSON.stringify(input.headSha)} must be a 40-character commit SHA`);
  }
  const name = input.name ?? "opforge/validate";
  requireText(name, "name");
  requireText(input.title, "title");
  if (typeof input.summary !== "string") throw new Error("summary must be a string");
  if (!Array.isArray(input.annotations)) throw new Error("annotations must be an array");
  const annotations = input.annotations.map(checkAnnotation);

  const output = (batch: CheckAnnotation[]) => ({
    title: input.title,
    summary: truncateText(input.summary, MAX_CHECK_OUTPUT_CHARS),
    ...(input.text === undefined ? {} : { text: truncateText(input.text, MAX_CHECK_OUTPUT_CHARS) }),
    annotations: batch,
  });

  const { data: run } = await octokit.rest.checks.create({
    owner: input.owner,
    repo: input.repo,
    name,
    head_sha: input.headSha,
    status: "completed",
    conclusion: input.conclusion,
    output: output(annotations.slice(0, MAX_ANNOTATIONS_PER_REQUEST)),
  });
  let requests = 1;
  for (let start = MAX_ANNOTATIONS_PER_REQUEST; start < annotations.length; start += MAX_ANNOTATIONS_PER_REQUEST) {
    await octokit.rest.checks.update({
      owner: input.owner,
      repo: input.repo,
      check_run_id: run.id,
      output: output(annotations.slice(start, start + MAX_ANNOTATIONS_PER_REQUEST)),
    });
    requests += 1;
  }
  return { id: run.id, url: run.html_url ?? run.url, requests };
}
