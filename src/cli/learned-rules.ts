/** The trusted rules `opforge validate --fix --learned` applies, read from the command's database. */
import type { LearnedRuleData } from "../learn/fixes/engine-rules.js";
import { openCliDatabase } from "./database.js";
import type { CliIo } from "./io.js";

/** The trusted learned rules of one installation, as plain data for the checking threads, or why not. */
export async function loadTrustedRules(given: string | undefined, io: CliIo, installationId: number): Promise<LearnedRuleData[] | string> {
  const db = await openCliDatabase(given, io, "change");
  if (typeof db === "string") return db;
  try {
    const [{ listRules }, { ruleData }] = await Promise.all([import("../learn/fixes/store.js"), import("../learn/fixes/engine-rules.js")]);
    return (await listRules(db.kysely, { installationId, repository: null }, { status: "trusted" })).map(ruleData);
  } finally {
    await db.close();
  }
}
