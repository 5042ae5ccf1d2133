import type { RepoConfig } from "../config/repo-config.js";
import type { SpecFinding } from "../spec/types.js";

/** The installation and repository a job acts on; the worker authenticates as that installation. */
export interface RepoRef {
  installationId: number;
  owner: string;
  repo: string;
}

/** Payload of each job type. Handlers enqueue them; `src/flows/` runs them. */
export interface JobPayloads {
  /**
   * An `issues` event as the handler recorded it, before any GitHub request: the job reads the repository
   * configuration and queues what the event asks for (spec-invalid, config-invalid or acknowledge).
   */
  "issue-event": RepoRef & {
    issueNumber: number;
    action: "opened" | "labeled" | "edited";
    /** The label just added (`issues.labeled`). */
    labelName?: string;
    labels: string[];
    body: string;
  };
  "spec-invalid": RepoRef & { issueNumber: number; label: string; errors: SpecFinding[]; warnings: SpecFinding[] };
  "config-invalid": RepoRef & { issueNumber: number; errors: string[] };
  generate: RepoRef & { issueNumber: number; specFingerprint: string; config: RepoConfig };
  /** Says "queued" on the issue, then queues the `generate` job with the same payload. */
  acknowledge: RepoRef & { issueNumber: number; specFingerprint: string; config: RepoConfig };
  "ci-result": RepoRef & { headSha: string };
  retry: RepoRef & {
    prNumber: number;
    trigger: "ci_retry" | "manual_retry";
    guidance?: string;
    commentId?: number;
    requestedBy?: string;
  };
  feedback: RepoRef & { prNumber: number; merged: boolean; mergeSha: string | null };
  /** Looks for a maintainer's 👍 / 👎 on the lessons comment (GitHub sends no webhook for reactions). */
  "lessons-verdict": RepoRef & { prNumber: number; commentId: number; ruleIds: number[]; check: number };
}

export type JobType = keyof JobPayloads;

export const JOB_TYPES: readonly JobType[] = [
  "issue-event",
  "spec-invalid",
  "config-invalid",
  "acknowledge",
  "generate",
  "ci-result",
  "retry",
  "feedback",
  "lessons-verdict",
];
