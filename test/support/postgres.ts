import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * PostgreSQL for tests. `.ci/run` makes a throwaway database and passes it in OPFORGE_TEST_DATABASE_URL.
 * Without it (a plain `npm test` on a developer machine) a throwaway database is made on 127.0.0.1:5432 as
 * user postgres and dropped afterwards. Either way each test file works in a schema of its own, so files
 * running in parallel never see each other's tables. When PostgreSQL does not answer, the tests fail with
 * a message that says how to get it: a PostgreSQL store that is never tested must not pass silently.
 */
export interface TestPostgres {
  /** Connection URL whose connections use the private schema (search_path), for Kysely and pg. */
  url: string;
  /** The private schema's name, also usable as pg-boss's schema. */
  schema: string;
  /** Drops the schema, and the database when this helper made it. */
  drop(): Promise<void>;
}

const LOCAL_SERVER = "postgres://postgres@127.0.0.1:5432/postgres";

function suffix(): string {
  return `${process.pid}_${randomBytes(4).toString("hex")}`;
}

async function connect(url: string, purpose: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    const where = new URL(url);
    throw new Error(
      `PostgreSQL at ${where.hostname}:${where.port || "5432"} is needed for ${purpose} and does not answer ` +
        `(${(err as Error).message}). Run the suite through \`bash .ci/run\`, which starts PostgreSQL and Redis, ` +
        "or start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, " +
        "or point OPFORGE_TEST_DATABASE_URL at a database the tests may write to.",
      { cause: err },
    );
  }
}

function withSearchPath(url: string, schema: string): string {
  const out = new URL(url);
  out.searchParams.set("options", `-c search_path=${schema}`);
  return out.toString();
}

export async function testPostgres(purpose: string): Promise<TestPostgres> {
  const given = process.env.OPFORGE_TEST_DATABASE_URL?.trim();
  let databaseUrl: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (given) {
    databaseUrl = given;
  } else {
    const admin = await connect(LOCAL_SERVER, purpose);
    const name = `opforge_test_${suffix()}`;
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const url = new URL(LOCAL_SERVER);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = async () => {
      const again = await connect(LOCAL_SERVER, purpose);
      try {
        await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await again.end();
      }
    };
  }

  const schema = `t_${suffix()}`;
  const client = await connect(databaseUrl, purpose);
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
  return {
    url: withSearchPath(databaseUrl, schema),
    schema,
    async drop() {
      const c = await connect(databaseUrl, purpose);
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await c.end();
      }
      await dropDatabase?.();
    },
  };
}
