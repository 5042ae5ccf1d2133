/** The rule database of the learn, rules and validate --learned commands: --db PATH, else $OPFORGE_DB, else data/opforge.db. */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Kysely } from "kysely";
import type { Tables } from "../db/schema.js";
import type { LearnedRuleData } from "../learn/fixes/engine-rules.js";
import type { Database } from "../store/database.js";
import type { CliIo } from "./io.js";

export const DEFAULT_RULES_DB = "data/opforge.db";

export function rulesDbPath(given: string | undefined, io: CliIo): { shown: string; path: string } {
  const shown = given ?? (io.env.OPFORGE_DB || DEFAULT_RULES_DB);
  return { shown, path: resolve(io.cwd, shown) };
}

/** Opens (creating it and its directory when `create`) the database, or says why not. */
export async function openRulesDb(given: string | undefined, io: CliIo, create: boolean): Promise<Database | string> {
  if (given === "") return "--db needs a path";
  const { shown, path } = rulesDbPath(given, io);
  if (!create && !existsSync(path)) {
    const from = given !== undefined ? "--db" : io.env.OPFORGE_DB ? "OPFORGE_DB" : "the default path";
    return `no database at ${shown} (from ${from}); pass --db PATH or set OPFORGE_DB to an opforge database`;
  }
  try {
    if (create) mkdirSync(dirname(path), { recursive: true });
    const { openDatabase } = await import("../store/database.js");
    return openDatabase(path);
  } catch (error) {
    return `cannot open database ${shown}: ${(error as Error).message}`;
  }
}

/** The rule database seen through Kysely, which the rule stores take; `close` closes the file too. */
export interface RulesDb {
  kysely: Kysely<Tables>;
  close(): Promise<void>;
}

/** {@link openRulesDb}, seen through Kysely: the store opens (and migrates) the file, Kysely queries it. */
export async function openRulesKysely(given: string | undefined, io: CliIo, create: boolean): Promise<RulesDb | string> {
  const db = await openRulesDb(given, io, create);
  if (typeof db === "string") return db;
  const { kyselyOverStore } = await import("../db/over-store.js");
  const kysely = kyselyOverStore(db);
  return { kysely, close: async () => void (await kysely.destroy()) };
}

/** The trusted learned rules of one installation, as plain data for the checking threads. */
export async function loadTrustedRules(given: string | undefined, io: CliIo, installationId: number): Promise<LearnedRuleData[] | string> {
  const db = await openRulesKysely(given, io, false);
  if (typeof db === "string") return db;
  try {
    const [{ listRules }, { ruleData }] = await Promise.all([import("../learn/fixes/store.js"), import("../learn/fixes/engine-rules.js")]);
    return (await listRules(db.kysely, { installationId, repository: null }, { status: "trusted" })).map(ruleData);
  } finally {
    await db.close();
  }
}
