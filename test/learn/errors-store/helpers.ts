import { openDatabase } from "../../../src/store/database.js";
import { kyselyOverStore } from "../../../src/db/over-store.js";
import type { Database } from "../../../src/store/database.js";
import { upsertGenerationForIssue } from "../../../src/store/generations.js";
import { sampleSpec } from "../../store/helpers.js";

export function openStore(): Database {
  return openDatabase(":memory:");
}

/** A generation row for fix attempts to belong to. */
export async function makeGeneration(db: Database, issueNumber: number): Promise<number> {
  return (await upsertGenerationForIssue(
    kyselyOverStore(db),
    {
      repo: "acme/pipelines",
      installationId: 42,
      issueNumber,
      specFingerprint: `fp-${issueNumber}`,
      spec: sampleSpec(),
      provider: "scaffold",
      model: "scaffold",
    },
    0,
  )).generation.id;
}
