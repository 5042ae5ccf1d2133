import { kyselyOverStore } from "../../../src/db/over-store.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  libraryCounts,
  libraryNotes,
  libraryOutcomesFromCi,
  listLibraryOutcomes,
  listLibrarySummaries,
  recordLibraryOutcome,
  recordLibraryOutcomes,
} from "../../../src/learn/libraries/index.js";
import type { AirflowMajor, LibraryOutcomeKind } from "../../../src/learn/libraries/index.js";
import type { Database } from "../../../src/store/database.js";
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

async function record(name: string, airflowMajor: AirflowMajor, kinds: LibraryOutcomeKind[], times = 1): Promise<void> {
  for (let i = 0; i < times; i++) for (const kind of kinds) (await recordLibraryOutcome(kyselyOverStore(db), TEST_ORIGIN, { name, airflowMajor, kind }, T0 + i));
}

describe("recording library outcomes", () => {
  it("stores outcomes under the normalized name, per Airflow major, tied to the generation", async () => {
    const { generation } = await upsertGenerationForIssue(
      kyselyOverStore(db),
      { repo: "acme/pipelines", installationId: 1, issueNumber: 3, specFingerprint: "fp", spec: sampleSpec(), provider: "anthropic", model: "m" },
      T0,
    );
    const stored = (await recordLibraryOutcome(
      kyselyOverStore(db),
      TEST_ORIGIN,
      { name: "Snowflake_Connector.Python", airflowMajor: "2", kind: "import_failed", generationId: generation.id, detail: "No module named 'snowflake'" },
      T0,
    ));
    expect(stored).toMatchObject({ library: "snowflake-connector-python", airflowMajor: "2", generationId: generation.id, createdAt: T0 });
    expect((await listLibraryOutcomes(kyselyOverStore(db), TEST_SCOPE, "snowflake-connector-python"))).toEqual([stored]);
    expect((await libraryCounts(kyselyOverStore(db), TEST_SCOPE, "snowflake-connector-python", ["2"])).importFailed).toBe(1);
    expect((await libraryCounts(kyselyOverStore(db), TEST_SCOPE, "snowflake-connector-python", ["3"])).importFailed).toBe(0);
  });

  it("rejects a bad major, kind or name with the field in the message", async () => {
    await expect(recordLibraryOutcome(kyselyOverStore(db), TEST_ORIGIN, { name: "pandas", airflowMajor: "4" as AirflowMajor, kind: "import_ok" }, T0)).rejects.toThrow(/airflowMajor should be "2" or "3", got "4"/);
    await expect(recordLibraryOutcome(kyselyOverStore(db), TEST_ORIGIN, { name: "pandas", airflowMajor: "2", kind: "worked" as LibraryOutcomeKind }, T0)).rejects.toThrow(/kind should be one of import_ok/);
    await expect(recordLibraryOutcome(kyselyOverStore(db), TEST_ORIGIN, { name: "  ", airflowMajor: "2", kind: "import_ok" }, T0)).rejects.toThrow(/library name should be a PyPI name/);
  });

  it("records what libraryOutcomesFromCi derived, in one call", async () => {
    const outcomes = libraryOutcomesFromCi([], ["yaml", "requests"], true);
    (await recordLibraryOutcomes(kyselyOverStore(db), TEST_ORIGIN, outcomes, { airflowMajor: "3" }, T0));
    expect((await listLibrarySummaries(kyselyOverStore(db), TEST_SCOPE))).toEqual([
      { library: "pyyaml", airflowMajor: "3", counts: { importOk: 1, importFailed: 0, execOk: 1, execFailed: 0, conflict: 0 }, lastOutcomeAt: T0 },
      { library: "requests", airflowMajor: "3", counts: { importOk: 1, importFailed: 0, execOk: 1, execFailed: 0, conflict: 0 }, lastOutcomeAt: T0 },
    ]);
  });
});

describe("library notes for the prompt", () => {
  it("suggests the provider hook for a library that works, with its score", async () => {
    await record("requests", "2", ["import_ok", "exec_ok"], 6);
    const [note] = (await libraryNotes(kyselyOverStore(db), TEST_SCOPE, { dependencies: ["requests>=2.31"], airflowMajor: "2" }));
    expect(note).toMatchObject({ library: "requests", verdict: "compatible", confidence: "High" });
    expect(note?.alternative).toMatchObject({ kind: "provider_hook", name: "HttpHook", package: "apache-airflow-providers-http" });
    expect(note?.sentence).toBe(
      "requests on Airflow 2: works in CI; High confidence (score 0.88, n=6). Prefer HttpHook (add apache-airflow-providers-http to dependencies): " +
        "`from airflow.providers.http.hooks.http import HttpHook` — takes the base URL and auth from an Airflow connection; run(endpoint, data=...) returns a requests.Response.",
    );
  });

  it("gives no verdict below the minimum, and keeps the majors apart", async () => {
    await record("requests", "3", ["import_ok", "exec_ok"], 2);
    await record("requests", "2", ["import_failed"], 6);
    const [note] = (await libraryNotes(kyselyOverStore(db), TEST_SCOPE, { dependencies: ["requests"], airflowMajor: "3" }));
    expect(note).toMatchObject({ verdict: "unknown", confidence: null });
    expect(note?.sentence).toMatch(/^requests on Airflow 3: not enough data \(n=2\)\. Prefer HttpHook/);
    const [both] = (await libraryNotes(kyselyOverStore(db), TEST_SCOPE, { dependencies: ["requests"], airflowMajor: "both" }));
    expect(both?.score.n).toBe(8);
    expect(both?.sentence).toMatch(/^requests on Airflow 2 and 3: mixed CI results, 2 ok and 6 failed, no verdict/);
    const [two] = (await libraryNotes(kyselyOverStore(db), TEST_SCOPE, { dependencies: ["requests"], airflowMajor: "2" }));
    expect(two?.sentence).toMatch(/^requests on Airflow 2: fails in CI \(import failed 6×\); Low confidence \(score 0\.13, n=6\)\. Use instead HttpHook/);
  });

  it("points a failing library to the first alternative (stdlib when no hook or package exists)", async () => {
    await record("tenacity", "2", ["import_failed"], 5);
    const [note] = (await libraryNotes(kyselyOverStore(db), TEST_SCOPE, { dependencies: ["tenacity>=8"], airflowMajor: "2" }));
    expect(note).toMatchObject({ verdict: "incompatible", confidence: "Low" });
    expect(note?.alternative).toMatchObject({ kind: "stdlib", name: "retry_call", package: null });
    expect(note?.alternative?.snippet).toContain("time.sleep(delay)");
    expect(note?.sentence).toContain("Use instead the stdlib: retry_call() (replaces tenacity's @retry with exponential backoff)");
  });

  it("calls a flaky library mixed, and still names its pin note and alternative", async () => {
    await record("pandas", "2", ["import_ok", "exec_ok"], 3);
    await record("pandas", "2", ["conflict"], 3);
    const [note] = (await libraryNotes(kyselyOverStore(db), TEST_SCOPE, { dependencies: ["pandas>=2.2"], airflowMajor: "2" }));
    expect(note).toMatchObject({ verdict: "mixed", confidence: "Neutral" });
    expect(note?.sentence).toContain("mixed CI results, 3 ok and 3 failed, no verdict");
    expect(note?.sentence).toContain("Note: Airflow's constraints pin pandas 2.1.4");
    expect(note?.alternative?.name).toBe("read_csv_rows");
  });

  it("has no alternative for an unknown library that never failed; skips apache-airflow and repeats", async () => {
    const notes = (await libraryNotes(kyselyOverStore(db), TEST_SCOPE, { dependencies: ["apache-airflow>=2.9", "Foo_Lib==1.0", "foo-lib"], airflowMajor: "2" }));
    expect(notes).toEqual([
      expect.objectContaining({ library: "foo-lib", verdict: "unknown", confidence: null, sentence: "foo-lib on Airflow 2: no CI results yet." }),
    ]);
    expect(notes[0]).not.toHaveProperty("alternative");
  });

  it("names the bad dependency entry", async () => {
    await expect(libraryNotes(kyselyOverStore(db), TEST_SCOPE, { dependencies: ["requests", ">=1.0"], airflowMajor: "2" })).rejects.toThrow(/dependencies\[1\]: ">=1.0" is not a PEP 508 requirement/);
  });
});
