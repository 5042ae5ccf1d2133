/** The dashboard's audit trail: who trusted or discarded a rule, or requeued a job, and when. */
import type { Kysely } from "kysely";
import type { Tables } from "../db/schema.js";

export type AuditAction = "trust_rule" | "discard_rule" | "requeue_job";

export interface AuditEntry {
  id: number;
  installationId: number;
  /** GitHub login, or `token` for the shared dashboard token. */
  actor: string;
  via: "github" | "token";
  action: AuditAction;
  targetId: number;
  createdAt: number;
}

export async function recordAction(db: Kysely<Tables>, entry: Omit<AuditEntry, "id">): Promise<void> {
  await db
    .insertInto("dashboard_actions")
    .values({
      installation_id: entry.installationId,
      actor: entry.actor,
      via: entry.via,
      action: entry.action,
      target_id: entry.targetId,
      created_at: entry.createdAt,
    })
    .execute();
}

/** The installation's actions, newest first. */
export async function listActions(db: Kysely<Tables>, installationId: number, limit = 50): Promise<AuditEntry[]> {
  const rows = await db
    .selectFrom("dashboard_actions")
    .selectAll()
    .where("installation_id", "=", installationId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id, installationId: r.installation_id, actor: r.actor, via: r.via, action: r.action, targetId: r.target_id, createdAt: r.created_at,
  }));
}
