import { describe, expect, it } from "vitest";
import { DatabaseConfigError, readDatabaseConfig } from "../../src/db/config.js";

describe("readDatabaseConfig", () => {
  it("uses the SQLite file data/opforge.db when nothing is set", () => {
    expect(readDatabaseConfig({})).toEqual({ dialect: "sqlite", path: "data/opforge.db" });
  });

  it("uses OPFORGE_DB for the SQLite file, and treats empty values as unset", () => {
    expect(readDatabaseConfig({ OPFORGE_DB: "/data/x.db" })).toEqual({ dialect: "sqlite", path: "/data/x.db" });
    expect(readDatabaseConfig({ OPFORGE_DB: "/data/x.db", OPFORGE_DATABASE_URL: "  " })).toEqual({ dialect: "sqlite", path: "/data/x.db" });
    expect(readDatabaseConfig({ OPFORGE_DB: "" })).toEqual({ dialect: "sqlite", path: "data/opforge.db" });
  });

  it("selects PostgreSQL for postgres:// and postgresql:// URLs, over OPFORGE_DB", () => {
    const url = "postgres://opforge:pw@db:5432/opforge";
    expect(readDatabaseConfig({ OPFORGE_DATABASE_URL: url, OPFORGE_DB: "x.db" })).toEqual({ dialect: "postgres", url });
    const long = "postgresql://opforge@db/opforge?sslmode=require";
    expect(readDatabaseConfig({ OPFORGE_DATABASE_URL: long })).toEqual({ dialect: "postgres", url: long });
  });

  it.each([
    ["mysql://root:hunter2@db/opforge", /OPFORGE_DATABASE_URL: only postgres:\/\/ and postgresql:\/\/ URLs are accepted \(got mysql:\/\/\)/],
    ["sqlite:///data/opforge.db", /OPFORGE_DATABASE_URL: only postgres:\/\/ and postgresql:\/\/ URLs/],
    ["db.example:5432/opforge", /OPFORGE_DATABASE_URL: only postgres/],
    ["not a url at all", /OPFORGE_DATABASE_URL: not a URL; expected one like postgres:\/\//],
    ["postgres://secretuser:hunter2@db:5432", /OPFORGE_DATABASE_URL: the URL names no database/],
  ])("refuses %s with a message naming the variable", (value, message) => {
    let error: unknown;
    try {
      readDatabaseConfig({ OPFORGE_DATABASE_URL: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DatabaseConfigError);
    expect((error as DatabaseConfigError).variable).toBe("OPFORGE_DATABASE_URL");
    expect((error as Error).message).toMatch(message);
    // The URL carries credentials: the message must not repeat them.
    expect((error as Error).message).not.toMatch(/hunter2|secretuser/);
  });
});
