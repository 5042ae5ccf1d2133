import type { Kysely } from "kysely";
import type { Tables } from "../db/schema.js";

/**
 * Remembers a webhook delivery (`X-GitHub-Delivery`). Returns false when the id was seen before, so a
 * redelivered webhook is acknowledged without doing its work twice. ON CONFLICT rather than a look-up first:
 * two replicas given the same delivery at once record it once, and only one of them says true.
 */
export async function recordDelivery(db: Kysely<Tables>, deliveryId: string, event: string, now: number = Date.now()): Promise<boolean> {
  if (deliveryId === "") throw new Error("delivery id is empty");
  const inserted = await db
    .insertInto("webhook_deliveries")
    .values({ delivery_id: deliveryId, event, received_at: now })
    .onConflict((oc) => oc.column("delivery_id").doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** GitHub redelivers for a few days at most; older ids only cost space. Returns rows removed. */
export async function pruneDeliveries(db: Kysely<Tables>, olderThan: number): Promise<number> {
  const result = await db.deleteFrom("webhook_deliveries").where("received_at", "<", olderThan).executeTakeFirst();
  return Number(result.numDeletedRows);
}
