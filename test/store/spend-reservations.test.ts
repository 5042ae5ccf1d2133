import type { Kysely } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Tables } from "../../src/db/schema.js";
import { getAttempt, recordAttempt, upsertGenerationForIssue } from "../../src/store/generations.js";
import { releaseSpendReservation, reserveSpend, settleSpendReservation, type SpendReservation } from "../../src/store/spend.js";
import { describeBackends, openBackend, type TestBackend } from "../support/backends.js";
import { sampleSpec } from "./helpers.js";

const NOW = Date.UTC(2026, 11, 2, 9);
const TTL = 15 * 60_000;

describeBackends("spend reservations", (kind) => {
  let backend: TestBackend;
  let db: Kysely<Tables>;
  beforeAll(async () => {
    backend = await openBackend(kind);
    db = backend.kysely;
  });
  afterAll(() => backend.close());

  // One database per backend: each test reserves for installations of its own.
  let tests = 0;
  function installations(): [number, number, number] {
    tests += 1;
    return [tests * 10, tests * 10 + 1, tests * 10 + 2];
  }

  async function spend(installationId: number, usd: number): Promise<number> {
    const { generation } = await upsertGenerationForIssue(
      db,
      { repo: "acme/pipelines", installationId, issueNumber: installationId, specFingerprint: "f", spec: sampleSpec(), provider: "anthropic", model: "claude-sonnet-5-5" },
      NOW,
    );
    return (await recordAttempt(db, { generationId: generation.id, trigger: "initial", strategy: "fresh", costUsd: usd, replyMode: "files" }, NOW)).id;
  }

  const reserve = (installationId: number, amountUsd: number, now = NOW, on: Kysely<Tables> = db): Promise<SpendReservation> =>
    reserveSpend(on, { installationId, amountUsd, limitUsd: 1, now, ttlMs: TTL });

  async function reservationsOf(installationId: number): Promise<number[]> {
    const rows = await db.selectFrom("spend_reservations").select("amount_usd").where("installation_id", "=", installationId).orderBy("id").execute();
    return rows.map((r) => r.amount_usd);
  }

  it("count spend and every live reservation of the installation, and nothing of other installations", async () => {
    const [mine, other, third] = installations();
    await spend(mine, 0.4);
    await spend(other, 0.9);
    expect(await reserve(mine, 0.3)).toMatchObject({ ok: true, spentUsd: 0.4, reservedUsd: 0 });
    expect(await reserve(mine, 0.35)).toEqual({ ok: false, spentUsd: 0.4, reservedUsd: 0.3, limitUsd: 1 });
    expect(await reserve(third, 0.3)).toMatchObject({ ok: true, spentUsd: 0, reservedUsd: 0 });
    expect(await reservationsOf(mine)).toEqual([0.3]);
  });

  it("a settled reservation holds the call's real cost until released", async () => {
    const [mine] = installations();
    const held = await reserve(mine, 0.5);
    if (!held.ok) throw new Error("refused");
    expect((await reserve(mine, 0.6)).ok).toBe(false);
    await settleSpendReservation(db, held.id, 0.1);
    expect(await reserve(mine, 0.6)).toMatchObject({ ok: true, reservedUsd: 0.1 });
    await releaseSpendReservation(db, held.id);
    expect(await reserve(mine, 0.3)).toMatchObject({ ok: true, reservedUsd: 0.6 });
    // A call that reported a negative cost holds nothing.
    await settleSpendReservation(db, held.id + 1, -5);
    expect(await reservationsOf(mine)).toEqual([0, 0.3]);
  });

  it("a reservation left by a process that died stops counting when it expires", async () => {
    const [mine] = installations();
    expect((await reserve(mine, 0.9)).ok).toBe(true);
    expect((await reserve(mine, 0.9, NOW + TTL - 1)).ok).toBe(false);
    expect(await reserve(mine, 0.9, NOW + TTL)).toMatchObject({ ok: true, reservedUsd: 0 });
    expect(await reservationsOf(mine)).toEqual([0.9]);
  });

  it("of two reservations at once that together pass the limit, exactly one is granted", async () => {
    const [mine] = installations();
    const both = await Promise.all([reserve(mine, 0.6), reserve(mine, 0.6)]);
    expect(both.map((r) => r.ok).sort()).toEqual([false, true]);
    expect(both.find((r) => !r.ok)).toEqual({ ok: false, spentUsd: 0, reservedUsd: 0.6, limitUsd: 1 });
    expect(await reservationsOf(mine)).toEqual([0.6]);
  });

  it("a reservation waits for another one still in flight, then counts it", async () => {
    const [mine, other] = installations();
    let reserved!: () => void;
    const firstReserved = new Promise<void>((resolve) => (reserved = resolve));
    let finish!: () => void;
    const finishFirst = new Promise<void>((resolve) => (finish = resolve));
    // The first reservation's transaction stays open (as while its caller does more in it) until told to commit.
    const first = db.transaction().execute(async (trx) => {
      const result = await reserve(mine, 0.6, NOW, trx);
      reserved();
      await finishFirst;
      return result;
    });
    await firstReserved;
    let secondDone = false;
    const second = reserve(mine, 0.6).then((result) => {
      secondDone = true;
      return result;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(secondDone).toBe(false);
    if (kind === "postgres") {
      // Another installation's reservation is not held up meanwhile (on SQLite every write waits its turn).
      expect((await reserve(other, 0.6)).ok).toBe(true);
    }
    finish();
    expect(await first).toMatchObject({ ok: true });
    expect(await second).toEqual({ ok: false, spentUsd: 0, reservedUsd: 0.6, limitUsd: 1 });
  });

  it("attempts record how the model gave the files", async () => {
    const [mine] = installations();
    expect((await getAttempt(db, await spend(mine, 0)))?.replyMode).toBe("files");
  });
});
