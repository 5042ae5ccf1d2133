import { afterEach, describe, expect, it } from "vitest";
import { testPostgres } from "../support/postgres.js";

const saved = process.env.OPFORGE_TEST_DATABASE_URL;
afterEach(() => {
  if (saved === undefined) delete process.env.OPFORGE_TEST_DATABASE_URL;
  else process.env.OPFORGE_TEST_DATABASE_URL = saved;
});

describe("testPostgres", () => {
  it("fails, naming the server and how to start it, when PostgreSQL does not answer", async () => {
    // Port 1 on loopback refuses connections at once.
    process.env.OPFORGE_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:1/nothing";
    await expect(testPostgres("this check")).rejects.toThrow(
      /PostgreSQL at 127\.0\.0\.1:1 is needed for this check and does not answer .*bash \.ci\/run/,
    );
  });

  it("gives each caller a private schema that drop() removes", async () => {
    const a = await testPostgres("the helper test");
    const b = await testPostgres("the helper test");
    try {
      expect(a.schema).not.toBe(b.schema);
      expect(new URL(a.url).searchParams.get("options")).toBe(`-c search_path=${a.schema}`);
    } finally {
      await b.drop();
      await a.drop();
    }
    const again = await testPostgres("the helper test");
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: again.url });
    await client.connect();
    try {
      const left = await client.query("SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)", [[a.schema, b.schema]]);
      expect(left.rows).toEqual([]);
    } finally {
      await client.end();
      await again.drop();
    }
  });
});
