/** The dashboard's audit trail: who trusted or discarded a rule, or requeued a job, and when. */
import type { Database } from "./database.js";

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

export function recordAction(db: Database, entry: Omit<AuditEntry, "id">): void {
  db.prepare(
    "INSERT INTO dashboard_actions (installation_id, actor, via, action, target_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
  ).run(entry.installationId, entry.actor, entry.via, entry.action, entry.targetId, entry.createdAt);
}

/** The installation's actions, newest first. */
export function listActions(db: Database, installationId: number, limit = 50): AuditEntry[] {
  const rows = db
    .prepare("SELECT * FROM dashboard_actions WHERE installation_id = ? ORDER BY created_at DESC, id DESC LIMIT ?")
    .all(installationId, limit) as {
    id: number; installation_id: number; actor: string; via: AuditEntry["via"]; action: AuditAction; target_id: number; created_at: number;
  }[];
  return rows.map((r) => ({
    id: r.id, installationId: r.installation_id, actor: r.actor, via: r.via, action: r.action, targetId: r.target_id, createdAt: r.created_at,
  }));
}
