import type { Context } from "probot";
import { parseRepoConfig, type RepoConfigResult } from "../config/repo-config.js";
import type { JobPayloads, JobType, RepoRef } from "../flows/job-types.js";
import { enqueue } from "../jobs/queue.js";
import type { Database } from "../store/database.js";
import { recordDelivery } from "../store/deliveries.js";

/** What the webhook handlers need: they record and enqueue, nothing slower. */
export interface HandlerServices {
  db: Database;
  now: () => number;
}

/** false when this delivery id was handled before (GitHub redelivers on timeouts and on request). */
export function firstDelivery(services: HandlerServices, context: Context): boolean {
  return recordDelivery(services.db, context.id, context.name, services.now());
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

export async function loadRepoConfig(context: Context): Promise<RepoConfigResult> {
  const raw: unknown = await context.config("opforge.yml");
  return parseRepoConfig(raw);
}

export function enqueueJob<T extends JobType>(
  services: HandlerServices,
  type: T,
  payload: JobPayloads[T],
  dedupeKey?: string,
): { jobId: number; created: boolean } {
  const result = enqueue(services.db, { type, payload, ...(dedupeKey === undefined ? {} : { dedupeKey }) }, services.now());
  return { jobId: result.job.id, created: result.created };
}

export function isBot(user: { type?: string; login?: string } | null | undefined): boolean {
  return user?.type === "Bot" || (user?.login?.endsWith("[bot]") ?? false);
}
