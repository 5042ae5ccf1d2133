/**
 * The database a command works on. `--db PATH` names a SQLite file and wins, so an operator can point one
 * command at a copy; else the App's own setting: OPFORGE_DATABASE_URL (PostgreSQL), else the SQLite file
 * OPFORGE_DB, else data/opforge.db. Every command opens it here, with what it may do to it (`CliDatabaseUse`).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Kysely } from "kysely";
import { DatabaseConfigError, postgresUrl, readDatabaseConfig, redactUrl } from "../db/config.js";
import type { DatabaseConfig } from "../db/config.js";
import type { Tables } from "../db/schema.js";
import type { CliIo } from "./io.js";

/** The setting that named the database: every message about it says which one to change. */
export type DatabaseSource = "--db" | "--database" | "OPFORGE_DATABASE_URL" | "OPFORGE_DB" | "the default path";

export interface CliDatabaseTarget {
  /** A SQLite path resolved against the command's working directory. */
  config: DatabaseConfig;
  /** As it may be printed: a SQLite path as given, a URL with its password replaced. */
  shown: string;
  source: DatabaseSource;
}

/** An option that names no usable database; the message starts with the option, as usage errors do. */
export class DatabaseOptionError extends Error {
  override readonly name = "DatabaseOptionError";
}

/** The help line of `--db` where the command reads or writes the configured database. */
export const DB_DEFAULT_HELP = "$OPFORGE_DATABASE_URL, else the SQLite file $OPFORGE_DB, else data/opforge.db";

const isUrl = (value: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(value);

/** `value` given to `option` as a SQLite file: a URL there is a mistake for OPFORGE_DATABASE_URL or --database. */
export function sqliteFileOption(option: string, value: string): string {
  const path = value.trim();
  if (path === "") throw new DatabaseOptionError(`${option} needs a path`);
  if (isUrl(path)) {
    const hint = option === "--db" ? "; to use PostgreSQL set OPFORGE_DATABASE_URL instead" : "";
    throw new DatabaseOptionError(`${option}: expected a SQLite file, got a URL${hint}`);
  }
  return path;
}

/** What is wrong with a command's `--db` value, as a usage message, or undefined: checked with the other arguments. */
export function dbOptionProblem(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    sqliteFileOption("--db", value);
    return undefined;
  } catch (error) {
    if (error instanceof DatabaseOptionError) return error.message;
    throw error;
  }
}

/** `value` given to `option` as a PostgreSQL URL; the message shows the problem, never the URL. */
export function postgresUrlOption(option: string, value: string): string {
  const parsed = postgresUrl.safeParse(value.trim());
  if (!parsed.success) throw new DatabaseOptionError(`${option}: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  return parsed.data;
}

/** Where a database is, as it may be printed: the resolved file, or the URL without its password. */
export function databaseLocation(config: DatabaseConfig): string {
  return config.dialect === "sqlite" ? config.path : redactUrl(config.url);
}

/**
 * The database a command names: `option` when given (a SQLite file, or with `acceptsUrl` a postgres:// URL
 * too), else the environment. Throws DatabaseOptionError for a bad option, DatabaseConfigError for a bad
 * OPFORGE_DATABASE_URL (neither quotes a URL).
 */
export function cliDatabaseTarget(io: CliIo, option?: { name: "--db" | "--database"; value: string; acceptsUrl?: boolean }): CliDatabaseTarget {
  if (option !== undefined) {
    if (option.acceptsUrl === true && isUrl(option.value.trim())) {
      const url = postgresUrlOption(option.name, option.value);
      return { config: { dialect: "postgres", url }, shown: redactUrl(url), source: option.name };
    }
    const path = sqliteFileOption(option.name, option.value);
    return { config: { dialect: "sqlite", path: resolve(io.cwd, path) }, shown: path, source: option.name };
  }
  const config = readDatabaseConfig(io.env);
  if (config.dialect === "postgres") return { config, shown: redactUrl(config.url), source: "OPFORGE_DATABASE_URL" };
  const fromEnv = io.env.OPFORGE_DB !== undefined && io.env.OPFORGE_DB.trim() !== "";
  return { config: { dialect: "sqlite", path: resolve(io.cwd, config.path) }, shown: config.path, source: fromEnv ? "OPFORGE_DB" : "the default path" };
}

/** A message as it may be printed: the passwords of the given URLs replaced, in case a driver quotes one. */
export function withoutPasswords(message: string, urls: readonly string[]): string {
  let out = message;
  for (const url of urls) {
    let raw: string;
    try {
      raw = new URL(url).password;
    } catch {
      continue;
    }
    // Both spellings: as written in the URL (percent-encoded) and as sent to the server.
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      // A malformed escape: the raw spelling is all there is.
    }
    for (const password of new Set([raw, decoded])) {
      if (password !== "") out = out.split(password).join("***");
    }
  }
  return out;
}

/**
 * What a command may do to its database, so that one which only looks never leaves a database behind:
 * - `read` (stats): never created, migrated or written; a SQLite file is opened read-only and must have the
 *   newest schema, as must PostgreSQL's tables.
 * - `change` (jobs, rules, validate --learned): the database must already hold opforge's tables (the SQLite
 *   file must exist); an older schema is migrated.
 * - `create` (learn, generate): a missing SQLite file (and its directory) or PostgreSQL's tables are made.
 */
export type CliDatabaseUse = "read" | "change" | "create";

export interface CliDatabase {
  kysely: Kysely<Tables>;
  target: CliDatabaseTarget;
  /** Closes the connection (a PostgreSQL pool left open would keep the process alive). */
  close(): Promise<void>;
}

/** The text of an error; a refused connection to a host with several addresses is an AggregateError with no message. */
function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message !== "") return error.message;
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(reason).join("; ");
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : error.name;
}

/** An error met on `target`'s database, as it may be printed: its URL's password never shows. */
export function errorText(error: unknown, target: CliDatabaseTarget): string {
  return withoutPasswords(reason(error), target.config.dialect === "postgres" ? [target.config.url] : []);
}

/**
 * Which of this opforge's migrations the PostgreSQL schema lacks and which it has that this opforge does not
 * know; null when it holds no opforge tables at all. Read from the bookkeeping table of the schema the
 * migrator uses (the current one), so another schema's tables are not taken for these.
 */
async function postgresSchemaState(db: Kysely<Tables>): Promise<{ missing: string[]; unknown: string[] } | null> {
  const [{ sql }, { MIGRATION_TABLE }, { schemaMigrations }] = await Promise.all([
    import("kysely"),
    import("../db/migrate.js"),
    import("../db/migrations/index.js"),
  ]);
  const found = await sql<{ schema: string | null; present: boolean | null }>`
    SELECT current_schema() AS schema, to_regclass(quote_ident(current_schema()) || '.' || ${MIGRATION_TABLE}) IS NOT NULL AS present
  `.execute(db);
  const row = found.rows[0];
  if (row?.schema === null || row?.schema === undefined || row.present !== true) return null;
  const applied = await sql<{ name: string }>`SELECT name FROM ${sql.id(row.schema, MIGRATION_TABLE)}`.execute(db);
  const names = new Set(applied.rows.map((r) => r.name));
  if (names.size === 0) return null;
  const known = new Set(schemaMigrations.map((m) => m.name));
  return {
    missing: [...known].filter((name) => !names.has(name)),
    unknown: [...names].filter((name) => !known.has(name)).sort(),
  };
}

/** Why PostgreSQL cannot be used as `use` asks, or undefined; migrates an older schema where the use allows. */
async function preparePostgres(db: Kysely<Tables>, use: CliDatabaseUse, where: string): Promise<string | undefined> {
  const state = await postgresSchemaState(db);
  if (state === null && use !== "create") {
    return `database ${where} holds no opforge tables; run opforge db migrate (or start the App once) to create them`;
  }
  if (state !== null && state.unknown.length > 0) {
    return `database ${where} has migrations this opforge does not know (${state.unknown.join(", ")}); upgrade opforge`;
  }
  if (state !== null && state.missing.length === 0) return undefined;
  if (use === "read") return `database ${where} lacks migrations ${state?.missing.join(", ") ?? ""}; run opforge db migrate first`;
  const { migrateToLatest } = await import("../db/migrate.js");
  await migrateToLatest(db, "postgres");
  return undefined;
}

/**
 * Opens the database `given` (the command's --db) or the environment names, as `use` allows, or says why
 * not in one line that names the setting (and never a password).
 */
export async function openCliDatabase(given: string | undefined, io: CliIo, use: CliDatabaseUse): Promise<CliDatabase | string> {
  let target: CliDatabaseTarget;
  try {
    target = cliDatabaseTarget(io, given === undefined ? undefined : { name: "--db", value: given });
  } catch (error) {
    if (error instanceof DatabaseOptionError || error instanceof DatabaseConfigError) return error.message;
    throw error;
  }
  const { config, shown, source } = target;
  const where = `${shown} (from ${source})`;

  if (config.dialect === "sqlite") {
    if (use !== "create" && !existsSync(config.path)) {
      return `no database at ${where}; pass --db PATH or set OPFORGE_DB to an existing opforge database, or OPFORGE_DATABASE_URL to a PostgreSQL one`;
    }
    try {
      const [{ openDatabase }, { kyselyOverStore }] = await Promise.all([import("../store/database.js"), import("../db/over-store.js")]);
      // The store opens the file (read-only: a snapshot copy where its directory is not writable) and migrates
      // it where the use allows; Kysely queries the same connection, and destroying it closes the connection.
      const kysely = kyselyOverStore(openDatabase(config.path, { readonly: use === "read" }));
      return { kysely, target, close: () => kysely.destroy() };
    } catch (error) {
      return `cannot open database ${where}: ${reason(error)}`;
    }
  }

  const { createDb } = await import("../db/kysely.js");
  const kysely = createDb(config);
  try {
    const problem = await preparePostgres(kysely, use, where);
    if (problem === undefined) return { kysely, target, close: () => kysely.destroy() };
    await kysely.destroy();
    return problem;
  } catch (error) {
    await kysely.destroy();
    return `cannot open database ${where}: ${errorText(error, target)}`;
  }
}
