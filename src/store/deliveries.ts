import type { Database } from "better-sqlite3";

/**
 * Remembers a webhook delivery (`X-GitHub-Delivery`). Returns false when the id was seen before, so a
 * redelivered webhook is acknowledged without doing its work twice.
 */
export function recordDelivery(db: Database, deliveryId: string, event: string, now: number = Date.now()): boolean {
  if (deliveryId === "") throw new Error("delivery id is empty");
  const info = db
    .prepare("INSERT INTO webhook_deliveries (delivery_id, event, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
    .run(deliveryId, event, now);
  return info.changes === 1;
}

/** GitHub redelivers for a few days at most; older ids only cost space. Returns rows removed. */
export function pruneDeliveries(db: Database, olderThan: number): number {
  return db.prepare("DELETE FROM webhook_deliveries WHERE received_at < ?").run(olderThan).changes;
}
