import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { cliDatabaseTarget, databaseLocation, DatabaseOptionError, postgresUrlOption, sqliteFileOption, withoutPasswords } from "./database.js";
import { EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, type CliCommand, type CliIo } from "./io.js";

export const DB_USAGE = `Usage: opforge db migrate [--database URL_OR_PATH]
       opforge db copy --from SQLITE_FILE --to POSTGRES_URL [--force]

migrate brings a database to the newest schema and prints the migrations it ran. copy moves a team's
SQLite database (generations, attempts, jobs and everything learned) into PostgreSQL: both ends are
migrated first, every table is copied with its ids in one transaction on the target (a failure leaves it
as it was), the id sequences are moved past the copied ids, and the row counts of every table are compared
and printed. A target that already holds rows is refused unless --force.

Options:
  --database <d>   migrate: a postgres:// URL or a SQLite file (default: $OPFORGE_DATABASE_URL, else
                   $OPFORGE_DB, else data/opforge.db)
  --from <file>    copy: the SQLite file to read (never created)
  --to <url>       copy: the PostgreSQL database to write, postgres://user:password@host:5432/db
  --force          copy: replace the rows a non-empty target holds
  -h, --help       show this help

Exit status: 0 done, 1 refused, failed or counts differ, 2 usage error.
`;

/** Thrown while reading the arguments; the message names the argument. */
class UsageError extends Error {}

function ranLine(where: string, applied: readonly string[]): string {
  return applied.length === 0 ? `${where}: up to date\n` : `${where}: ran ${applied.join(", ")}\n`;
}

/** A wrong option said as a usage error (exit 2); anything else goes on. */
function asUsage<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof DatabaseOptionError) throw new UsageError(error.message);
    throw error;
  }
}

async function migrate(database: string | undefined, io: CliIo): Promise<number> {
  const { createDb, migrateToLatest } = await import("../db/index.js");
  const { config } = asUsage(() => cliDatabaseTarget(io, database === undefined ? undefined : { name: "--database", value: database, acceptsUrl: true }));
  const where = databaseLocation(config);
  const db = createDb(config, { poolSize: 1 });
  try {
    const applied = await migrateToLatest(db, config.dialect);
    io.stdout(ranLine(where, applied));
    return EXIT_OK;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`opforge db migrate: ${where}: ${withoutPasswords(message, config.dialect === "postgres" ? [config.url] : [])}\n`);
    return EXIT_INVALID_INPUT;
  } finally {
    await db.destroy();
  }
}

function countTable(counts: readonly { table: string; source: number; target: number }[]): string {
  const width = Math.max("table".length, ...counts.map((c) => c.table.length));
  const num = Math.max("source".length, ...counts.map((c) => String(Math.max(c.source, c.target)).length));
  const line = (a: string, b: string, c: string, mark = ""): string => `${a.padEnd(width)}  ${b.padStart(num)}  ${c.padStart(num)}${mark}\n`;
  return [
    line("table", "source", "target"),
    ...counts.map((c) => line(c.table, String(c.source), String(c.target), c.source === c.target ? "" : "  differs")),
  ].join("");
}

async function copy(fromArg: string | undefined, toArg: string | undefined, force: boolean, io: CliIo): Promise<number> {
  if (fromArg === undefined) throw new UsageError("--from: missing; name the SQLite file to copy");
  if (toArg === undefined) throw new UsageError("--to: missing; give the PostgreSQL URL to copy into");
  const from = resolve(io.cwd, asUsage(() => sqliteFileOption("--from", fromArg)));
  const to = asUsage(() => postgresUrlOption("--to", toArg));
  if (!existsSync(from) || !statSync(from).isFile()) {
    io.stderr(`opforge db copy: --from: no such file ${from}\n`);
    return EXIT_INVALID_INPUT;
  }
  const { copySqliteToPostgres, CountMismatchError, TargetNotEmptyError } = await import("../db/copy.js");
  const target = databaseLocation({ dialect: "postgres", url: to });
  try {
    const result = await copySqliteToPostgres(from, to, { force });
    io.stdout(ranLine(`source ${from}`, result.migrated.source));
    io.stdout(ranLine(`target ${target}`, result.migrated.target));
    io.stdout(countTable(result.counts));
    const rows = result.counts.reduce((sum, c) => sum + c.source, 0);
    io.stdout(`copied ${rows} rows in ${result.counts.length} tables from ${from} to ${target}; every table's counts match\n`);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof TargetNotEmptyError) {
      io.stderr(
        `opforge db copy: ${target} is not empty; nothing was copied. Tables holding rows:\n` +
          error.tables.map((t) => `  ${t.table}  ${t.rows}\n`).join("") +
          "Copy into an empty database, or pass --force to replace these rows.\n",
      );
      return EXIT_INVALID_INPUT;
    }
    if (error instanceof CountMismatchError) {
      io.stderr(`opforge db copy: ${error.message}\n${countTable(error.counts)}`);
      return EXIT_INVALID_INPUT;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`opforge db copy: failed, ${target} was left as it was: ${withoutPasswords(message, [to])}\n`);
    return EXIT_INVALID_INPUT;
  }
}

/** `opforge db migrate|copy`: the database's schema, and moving a SQLite database into PostgreSQL. */
export const dbCommand: CliCommand = async (argv, io) => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        database: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        force: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    io.stderr(`opforge db: ${(error as Error).message}\n\n${DB_USAGE}`);
    return EXIT_USAGE;
  }
  const { values } = parsed;
  if (values.help) {
    io.stdout(DB_USAGE);
    return EXIT_OK;
  }
  const [sub, ...rest] = parsed.positionals;
  try {
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0] ?? ""}'`);
    if (sub === "migrate") {
      if (values.from !== undefined || values.to !== undefined || values.force) throw new UsageError("migrate takes only --database");
      return await migrate(values.database, io);
    }
    if (sub === "copy") {
      if (values.database !== undefined) throw new UsageError("--database: copy takes --from and --to");
      return await copy(values.from, values.to, values.force, io);
    }
    throw new UsageError(sub === undefined ? "missing subcommand: migrate or copy" : `unknown subcommand '${sub}'`);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`opforge db: ${error.message}\n\n${DB_USAGE}`);
    return EXIT_USAGE;
  }
};
