import type { Kysely } from "kysely";
import type { Tables } from "../../../src/db/schema.js";
import { sampleSpec } from "../../store/helpers.js";

/** A generation row for fix attempts and occurrences to belong to (written through Kysely: either backend). */
export async function makeGeneration(db: Kysely<Tables>, issueNumber: number): Promise<number> {
  const spec = sampleSpec();
  const row = await db
    .insertInto("generations")
    .values({
      repo: "acme/pipelines",
      installation_id: 42,
      issue_number: issueNumber,
      spec_fingerprint: `fp-${issueNumber}`,
      spec_json: JSON.stringify(spec),
      component_name: spec.name,
      component_type: spec.component_type,
      category: spec.category,
      airflow_version: spec.airflow_version,
      provider: "scaffold",
      model: "scaffold",
      status: "queued",
      created_at: 0,
      updated_at: 0,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}
