import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { pruneDeliveries, recordDelivery } from "../../src/store/deliveries.js";
import { describeBackends, openBackend, type TestBackend } from "../support/backends.js";
import { emptyQueue } from "./helpers.js";

describeBackends("webhook deliveries", (kind) => {
  let backend: TestBackend;
  let db: TestBackend["kysely"];
  beforeAll(async () => {
    backend = await openBackend(kind);
    db = backend.kysely;
  });
  afterAll(async () => backend.close());
  beforeEach(async () => emptyQueue(db));

  it("accepts a delivery id once and reports a redelivery", async () => {
    expect(await recordDelivery(db, "72d3162e-cc78-11e3-81ab-4c9367dc0958", "issues", 1000)).toBe(true);
    expect(await recordDelivery(db, "72d3162e-cc78-11e3-81ab-4c9367dc0958", "issues", 2000)).toBe(false);
    expect(await recordDelivery(db, "72d3162e-cc78-11e3-81ab-4c9367dc0959", "check_suite", 3000)).toBe(true);
    await expect(recordDelivery(db, "", "issues", 0)).rejects.toThrow("delivery id is empty");
  });

  it("records a delivery given to several handlers at once exactly once", async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => recordDelivery(db, "same-delivery", "issues", 1000 + i)));
    expect(answers.filter((fresh) => fresh)).toHaveLength(1);
  });

  it("prunes old ids, after which the id counts as new again", async () => {
    await recordDelivery(db, "old", "issues", 1000);
    await recordDelivery(db, "new", "issues", 5000);
    expect(await pruneDeliveries(db, 2000)).toBe(1);
    expect(await recordDelivery(db, "new", "issues", 6000)).toBe(false);
    expect(await recordDelivery(db, "old", "issues", 6000)).toBe(true);
  });
});
