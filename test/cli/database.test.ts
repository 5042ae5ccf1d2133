import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliDatabaseTarget, DatabaseOptionError, dbOptionProblem, errorText, withoutPasswords } from "../../src/cli/database.js";
import type { CliIo } from "../../src/cli/io.js";
import { DatabaseConfigError } from "../../src/db/config.js";

const CWD = "/srv/team";
const URL_WITH_PASSWORD = "postgres://opforge:pa%24s-9911@db.example:5432/opforge";

function io(env: NodeJS.ProcessEnv): CliIo {
  return { stdout: () => undefined, stderr: () => undefined, cwd: CWD, env };
}

describe("which database a command names", () => {
  it.each([
    ["--db wins over both settings", { OPFORGE_DATABASE_URL: URL_WITH_PASSWORD, OPFORGE_DB: "env.db" }, "mine.db", { dialect: "sqlite", path: join(CWD, "mine.db") }, "mine.db", "--db"],
    [
      "OPFORGE_DATABASE_URL wins over OPFORGE_DB",
      { OPFORGE_DATABASE_URL: URL_WITH_PASSWORD, OPFORGE_DB: "env.db" },
      undefined,
      { dialect: "postgres", url: URL_WITH_PASSWORD },
      "postgres://opforge:***@db.example:5432/opforge",
      "OPFORGE_DATABASE_URL",
    ],
    ["OPFORGE_DB when no URL is set", { OPFORGE_DB: "state/env.db" }, undefined, { dialect: "sqlite", path: join(CWD, "state/env.db") }, "state/env.db", "OPFORGE_DB"],
    ["an empty OPFORGE_DATABASE_URL counts as unset", { OPFORGE_DATABASE_URL: " ", OPFORGE_DB: "env.db" }, undefined, { dialect: "sqlite", path: join(CWD, "env.db") }, "env.db", "OPFORGE_DB"],
    ["data/opforge.db when nothing is set", { OPFORGE_DB: "" }, undefined, { dialect: "sqlite", path: join(CWD, "data/opforge.db") }, "data/opforge.db", "the default path"],
  ])("%s", (_, env, given, config, shown, source) => {
    const target = cliDatabaseTarget(io(env), given === undefined ? undefined : { name: "--db", value: given });
    expect(target).toEqual({ config, shown, source });
  });

  it("takes --db before a broken OPFORGE_DATABASE_URL, which it then never reads", () => {
    const env = { OPFORGE_DATABASE_URL: "mysql://root:hunter2@db/x" };
    expect(cliDatabaseTarget(io(env), { name: "--db", value: "ok.db" }).source).toBe("--db");
    expect(() => cliDatabaseTarget(io(env))).toThrow(DatabaseConfigError);
    expect(() => cliDatabaseTarget(io(env))).toThrow(/^invalid opforge environment: OPFORGE_DATABASE_URL: only postgres:\/\/ and postgresql:\/\/ URLs/);
    expect(() => cliDatabaseTarget(io(env))).not.toThrow(/hunter2/);
  });

  it("accepts a URL for --database only, and says what --db takes instead", () => {
    expect(cliDatabaseTarget(io({}), { name: "--database", value: URL_WITH_PASSWORD, acceptsUrl: true })).toMatchObject({
      config: { dialect: "postgres", url: URL_WITH_PASSWORD },
      shown: "postgres://opforge:***@db.example:5432/opforge",
      source: "--database",
    });
    expect(() => cliDatabaseTarget(io({}), { name: "--db", value: URL_WITH_PASSWORD })).toThrow(DatabaseOptionError);
    expect(dbOptionProblem(URL_WITH_PASSWORD)).toBe("--db: expected a SQLite file, got a URL; to use PostgreSQL set OPFORGE_DATABASE_URL instead");
    expect(dbOptionProblem("")).toBe("--db needs a path");
    expect(dbOptionProblem("  ")).toBe("--db needs a path");
    expect(dbOptionProblem(undefined)).toBeUndefined();
    expect(dbOptionProblem("a.db")).toBeUndefined();
    expect(() => cliDatabaseTarget(io({}), { name: "--database", value: "http://h/db", acceptsUrl: true })).toThrow(/^--database: only postgres:\/\//);
  });
});

describe("errors about a database", () => {
  it("never carry the URL's password, in either spelling", () => {
    const target = cliDatabaseTarget(io({ OPFORGE_DATABASE_URL: URL_WITH_PASSWORD }));
    expect(errorText(new Error("auth failed for pa$s-9911 (pa%24s-9911)"), target)).toBe("auth failed for *** (***)");
    expect(withoutPasswords("no password here", [URL_WITH_PASSWORD])).toBe("no password here");
  });

  it("say something for a refused connection to several addresses, whose AggregateError has no message", () => {
    const target = cliDatabaseTarget(io({}));
    const refused = new AggregateError([new Error("connect ECONNREFUSED ::1:5432"), new Error("connect ECONNREFUSED 127.0.0.1:5432")], "");
    expect(errorText(refused, target)).toBe("connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432");
  });
});
