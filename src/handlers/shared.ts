import type { Context } from "probot";
import { parseRepoConfig, type RepoConfigResult } from "../config/repo-config.js";
import type { JobPayloads, JobType, RepoRef } from "../flows/job-types.js";
import { enqueue } from "../jobs/queue.js";
import type { Database } from "../store/database.js";
import { recordDelivery } from "../store/deliveries.js";
import { checkWebhookPayload } from "./payloads.js";

/** What the webhook handlers need: they record and enqueue, nothing slower. */
export interface HandlerServices {
  db: Database;
  now: () => number;
}

/**
 * Records the delivery and queues its job in one transaction; null when this delivery id was handled before
 * (GitHub redelivers on timeouts and on request). A delivery whose handler failed before this point is not
 * recorded, so its redelivery is processed.
 */
export function enqueueOnce<T extends JobType>(
  services: HandlerServices,
  context: Context,
  type: T,
  payload: JobPayloads[T],
  dedupeKey?: string,
  priority?: number,
): { jobId: number; created: boolean } | null {
  return services.db.transaction(() => {
    if (!recordDelivery(services.db, context.id, context.name, services.now())) return null;
    return enqueueJob(services, type, payload, dedupeKey, priority);
  })();
}

interface RepositoryPayload {
  installation?: { id: number } | null;
  repository?: { name: string; owner: { login: string } } | null;
}

/** null for events that reach the app without an installation (nothing can be done for them). */
export function repoRef(context: { payload: unknown }): RepoRef | null {
  const payload = context.payload as RepositoryPayload;
  const installationId = payload.installation?.id;
  if (installationId === undefined || payload.repository == null) return null;
  return { installationId, owner: payload.repository.owner.login, repo: payload.repository.name };
}

function hasHttpStatus(error: unknown): boolean {
  return typeof error === "object" && error !== null && typeof (error as { status?: unknown }).status === "number";
}

/**
 * `.github/opforge.yml` through Probot's config loader. A file that cannot be parsed is a configuration
 * error to show the user; a failed request is thrown, so the delivery fails and GitHub's redelivery retries it.
 */
export async function loadRepoConfig(context: Context): Promise<RepoConfigResult> {
  let raw: unknown;
  try {
    raw = await context.config("opforge.yml");
  } catch (error) {
    if (hasHttpStatus(error) || !(error instanceof Error)) throw error;
    const cause = error.cause instanceof Error ? error.cause.message : error.message;
    return { ok: false, errors: [`.github/opforge.yml: not valid YAML: ${cause}`] };
  }
  return parseRepoConfig(raw);
}

export function enqueueJob<T extends JobType>(
  services: HandlerServices,
  type: T,
  payload: JobPayloads[T],
  dedupeKey?: string,
  priority?: number,
): { jobId: number; created: boolean } {
  const result = enqueue(
    services.db,
    { type, payload, ...(dedupeKey === undefined ? {} : { dedupeKey }), ...(priority === undefined ? {} : { priority }) },
    services.now(),
  );
  return { jobId: result.job.id, created: result.created };
}

export function isBot(user: { type?: string; login?: string } | null | undefined): boolean {
  return user?.type === "Bot" || (user?.login?.endsWith("[bot]") ?? false);
}

/**
 * Whether the payload carries what the handler reads. The HTTP endpoint refuses such payloads with 400;
 * this guards the other ways in (`probot.receive`, a proxy), where the event is dropped with a warning.
 */
export function usablePayload(context: { name: string; payload: unknown; log: { warn(obj: object, msg?: string): void } }): boolean {
  const checked = checkWebhookPayload(context.name, context.payload);
  if (!checked.ok) context.log.warn({ reason: checked.reason }, "webhook payload ignored");
  return checked.ok;
}
