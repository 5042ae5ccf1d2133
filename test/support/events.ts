import { INSTALLATION_ID } from "./app-harness.js";
import { webhookExample } from "./webhook-examples.js";

/**
 * Real payloads from @octokit/webhooks-examples (repository Codertocat/Hello-World), with only the
 * fields a scenario needs patched. Each builder lists the fields it patches.
 */

type Payload = Record<string, unknown> & {
  installation?: { id: number; node_id: string };
};

const installation = { id: INSTALLATION_ID, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg==" };

interface Labelled {
  name: string;
  [key: string]: unknown;
}

/**
 * `issues.labeled` example 0. Patched: `installation`, `issue.number`, `issue.body`, `issue.labels`
 * (the example's "bug" label renamed), `label.name`.
 */
export function issueLabeled(input: { issueNumber: number; body: string; label?: string; otherLabels?: string[] }): Payload {
  const payload = webhookExample<Payload & { issue: Record<string, unknown> & { labels: Labelled[] }; label: Labelled }>("issues", "labeled", 0);
  const label = input.label ?? "generate-operator";
  payload.installation = installation;
  payload.issue.number = input.issueNumber;
  payload.issue.body = input.body;
  const template = payload.issue.labels[0] ?? payload.label;
  payload.issue.labels = [...(input.otherLabels ?? []), label].map((name) => ({ ...template, name }));
  payload.label = { ...payload.label, name: label };
  return payload;
}

/**
 * `check_suite.completed` example 1 (the GitHub Actions suite). Patched: `installation`,
 * `check_suite.id`, `check_suite.head_sha`, `check_suite.head_branch`, `check_suite.conclusion`.
 */
export function checkSuiteCompleted(input: { suiteId: number; headSha: string; headBranch: string; conclusion: "success" | "failure" }): Payload {
  const payload = webhookExample<Payload & { check_suite: Record<string, unknown> }>("check_suite", "completed", 1);
  payload.installation = installation;
  payload.check_suite.id = input.suiteId;
  payload.check_suite.head_sha = input.headSha;
  payload.check_suite.after = input.headSha;
  payload.check_suite.head_branch = input.headBranch;
  payload.check_suite.conclusion = input.conclusion;
  return payload;
}

/**
 * `issue_comment.created` example 0. Patched: `installation`, `issue.number`, `issue.pull_request`
 * (the example's issue is not a PR), `comment.id`, `comment.body`, `comment.user` and `sender`
 * (login and type).
 */
export function prCommentCreated(input: { prNumber: number; commentId: number; body: string; login: string; type?: "User" | "Bot" }): Payload {
  const payload = webhookExample<
    Payload & { issue: Record<string, unknown>; comment: Record<string, unknown> & { user: Record<string, unknown> }; sender: Record<string, unknown> }
  >("issue_comment", "created", 0);
  const type = input.type ?? "User";
  payload.installation = installation;
  payload.issue.number = input.prNumber;
  payload.issue.pull_request = {
    url: `https://api.github.com/repos/Codertocat/Hello-World/pulls/${input.prNumber}`,
    html_url: `https://github.com/Codertocat/Hello-World/pull/${input.prNumber}`,
    diff_url: `https://github.com/Codertocat/Hello-World/pull/${input.prNumber}.diff`,
    patch_url: `https://github.com/Codertocat/Hello-World/pull/${input.prNumber}.patch`,
    merged_at: null,
  };
  payload.comment.id = input.commentId;
  payload.comment.body = input.body;
  payload.comment.user = { ...payload.comment.user, login: input.login, type };
  payload.sender = { ...payload.sender, login: input.login, type };
  return payload;
}

/**
 * `pull_request.closed` example 0. Patched: `installation`, `pull_request.number`,
 * `pull_request.merged`, `pull_request.merge_commit_sha`, `pull_request.head.ref`, `pull_request.head.sha`.
 */
export function pullRequestClosed(input: { prNumber: number; merged: boolean; mergeSha: string | null; headRef: string; headSha: string }): Payload {
  const payload = webhookExample<Payload & { pull_request: Record<string, unknown> & { head: Record<string, unknown> } }>("pull_request", "closed", 0);
  payload.installation = installation;
  payload.pull_request.number = input.prNumber;
  payload.pull_request.merged = input.merged;
  payload.pull_request.merge_commit_sha = input.mergeSha;
  payload.pull_request.head = { ...payload.pull_request.head, ref: input.headRef, sha: input.headSha };
  return payload;
}

/**
 * `check_run.completed` example 0 (a failed GitHub Actions run). Patched: `installation`, `check_run.id`,
 * `check_run.name`, `check_run.head_sha`, `check_run.conclusion`, `check_run.check_suite.id`.
 */
export function checkRunCompleted(input: { runId: number; suiteId: number; name: string; headSha: string; conclusion: "success" | "failure" }): Payload {
  const payload = webhookExample<Payload & { check_run: Record<string, unknown> & { check_suite: Record<string, unknown> } }>("check_run", "completed", 0);
  payload.installation = installation;
  payload.check_run.id = input.runId;
  payload.check_run.name = input.name;
  payload.check_run.head_sha = input.headSha;
  payload.check_run.conclusion = input.conclusion;
  payload.check_run.check_suite = { ...payload.check_run.check_suite, id: input.suiteId, head_sha: input.headSha };
  return payload;
}

/**
 * `workflow_run.completed` example 1 (its repository is octo-org/octo-repo). Patched: `installation`,
 * `repository` (the Codertocat/Hello-World one of the other examples), `workflow_run.id`,
 * `workflow_run.head_sha`, `workflow_run.head_branch`, `workflow_run.conclusion`.
 */
export function workflowRunCompleted(input: { runId: number; headSha: string; headBranch: string; conclusion: "success" | "failure" }): Payload {
  const payload = webhookExample<Payload & { workflow_run: Record<string, unknown> }>("workflow_run", "completed", 1);
  payload.installation = installation;
  payload.repository = webhookExample<Payload>("issues", "labeled", 0).repository;
  payload.workflow_run.id = input.runId;
  payload.workflow_run.head_sha = input.headSha;
  payload.workflow_run.head_branch = input.headBranch;
  payload.workflow_run.conclusion = input.conclusion;
  return payload;
}
