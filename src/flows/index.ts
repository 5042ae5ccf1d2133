import { Worker, type WorkerOptions } from "../jobs/worker.js";
import { runAcknowledgeJob } from "./acknowledge.js";
import { runCiResultJob } from "./ci-result.js";
import { runFeedbackJob } from "./feedback.js";
import { runGenerateJob } from "./generate.js";
import { runIssueEventJob } from "./issue-event.js";
import { runLessonsVerdictJob } from "./lessons-verdict.js";
import type { JobType } from "./job-types.js";
import { runRetryJob } from "./retry.js";
import type { FlowServices } from "./services.js";
import { runConfigInvalidJob, runSpecInvalidJob } from "./spec-invalid.js";

const flows: Record<JobType, (job: Parameters<typeof runGenerateJob>[0], ctx: Parameters<typeof runGenerateJob>[1], s: FlowServices) => Promise<void>> = {
  "issue-event": runIssueEventJob,
  "spec-invalid": runSpecInvalidJob,
  "config-invalid": runConfigInvalidJob,
  acknowledge: runAcknowledgeJob,
  generate: runGenerateJob,
  "ci-result": runCiResultJob,
  retry: runRetryJob,
  feedback: runFeedbackJob,
  "lessons-verdict": runLessonsVerdictJob,
};

/** A worker that runs every job type the handlers enqueue. */
export function createFlowWorker(services: FlowServices, options: Omit<WorkerOptions, "db" | "logger">): Worker {
  const worker = new Worker({ db: services.db, kysely: services.kysely, logger: services.log, clock: services.now, ...options });
  for (const [type, flow] of Object.entries(flows)) {
    worker.register(type, (job, ctx) => flow(job, ctx, services));
  }
  return worker;
}
