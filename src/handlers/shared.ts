import type { Kysely } from "kysely";
import type { Context } from "probot";
import type { Tables } from "../db/schema.js";
import type { JobPayloads, JobType, RepoRef } from "../flows/job-types.js";
import { enqueue } from "../jobs/queue.js";
import { recordDelivery } from "../store/deliveries.js";
import { checkWebhookPayload } from "./payloads.js";

/** What the webhook handlers need: they record and enqueue, nothing slower. */
export interface HandlerServices {
  /** The database (see FlowServices.kysely). */
  kysely: Kysely<Tables>;
  now: () => number;
}

/**
 * Records the delivery and queues its job in one transaction; null when this delivery id was handled before
 * (GitHub redelivers on timeouts and on request). Handlers call it before any GitHub request, so a delivery
 * answered 2xx always leaves its job behind. Two statements in a short transaction: the acknowledgement
 * waits for nothing else.
 */
export async function enqueueOnce<T extends JobType>(
  services: HandlerServices,
  context: Context,
  type: T,
  payload: JobPayloads[T],
  dedupeKey?: string,
  priority?: number,
): Promise<{ jobId: number; created: boolean } | null> {
  return services.kysely.transaction().execute(async (trx) => {
    if (!(await recordDelivery(trx, context.id, context.name, services.now()))) return null;
    return enqueueJob(trx, services.now(), type, payload, dedupeKey, priority);
  });
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

/** Queues a job through `db` (the handler's transaction, or the Kysely instance itself). */
export async function enqueueJob<T extends JobType>(
  db: Kysely<Tables>,
  now: number,
  type: T,
  payload: JobPayloads[T],
  dedupeKey?: string,
  priority?: number,
): Promise<{ jobId: number; created: boolean }> {
  const result = await enqueue(
    db,
    { type, payload, ...(dedupeKey === undefined ? {} : { dedupeKey }), ...(priority === undefined ? {} : { priority }) },
    now,
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
