import { kyselyOverStore } from "../../../src/db/over-store.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AirflowConstraints, airflowConstraints } from "../../../src/knowledge/constraints.js";
import { KB_FORMAT_VERSION } from "../../../src/knowledge/format.js";
import {
  libraryCounts,
  recordLibraryOutcome,
  libraryOutcomesFromCi,
  libraryVersionFor,
  listConstraintVersions,
  listLibraryOutcomes,
  listLibraryVersionSummaries,
  seedConstraintVersions,
  versionedOutcomes,
} from "../../../src/learn/libraries/index.js";
import { Learning } from "../../../src/learn/loop.js";
import { openDatabase, type Database } from "../../../src/store/database.js";
import { migrations } from "../../../src/store/migrations/index.js";
import { upsertGenerationForIssue } from "../../../src/store/generations.js";
import { sampleSpec } from "../../store/helpers.js";
import { openTestDatabase } from "../metrics/test-db.js";
import { TEST_ORIGIN, TEST_SCOPE } from "../../support/learning-scope.js";

let db: Database;
beforeEach(() => {
  db = openTestDatabase();
});
afterEach(() => db.close());

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);

const small = (pandas29: string) =>
  new AirflowConstraints({
    format: KB_FORMAT_VERSION,
    versions: [
      { airflow: "2.9", major: "2", ref: "constraints-2-9", commit: "a".repeat(40), file: "constraints-3.11.txt", pins: { pandas: pandas29, numpy: "1.26.4" } },
      { airflow: "2.10", major: "2", ref: "constraints-2-10", commit: "b".repeat(40), file: "constraints-3.11.txt", pins: { pandas: "2.1.4", sqlalchemy: "1.4.54" } },
      { airflow: "3.0", major: "3", ref: "constraints-main", commit: "c".repeat(40), file: "constraints-3.11.txt", pins: { pandas: "2.2.3", sqlalchemy: "2.0.36" } },
    ],
  });

describe("constraint-backed library versions in the store", () => {
  it("holds, after migration, what installs with each Airflow version, with the constraints file and commit", async () => {
    const kb = airflowConstraints();
    const rows = (await listConstraintVersions(kyselyOverStore(db), "SQLAlchemy"));
    expect(rows.map((r) => r.airflowVersion)).toEqual(kb.pinsFor("sqlalchemy", "both").map((p) => p.airflow));
    const v210 = rows.find((r) => r.airflowVersion === "2.10");
    const ref = kb.airflowVersions("2.10")[0]!;
    expect(v210).toEqual({
      library: "sqlalchemy",
      airflowVersion: "2.10",
      airflowMajor: "2",
      version: kb.pinnedVersion("sqlalchemy", "2.10"),
      source: `constraints-2-10/constraints-3.11.txt@${ref.commit}`,
    });
    expect(v210?.version.startsWith("1.")).toBe(true);
    expect((await listConstraintVersions(kyselyOverStore(db), "pandas", ["3"])).every((r) => r.airflowMajor === "3" && r.source.startsWith("constraints-main/"))).toBe(true);
    const total = (db.prepare("SELECT COUNT(*) AS n FROM library_constraint_pins").get() as { n: number }).n;
    expect(total).toBe(kb.allPins().length);
  });

  it("migration 006 upgrades a database with outcomes: old rows have no version, the pins are seeded", async () => {
    const dir = mkdtempSync(join(tmpdir(), "opforge-libversions-"));
    try {
      const path = join(dir, "opforge.db");
      const old = openDatabase(path, { migrations: migrations.slice(0, 5) });
      // Tied to a generation of the test installation, so migration 008 can tell whose observation it was.
      const { generation } = await upsertGenerationForIssue(
        kyselyOverStore(old),
        { repo: TEST_ORIGIN.repository, installationId: TEST_ORIGIN.installationId, issueNumber: 1, specFingerprint: "fp", spec: sampleSpec(), provider: "anthropic", model: "m" },
        T0,
      );
      old.prepare("INSERT INTO library_outcomes (library, airflow_major, kind, generation_id, created_at) VALUES ('pandas', '2', 'import_ok', ?, ?)").run(generation.id, T0);
      old.close();
      const upgraded = openDatabase(path);
      try {
        expect(upgraded.pragma("user_version", { simple: true })).toBe(migrations.length);
        expect((await listLibraryOutcomes(kyselyOverStore(upgraded), TEST_SCOPE, "pandas")).map((o) => o.libraryVersion)).toEqual([null]);
        (await recordLibraryOutcome(kyselyOverStore(upgraded), TEST_ORIGIN, { name: "pandas", airflowMajor: "2", kind: "import_ok", libraryVersion: "2.1.4" }, T0 + 1));
        expect((await listLibraryVersionSummaries(kyselyOverStore(upgraded), TEST_SCOPE, "pandas")).map((s) => [s.libraryVersion, s.counts.importOk])).toEqual([
          [null, 1],
          ["2.1.4", 1],
        ]);
        expect((await listConstraintVersions(kyselyOverStore(upgraded), "pandas")).length).toBe(airflowConstraints().pinsFor("pandas", "both").length);
      } finally {
        upgraded.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("seeds idempotently and follows changed data", async () => {
    expect((await seedConstraintVersions(kyselyOverStore(db)))).toEqual({ inserted: 0, removed: 0 });
    db.exec("DELETE FROM library_constraint_pins");
    expect((await seedConstraintVersions(kyselyOverStore(db), small("2.1.4")))).toEqual({ inserted: 6, removed: 0 });
    expect((await seedConstraintVersions(kyselyOverStore(db), small("2.1.4")))).toEqual({ inserted: 0, removed: 0 });
    expect((await seedConstraintVersions(kyselyOverStore(db), small("2.1.3")))).toEqual({ inserted: 1, removed: 1 });
    expect((await listConstraintVersions(kyselyOverStore(db), "pandas")).map((r) => [r.airflowVersion, r.version, r.source])).toEqual([
      ["2.9", "2.1.3", `constraints-2-9/constraints-3.11.txt@${"a".repeat(40)}`],
      ["2.10", "2.1.4", `constraints-2-10/constraints-3.11.txt@${"b".repeat(40)}`],
      ["3.0", "2.2.3", `constraints-main/constraints-3.11.txt@${"c".repeat(40)}`],
    ]);
  });
});

describe("the library version an outcome is recorded under", () => {
  const kb = small("2.1.4");

  it("is the spec's exact pin, else the newest constraints of the major when the spec allows it, else unknown", async () => {
    expect(libraryVersionFor("pandas", ["pandas==2.0.3"], "2", kb)).toBe("2.0.3");
    expect(libraryVersionFor("Pandas", ["pandas"], "2", kb)).toBe("2.1.4");
    expect(libraryVersionFor("pandas", [], "3", kb)).toBe("2.2.3");
    expect(libraryVersionFor("pandas", ["pandas<3"], "3", kb)).toBe("2.2.3");
    expect(libraryVersionFor("pandas", ["pandas>=2.2"], "2", kb)).toBeNull();
    expect(libraryVersionFor("numpy", [], "2", kb)).toBeNull();
    expect(libraryVersionFor("requests", [], "2", kb)).toBeNull();
  });

  it("gives a both target one run per major", async () => {
    const runs = versionedOutcomes([{ name: "pandas", kind: "import_ok" as const }], ["requests"], "both", kb);
    expect(runs).toEqual([
      { airflowMajor: "2", outcomes: [{ name: "pandas", kind: "import_ok", libraryVersion: "2.1.4" }] },
      { airflowMajor: "3", outcomes: [{ name: "pandas", kind: "import_ok", libraryVersion: "2.2.3" }] },
    ]);
  });
});

describe("CI outcomes per library version and Airflow major", () => {
  async function verdictFor(airflowVersion: "2" | "3" | "both", dependencies: string[]) {
    const spec = sampleSpec({ airflow_version: airflowVersion, dependencies });
    const { generation } = await upsertGenerationForIssue(
      kyselyOverStore(db),
      { repo: "acme/pipelines", installationId: 1, issueNumber: 7, specFingerprint: `fp-${airflowVersion}`, spec, provider: "anthropic", model: "m" },
      T0,
    );
    return { origin: TEST_ORIGIN, generationId: generation.id, spec, attempt: { number: 1, files: [], learnedContext: [], appliedFixes: [] }, passed: true, failures: [], final: true };
  }

  it("records a both spec's run once for Airflow 2 and once for 3, each with the constrained version", async () => {
    const learning = new Learning(kyselyOverStore(db), { now: () => T0, random: () => 0.5 });
    await learning.recordCiVerdict(await verdictFor("both", ["pandas", "requests==2.31.0"]), ["pandas", "requests"]);
    const kb = airflowConstraints();
    const pandas2 = kb.pinForMajor("pandas", "2")!.version;
    const pandas3 = kb.pinForMajor("pandas", "3")!.version;
    expect((await listLibraryVersionSummaries(kyselyOverStore(db), TEST_SCOPE, "pandas"))).toEqual([
      { library: "pandas", airflowMajor: "2", libraryVersion: pandas2, counts: { importOk: 1, importFailed: 0, execOk: 1, execFailed: 0, conflict: 0 } },
      { library: "pandas", airflowMajor: "3", libraryVersion: pandas3, counts: { importOk: 1, importFailed: 0, execOk: 1, execFailed: 0, conflict: 0 } },
    ]);
    // The spec's own pin wins over the constraints.
    expect((await listLibraryVersionSummaries(kyselyOverStore(db), TEST_SCOPE, "requests")).map((s) => [s.airflowMajor, s.libraryVersion])).toEqual([
      ["2", "2.31.0"],
      ["3", "2.31.0"],
    ]);
    expect((await libraryCounts(kyselyOverStore(db), TEST_SCOPE, "pandas", ["2", "3"])).execOk).toBe(2);
    expect((await libraryCounts(kyselyOverStore(db), TEST_SCOPE, "pandas", ["2"], pandas2)).execOk).toBe(1);
    expect((await libraryCounts(kyselyOverStore(db), TEST_SCOPE, "pandas", ["2"], "0.0.1")).execOk).toBe(0);
  });

  it("records a 2 spec's run on major 2 only, without a version when the spec excludes the constrained one", async () => {
    const learning = new Learning(kyselyOverStore(db), { now: () => T0, random: () => 0.5 });
    expect(libraryOutcomesFromCi([], ["pandas"], true).map((o) => o.kind)).toEqual(["import_ok", "exec_ok"]);
    await learning.recordCiVerdict(await verdictFor("2", ["pandas>=2.2"]), ["pandas"]);
    expect((await listLibraryOutcomes(kyselyOverStore(db), TEST_SCOPE, "pandas")).map((o) => [o.airflowMajor, o.kind, o.libraryVersion])).toEqual([
      ["2", "exec_ok", null],
      ["2", "import_ok", null],
    ]);
  });
});
