import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/store/database.js";
import { getAttempt, recordAttempt, upsertGenerationForIssue } from "../../src/store/generations.js";
import { releaseSpendReservation, reserveSpend, settleSpendReservation } from "../../src/store/spend.js";
import { sampleSpec } from "./helpers.js";

const NOW = Date.UTC(2026, 11, 2, 9);
const TTL = 15 * 60_000;
let db: Database;
beforeEach(() => {
  db = openDatabase(":memory:");
});
afterEach(() => db.close());

function spend(installationId: number, usd: number): number {
  const { generation } = upsertGenerationForIssue(
    db,
    { repo: "acme/pipelines", installationId, issueNumber: installationId, specFingerprint: "f", spec: sampleSpec(), provider: "anthropic", model: "claude-sonnet-5-5" },
    NOW,
  );
  return recordAttempt(db, { generationId: generation.id, trigger: "initial", strategy: "fresh", costUsd: usd, replyMode: "files" }, NOW).id;
}

const reserve = (amountUsd: number, now = NOW, installationId = 7) => reserveSpend(db, { installationId, amountUsd, limitUsd: 1, now, ttlMs: TTL });

describe("spend reservations", () => {
  it("count spend and every live reservation of the installation, and nothing of other installations", () => {
    spend(7, 0.4);
    spend(8, 0.9);
    expect(reserve(0.3)).toMatchObject({ ok: true, spentUsd: 0.4, reservedUsd: 0 });
    expect(reserve(0.35)).toEqual({ ok: false, spentUsd: 0.4, reservedUsd: 0.3, limitUsd: 1 });
    expect(reserve(0.3, NOW, 9)).toMatchObject({ ok: true, spentUsd: 0, reservedUsd: 0 });
  });

  it("a settled reservation holds the call's real cost until released", () => {
    const held = reserve(0.5);
    if (!held.ok) throw new Error("refused");
    expect(reserve(0.6).ok).toBe(false);
    settleSpendReservation(db, held.id, 0.1);
    expect(reserve(0.6)).toMatchObject({ ok: true, reservedUsd: 0.1 });
    releaseSpendReservation(db, held.id);
    expect(reserve(0.3)).toMatchObject({ ok: true, reservedUsd: 0.6 });
  });

  it("a reservation left by a process that died stops counting when it expires", () => {
    expect(reserve(0.9).ok).toBe(true);
    expect(reserve(0.9, NOW + TTL - 1).ok).toBe(false);
    expect(reserve(0.9, NOW + TTL)).toMatchObject({ ok: true, reservedUsd: 0 });
    expect(db.prepare("SELECT COUNT(*) AS n FROM spend_reservations").get()).toEqual({ n: 1 });
  });

  it("attempts record how the model gave the files", () => {
    expect(getAttempt(db, spend(7, 0))?.replyMode).toBe("files");
  });
});
