import { Migrator, sql } from "kysely";
import type { Kysely, Migration, MigrationProvider } from "kysely";
import { schemaMigrations } from "./migrations/index.js";
import type { DialectName, SchemaMigration } from "./migrations/index.js";

/** Kysely's own bookkeeping tables; the migrator creates them. */
export const MIGRATION_TABLE = "kysely_migration";
export const MIGRATION_LOCK_TABLE = "kysely_migration_lock";

class SchemaMigrationProvider implements MigrationProvider {
  constructor(
    private readonly list: readonly SchemaMigration[],
    private readonly dialect: DialectName,
  ) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const m of this.list) out[m.name] = { up: (db) => m.up(db, this.dialect) };
    return out;
  }
}

export interface MigrateOptions {
  /** For tests of the runner; production uses `schemaMigrations`. */
  migrations?: readonly SchemaMigration[];
}

/**
 * Brings the database up to the newest migration and returns the names applied. On PostgreSQL Kysely runs the
 * pending migrations in one transaction under an advisory lock, so replicas starting at once apply each step
 * once and a failed step leaves nothing half done. On SQLite Kysely runs each step outside a transaction (its
 * adapter declares no transactional DDL): a step that moves data (008) opens its own.
 *
 * On SQLite the file may have been made by the existing store (src/store/database.ts), which counts its
 * migrations in `PRAGMA user_version`: those steps are recorded as applied instead of run again, and after
 * migrating `user_version` is set to the count, so either layer can open the file the other one wrote.
 */
export async function migrateToLatest<T>(database: Kysely<T>, dialect: DialectName, options: MigrateOptions = {}): Promise<string[]> {
  // Migrations work below the typed tables (they create them), so they see the database untyped.
  const db = database as unknown as Kysely<unknown>;
  const list = options.migrations ?? schemaMigrations;
  if (dialect === "sqlite") await adoptStoreVersion(db, list);
  // Kysely looks for its bookkeeping tables in every schema it can see unless told one: another schema of the
  // same database that holds them (another deployment, a test's) would stop it creating this schema's own.
  const migrationTableSchema = dialect === "postgres" ? await currentSchema(db) : undefined;
  const migrator = new Migrator({
    db,
    provider: new SchemaMigrationProvider(list, dialect),
    ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${failed === undefined ? "migration" : `migration ${failed}`} failed on ${dialect}: ${reason}`, { cause: error });
  }
  if (dialect === "sqlite") await sql.raw(`PRAGMA user_version = ${list.length}`).execute(db);
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

async function adoptStoreVersion(db: Kysely<unknown>, list: readonly SchemaMigration[]): Promise<void> {
  const version = await sqliteUserVersion(db);
  if (version === 0) return;
  if (version > list.length) {
    throw new Error(`database has schema version ${version}, this opforge knows up to ${list.length}; upgrade opforge`);
  }
  await db.transaction().execute(async (trx) => {
    // The same definition Kysely's Migrator uses, so it finds the table and goes on from the recorded steps.
    await trx.schema
      .createTable(MIGRATION_TABLE)
      .ifNotExists()
      .addColumn("name", "varchar(255)", (c) => c.notNull().primaryKey())
      .addColumn("timestamp", "varchar(255)", (c) => c.notNull())
      .execute();
    const known = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table(MIGRATION_TABLE)}`.execute(trx);
    if ((known.rows[0]?.n ?? 0) > 0) return;
    const timestamp = new Date().toISOString();
    for (const m of list.slice(0, version)) {
      await sql`INSERT INTO ${sql.table(MIGRATION_TABLE)} (name, timestamp) VALUES (${m.name}, ${timestamp})`.execute(trx);
    }
  });
}

/** The schema unqualified names resolve to (the first of search_path that exists). */
async function currentSchema(db: Kysely<unknown>): Promise<string> {
  const result = await sql<{ schema: string | null }>`SELECT current_schema() AS schema`.execute(db);
  const schema = result.rows[0]?.schema;
  if (schema === null || schema === undefined) throw new Error("no schema of search_path exists on PostgreSQL; create one before migrating");
  return schema;
}

async function sqliteUserVersion(db: Kysely<unknown>): Promise<number> {
  const result = await sql<{ user_version: number }>`PRAGMA user_version`.execute(db);
  return result.rows[0]?.user_version ?? 0;
}
