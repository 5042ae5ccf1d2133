import { afterAll, beforeAll, expect, it } from "vitest";
import { listActions, recordAction } from "../../src/store/audit.js";
import { describeBackends, openBackend, type TestBackend } from "../support/backends.js";

const T0 = Date.UTC(2026, 10, 25, 12);

describeBackends("the dashboard's audit trail", (kind) => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await openBackend(kind);
  });
  afterAll(() => backend.close());

  it("lists an installation's actions newest first, never another installation's", async () => {
    const db = backend.kysely;
    await recordAction(db, { installationId: 41, actor: "alice", via: "github", action: "trust_rule", targetId: 7, createdAt: T0 });
    await recordAction(db, { installationId: 41, actor: "token", via: "token", action: "requeue_job", targetId: 3_000_000_000, createdAt: T0 + 5 });
    await recordAction(db, { installationId: 41, actor: "bob", via: "github", action: "discard_rule", targetId: 8, createdAt: T0 + 5 });
    await recordAction(db, { installationId: 42, actor: "mallory", via: "github", action: "trust_rule", targetId: 9, createdAt: T0 + 9 });

    const actions = await listActions(db, 41);
    // Same moment: the later record first.
    expect(actions.map((a) => [a.actor, a.action, a.targetId, a.createdAt])).toEqual([
      ["bob", "discard_rule", 8, T0 + 5],
      ["token", "requeue_job", 3_000_000_000, T0 + 5],
      ["alice", "trust_rule", 7, T0],
    ]);
    expect(actions[0]).toEqual({ id: expect.any(Number), installationId: 41, actor: "bob", via: "github", action: "discard_rule", targetId: 8, createdAt: T0 + 5 });
    expect((await listActions(db, 41, 1)).map((a) => a.actor)).toEqual(["bob"]);
    expect((await listActions(db, 42)).map((a) => a.actor)).toEqual(["mallory"]);
    expect(await listActions(db, 43)).toEqual([]);
  });

  it("refuses an action the schema does not know", async () => {
    await expect(
      recordAction(backend.kysely, { installationId: 44, actor: "alice", via: "github", action: "delete_everything" as never, targetId: 1, createdAt: T0 }),
    ).rejects.toThrow(/check constraint/i);
    expect(await listActions(backend.kysely, 44)).toEqual([]);
  });
});
