import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { enqueue, fail, getJob, leaseNext } from "../../src/jobs/queue.js";
import { kyselyOverStore } from "../../src/db/over-store.js";
import { openDatabase } from "../../src/store/database.js";

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, "..", "..", "bin", "opforge.js");
const T0 = Date.parse("2026-03-02T10:00:00Z");

interface Run {
  code: number;
  out: string;
  err: string;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opforge-jobs-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function opforge(argv: string[], env: Record<string, string> = {}): Run {
  try {
    const out = execFileSync(process.execPath, [bin, ...argv], { cwd: dir, env: { ...process.env, OPFORGE_DB: "", OPFORGE_DATABASE_URL: "", ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { code: 0, out, err: "" };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { code: failed.status, out: failed.stdout, err: failed.stderr };
  }
}

/** A database with job #1 dead (a permanent failure) and job #2 queued. */
async function seed(): Promise<string> {
  const path = join(dir, "opforge.db");
  const db = kyselyOverStore(openDatabase(path));
  try {
    await enqueue(db, { type: "generate", payload: { repo: "acme/p", issue: 7 }, dedupeKey: "acme/p#7" }, T0);
    const leased = await leaseNext(db, "w1", T0, 60_000);
    if (leased === null) throw new Error("no job leased");
    await fail(db, leased.id, new Error("spec is invalid"), { transient: false, now: T0 + 1 });
    await enqueue(db, { type: "ci-result", payload: {} }, T0 + 2);
  } finally {
    await db.destroy();
  }
  return path;
}

describe("opforge jobs list and requeue (issue 11, item 7)", () => {
  it("lists dead jobs, requeues one by ID, and it is then queued with a fresh attempt budget", { timeout: 60_000 }, async () => {
    const path = await seed();
    const dead = opforge(["jobs", "list", "--state", "dead", "--db", path]);
    expect(dead).toMatchObject({ code: 0, err: "" });
    expect(dead.out).toMatch(/^#1 {2}dead {2}generate {2}attempts 1\/5 {2}updated 2026-03-02T10:00:00\.001Z {2}permanent failure on attempt 1: .*spec is invalid/);
    expect(dead.out.trim().split("\n")).toHaveLength(1);

    const json = opforge(["jobs", "list", "--json"], { OPFORGE_DB: path });
    expect(json.code).toBe(0);
    expect((JSON.parse(json.out) as { id: number; state: string }[]).map((j) => [j.id, j.state])).toEqual([
      [2, "queued"],
      [1, "dead"],
    ]);

    const requeued = opforge(["jobs", "requeue", "1", "--db", path]);
    expect(requeued).toMatchObject({ code: 0, out: "job #1 (generate) requeued\n" });
    const db = kyselyOverStore(openDatabase(path));
    try {
      expect(await getJob(db, 1)).toMatchObject({ status: "queued", attempts: 0 });
    } finally {
      await db.destroy();
    }
    expect(opforge(["jobs", "list", "--state", "dead", "--db", path]).out).toBe("no dead jobs\n");
  });

  it("exits 1 for a job that is missing or not dead, or a missing database, and 2 for usage errors", { timeout: 60_000 }, async () => {
    const path = await seed();
    expect(opforge(["jobs", "requeue", "9", "--db", path])).toMatchObject({ code: 1, err: "opforge jobs: no job #9\n" });
    expect(opforge(["jobs", "requeue", "2", "--db", path])).toMatchObject({ code: 1, err: expect.stringContaining("job #2 is queued, not dead") as string });
    expect(opforge(["jobs", "list", "--db", join(dir, "missing.db")])).toMatchObject({ code: 1, err: expect.stringContaining("no database at") as string });
    expect(opforge(["jobs", "list", "--state", "zombie", "--db", path]).code).toBe(2);
    expect(opforge(["jobs", "requeue", "x", "--db", path]).code).toBe(2);
    expect(opforge(["jobs", "requeue", "--db", path]).code).toBe(2);
    expect(opforge(["jobs", "frob"]).code).toBe(2);
    expect(opforge(["jobs"]).code).toBe(2);
    const help = opforge(["jobs", "--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("Usage: opforge jobs list [--state S] [--db PATH] [--json]");
  });
});
