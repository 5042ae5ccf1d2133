import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import type { Kysely } from "kysely";
import pg from "pg";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateCommand } from "../../src/cli/generate.js";
import type { CliCommand, CliIo } from "../../src/cli/io.js";
import { createJobsCommand } from "../../src/cli/jobs.js";
import { learnCommand } from "../../src/cli/learn.js";
import { rulesCommand } from "../../src/cli/rules.js";
import { createStatsCommand } from "../../src/cli/stats.js";
import { createDb } from "../../src/db/kysely.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { schemaMigrations } from "../../src/db/migrations/index.js";
import { kyselyOverStore } from "../../src/db/over-store.js";
import type { Tables } from "../../src/db/schema.js";
import { JobDispatch } from "../../src/jobs/dispatch.js";
import { enqueue, fail, getJob, leaseNext } from "../../src/jobs/queue.js";
import { openDatabase } from "../../src/store/database.js";
import { listAttempts, listGenerations } from "../../src/store/generations.js";
import { fillHistory, NOW } from "../learn/metrics/fill.js";
import { testPostgres } from "../support/postgres.js";
import type { TestPostgres } from "../support/postgres.js";

/**
 * Every command that reads or writes the database, run with OPFORGE_DATABASE_URL pointing at PostgreSQL: what
 * it prints must be what it prints on a SQLite file holding the same rows, and it must leave no connection open.
 */

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, "..", "..", "bin", "opforge.js");
const corpus = join(here, "..", "fixtures", "learning");
const EXAMPLE = join(here, "..", "..", "examples", "specs", "http_operator.yaml");
const T0 = Date.parse("2026-03-02T10:00:00Z");
/** In every URL the commands get (trust auth ignores it): no output may show it. */
const PASSWORD = "Pg-cli-secret-4417";

interface Run {
  code: number;
  out: string;
  err: string;
}

let dir: string;
const schemas: TestPostgres[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opforge-cli-pg-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));
afterAll(async () => {
  for (const s of schemas) await s.drop();
});

interface Postgres {
  /** The private schema and its URL without the password and application name. */
  made: TestPostgres;
  /** What OPFORGE_DATABASE_URL is set to: with a password, and an application name that finds its connections. */
  url: string;
  /** The URL as the commands print it. */
  shown: string;
  kysely: Kysely<Tables>;
  /** Connections the commands opened that are still open (the test's own `kysely` uses another application name). */
  openConnections(): Promise<number>;
}

/** A private PostgreSQL schema, migrated unless told otherwise (`migrations: []` leaves it empty). */
async function postgres(migrations = schemaMigrations): Promise<Postgres> {
  const made = await testPostgres("the CLI's PostgreSQL tests");
  schemas.push(made);
  const application = `opforge_cli_${made.schema}`;
  const url = new URL(made.url);
  url.username = "postgres";
  url.password = PASSWORD;
  url.searchParams.set("application_name", application);
  const kysely = createDb({ dialect: "postgres", url: made.url }, { poolSize: 2 });
  if (migrations.length > 0) await migrateToLatest(kysely, "postgres", { migrations });
  const shown = url.toString().replace(PASSWORD, "***");
  return {
    made,
    url: url.toString(),
    shown,
    kysely,
    async openConnections() {
      // A closed pool's backends leave pg_stat_activity a moment after the sockets close; a leaked pool's stay.
      let count = 0;
      for (let i = 0; i < 30; i++) {
        const result = await sql<{ n: number }>`SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE application_name = ${application}`.execute(kysely);
        count = result.rows[0]?.n ?? 0;
        if (count === 0) return 0;
        await new Promise((r) => setTimeout(r, 100));
      }
      return count;
    },
  };
}

async function closeAll(...databases: Postgres[]): Promise<void> {
  for (const d of databases) await d.kysely.destroy();
}

async function run(command: CliCommand, argv: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd: dir, env: { OPFORGE_VALIDATE_WORKERS: "0", ...env } };
  const code = await command(argv, io);
  return { code, out: out.join(""), err: err.join("") };
}

/** A SQLite file made by the store, as the App leaves one, filled by `fill`. */
async function sqliteFile(name: string, fill: (db: Kysely<Tables>) => Promise<unknown>): Promise<string> {
  const path = join(dir, name);
  const db = kyselyOverStore(openDatabase(path));
  try {
    await fill(db);
  } finally {
    await db.destroy();
  }
  return path;
}

/** Job #1 dead after a permanent failure, job #2 queued. */
async function seedJobs(db: Kysely<Tables>): Promise<void> {
  await enqueue(db, { type: "generate", payload: { repo: "acme/p", issue: 7 }, dedupeKey: "acme/p#7" }, T0);
  const leased = await leaseNext(db, "w1", T0, 60_000);
  if (leased === null) throw new Error("no job leased");
  // The same text on both databases: a stack would name the caller that seeded each.
  const error = new Error("spec is invalid");
  error.stack = "Error: spec is invalid";
  await fail(db, leased.id, error, { transient: false, now: T0 + 1 });
  await enqueue(db, { type: "ci-result", payload: {} }, T0 + 2);
}

function teach(convention: string): void {
  copyFileSync(join(corpus, convention, "teach", "before.py"), join(dir, `${convention}.before.py`));
  copyFileSync(join(corpus, convention, "teach", "after.py"), join(dir, `${convention}.after.py`));
}

describe("opforge jobs on PostgreSQL", () => {
  it("lists and requeues the same jobs as on SQLite, and closes its connections", { timeout: 60_000 }, async () => {
    const db = await postgres();
    try {
      await seedJobs(db.kysely);
      const file = await sqliteFile("jobs.db", seedJobs);
      const jobs = createJobsCommand(() => T0 + 10);
      const onPg = { OPFORGE_DATABASE_URL: db.url };
      const onFile = { OPFORGE_DB: file };

      const dead = await run(jobs, ["list", "--state", "dead"], onPg);
      expect(dead).toMatchObject({ code: 0, err: "" });
      expect(dead.out).toMatch(/^#1 {2}dead {2}generate {2}attempts 1\/5 {2}updated 2026-03-02T10:00:00\.001Z {2}permanent failure on attempt 1: Error: spec is invalid\n$/);
      expect(dead).toEqual(await run(jobs, ["list", "--state", "dead"], onFile));
      const all = await run(jobs, ["list", "--json"], onPg);
      expect((JSON.parse(all.out) as { id: number; state: string }[]).map((j) => [j.id, j.state])).toEqual([
        [2, "queued"],
        [1, "dead"],
      ]);
      expect(all).toEqual(await run(jobs, ["list", "--json"], onFile));

      expect(await run(jobs, ["requeue", "1"], onPg)).toEqual({ code: 0, out: "job #1 (generate) requeued\n", err: "" });
      expect(await getJob(db.kysely, 1)).toMatchObject({ status: "queued", attempts: 0, runAfter: T0 + 10 });
      expect(await run(jobs, ["list", "--state", "dead"], onPg)).toEqual({ code: 0, out: "no dead jobs\n", err: "" });
      expect(await run(jobs, ["requeue", "2"], onPg)).toMatchObject({ code: 1, err: "opforge jobs: job #2 is queued, not dead; only dead jobs are requeued\n" });
      expect(await db.openConnections()).toBe(0);
    } finally {
      await closeAll(db);
    }
  });
});

describe("opforge jobs requeue with the App's replicas on pg-boss", () => {
  it("delivers the requeued job through pg-boss, where the replicas take their jobs", { timeout: 60_000 }, async () => {
    const db = await postgres();
    await seedJobs(db.kysely);
    // A replica starting on these jobs: its pg-boss (in the test's schema) sets the delivery queue up and
    // delivers the one that can run, #2; the dead #1 gets none.
    const replica = await JobDispatch.start(db.kysely, { connectionString: db.made.url, schema: db.made.schema, leaseMs: 60_000 });
    try {
      const env = { OPFORGE_DATABASE_URL: db.url, OPFORGE_PGBOSS_SCHEMA: db.made.schema };
      expect((await replica.fetch(10)).map((d) => d.jobId)).toEqual([2]);
      expect(await run(createJobsCommand(), ["requeue", "1"], env)).toEqual({ code: 0, out: "job #1 (generate) requeued\n", err: "" });
      expect((await replica.fetch(10)).map((d) => d.jobId)).toEqual([1]);
      expect(await getJob(db.kysely, 1)).toMatchObject({ status: "queued", attempts: 0 });

      // A schema name the App would refuse is refused here too, naming the setting; nothing is requeued.
      await sql`UPDATE jobs SET status = 'dead' WHERE id = 1`.execute(db.kysely);
      const refused = await run(createJobsCommand(), ["requeue", "1"], { ...env, OPFORGE_PGBOSS_SCHEMA: "no-such schema" });
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/^opforge jobs: invalid opforge environment: OPFORGE_PGBOSS_SCHEMA: a schema name of letters/);
      expect((await getJob(db.kysely, 1))?.status).toBe("dead");
      expect(await db.openConnections()).toBe(0);
    } finally {
      await replica.stop();
      await closeAll(db);
    }
  });
});

describe("opforge stats on PostgreSQL", () => {
  it("prints the same figures as on SQLite, naming the database without its password", { timeout: 60_000 }, async () => {
    const db = await postgres();
    try {
      await fillHistory(db.kysely);
      const file = await sqliteFile("stats.db", fillHistory);
      const stats = createStatsCommand({ now: () => NOW });

      const text = await run(stats, ["--installation", "42"], { OPFORGE_DATABASE_URL: db.url });
      expect(text).toMatchObject({ code: 0, err: "" });
      const [header, ...figures] = text.out.split("\n");
      expect(header).toBe(`opforge stats: ${db.shown}, installation 42, 8 ISO weeks since 2026-10-05`);
      expect(text.out).toContain("  2026-W45  http                2        2         1   50%\n");
      expect(text.out).toMatch(/ {2}\(all\) +5 +3 +\$0\.5200 +\$0\.1733 +13400\n/);
      const onFile = await run(stats, ["--installation", "42"], { OPFORGE_DB: file });
      expect(onFile.out.split("\n")[0]).toBe(`opforge stats: ${file}, installation 42, 8 ISO weeks since 2026-10-05`);
      expect(figures).toEqual(onFile.out.split("\n").slice(1));

      const json = await run(stats, ["--installation", "42", "--json"], { OPFORGE_DATABASE_URL: db.url });
      const report = JSON.parse(json.out) as Record<string, unknown>;
      expect(report.database).toBe(db.shown);
      expect({ ...report, database: file }).toEqual(JSON.parse((await run(stats, ["--installation", "42", "--json"], { OPFORGE_DB: file })).out));
      expect(text.out + json.out).not.toContain(PASSWORD);
      expect(await db.openConnections()).toBe(0);
    } finally {
      await closeAll(db);
    }
  });

  it("only reads: refuses a schema that lacks a migration instead of migrating it, which jobs then does", { timeout: 60_000 }, async () => {
    const older = schemaMigrations.slice(0, -1);
    const latest = schemaMigrations[schemaMigrations.length - 1]?.name ?? "";
    const db = await postgres(older);
    try {
      const stats = await run(createStatsCommand({ now: () => NOW }), [], { OPFORGE_DATABASE_URL: db.url });
      expect(stats).toEqual({
        code: 1,
        out: "",
        err: `opforge stats: database ${db.shown} (from OPFORGE_DATABASE_URL) lacks migrations ${latest}; run opforge db migrate first\n`,
      });
      const applied = async (): Promise<number> => (await sql<{ n: number }>`SELECT COUNT(*)::int AS n FROM kysely_migration`.execute(db.kysely)).rows[0]?.n ?? -1;
      expect(await applied()).toBe(older.length);
      // An operator's command that changes the database brings it up to date, as it does a SQLite file.
      expect(await run(createJobsCommand(), ["list"], { OPFORGE_DATABASE_URL: db.url })).toEqual({ code: 0, out: "no jobs\n", err: "" });
      expect(await applied()).toBe(schemaMigrations.length);
      expect((await run(createStatsCommand({ now: () => NOW }), [], { OPFORGE_DATABASE_URL: db.url })).code).toBe(0);
      expect(await db.openConnections()).toBe(0);
    } finally {
      await closeAll(db);
    }
  });
});

describe("a PostgreSQL database without opforge's tables", () => {
  it("is refused by stats, jobs and rules, which create nothing, and set up by learn", { timeout: 60_000 }, async () => {
    const db = await postgres([]);
    try {
      const env = { OPFORGE_DATABASE_URL: db.url };
      const refusal = `database ${db.shown} (from OPFORGE_DATABASE_URL) holds no opforge tables; run opforge db migrate (or start the App once) to create them\n`;
      expect(await run(createStatsCommand(), [], env)).toEqual({ code: 1, out: "", err: `opforge stats: ${refusal}` });
      expect(await run(createJobsCommand(), ["list"], env)).toEqual({ code: 1, out: "", err: `opforge jobs: ${refusal}` });
      expect(await run(rulesCommand, ["list"], env)).toEqual({ code: 1, out: "", err: `opforge rules: ${refusal}` });
      const tables = async (): Promise<number> =>
        (await sql<{ n: number }>`SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema()`.execute(db.kysely)).rows[0]?.n ?? -1;
      expect(await tables()).toBe(0);

      teach("requests-timeout");
      const learned = await run(learnCommand, ["fix", "requests-timeout.before.py", "requests-timeout.after.py"], env);
      expect(learned).toMatchObject({ code: 0, err: "" });
      expect(learned.out).toContain("rule #1 (candidate, new): `requests.get(...)` → `requests.get(..., timeout=30)`\n");
      expect(await tables()).toBeGreaterThan(10);
      expect((await run(rulesCommand, ["list"], env)).out).toMatch(/^#1 {2}candidate {2}`requests\.get/);
      expect(await db.openConnections()).toBe(0);
    } finally {
      await closeAll(db);
    }
  });
});

describe("opforge learn and rules on PostgreSQL", () => {
  it("learn, list, show, trust and discard print what they print on SQLite", { timeout: 90_000 }, async () => {
    const db = await postgres();
    try {
      teach("requests-timeout");
      teach("raise-from");
      const file = join(dir, "rules.db");
      const steps: [CliCommand, string[]][] = [
        [learnCommand, ["fix", "requests-timeout.before.py", "requests-timeout.after.py"]],
        [learnCommand, ["fix", "requests-timeout.before.py", "requests-timeout.after.py", "--json"]],
        [learnCommand, ["fix", "raise-from.before.py", "raise-from.after.py", "--installation", "5"]],
        [rulesCommand, ["list"]],
        [rulesCommand, ["list", "--installation", "5", "--json"]],
        [rulesCommand, ["show", "1"]],
        [rulesCommand, ["trust", "1"]],
        [rulesCommand, ["list", "--status", "trusted", "--json"]],
        [rulesCommand, ["trust", "2"]],
        [rulesCommand, ["discard", "2", "--installation", "5"]],
        [rulesCommand, ["show", "2", "--installation", "5"]],
      ];
      const onPg: Run[] = [];
      const onFile: Run[] = [];
      for (const [command, argv] of steps) {
        onPg.push(await run(command, argv, { OPFORGE_DATABASE_URL: db.url }));
        onFile.push(await run(command, argv, { OPFORGE_DB: file }));
      }
      expect(onPg).toEqual(onFile);
      const [first, again, , list, , show, trust, trusted, otherInstallation, discard] = onPg;
      expect(first).toMatchObject({ code: 0, err: "" });
      expect(first?.out).toContain("rule #1 (candidate, new): `requests.get(...)` → `requests.get(..., timeout=30)`\n");
      expect((JSON.parse(again?.out ?? "") as { rules: { outcome: string }[] }).rules.map((r) => r.outcome)).toEqual(["known"]);
      expect(list?.out).toMatch(/^#1 {2}candidate {2}`requests\.get\(\.\.\.\)` → `requests\.get\(\.\.\., timeout=30\)` {2}\(1 source, confidence 0\.\d\d\)\n$/);
      expect(show?.out).toContain("rule #1 (candidate, tree rule)\n");
      expect(trust?.out).toBe("rule #1 is now trusted: `requests.get(...)` → `requests.get(..., timeout=30)`\n");
      expect((JSON.parse(trusted?.out ?? "") as { rules: { id: number }[] }).rules.map((r) => r.id)).toEqual([1]);
      expect(otherInstallation).toEqual({ code: 1, out: "", err: "opforge rules: no rule #2 in installation 0\n" });
      expect(discard?.out).toMatch(/^rule #2 is now discarded: /);
      const stored = await db.kysely.selectFrom("rewrite_rules").select(["id", "installation_id", "status"]).orderBy("id").execute();
      expect(stored).toEqual([
        { id: 1, installation_id: 0, status: "trusted" },
        { id: 2, installation_id: 5, status: "discarded" },
      ]);
      expect(await db.openConnections()).toBe(0);
    } finally {
      await closeAll(db);
    }
  });
});

describe("opforge generate on PostgreSQL", () => {
  it("records the generation and its attempt there, visible through the store and in stats", { timeout: 60_000 }, async () => {
    const db = await postgres();
    try {
      const generated = await run(generateCommand, [EXAMPLE, "--out", "out"], { OPFORGE_DATABASE_URL: db.url, OPFORGE_DB: "never.db" });
      expect(generated.err).toBe("");
      expect(generated.code).toBe(0);
      expect(generated.out).toContain(`recorded: ${db.shown} (generation 1)\n`);
      expect(generated.out).not.toContain(PASSWORD);
      expect(existsSync(join(dir, "never.db"))).toBe(false);
      const [generation] = await listGenerations(db.kysely);
      expect(generation).toMatchObject({ id: 1, componentName: "HttpApiOperator", status: "succeeded", finalOutcome: "written_locally", installationId: 0 });
      const attempts = await listAttempts(db.kysely, generation?.id ?? 0);
      expect(attempts.map((a) => [a.number, a.outcome, a.strategy])).toEqual([[1, "validated", "fresh"]]);
      expect(attempts[0]?.files.map((f) => f.path)).toEqual([
        "plugins/operators/http_api_operator.py",
        "tests/operators/test_http_api_operator.py",
        "dags/examples/http_api_operator_example_dag.py",
      ]);
      const stats = await run(createStatsCommand(), ["--json", "--weeks", "1"], { OPFORGE_DATABASE_URL: db.url });
      expect(JSON.parse(stats.out)).toMatchObject({ installationId: 0, attempts: [{ attempts: 1, generations: 1 }] });

      // A second run is the spec's second generation: the record reads what the first left.
      expect((await run(generateCommand, [EXAMPLE, "--out", "out"], { OPFORGE_DATABASE_URL: db.url })).out).toContain(`recorded: ${db.shown} (generation 2)\n`);
      expect(await db.openConnections()).toBe(0);
    } finally {
      await closeAll(db);
    }
  });
});

describe("which database a command uses", () => {
  it("--db names a SQLite file and wins over OPFORGE_DATABASE_URL, even a broken one", { timeout: 60_000 }, async () => {
    const db = await postgres();
    try {
      await seedJobs(db.kysely);
      const file = await sqliteFile("empty.db", async () => undefined);
      const jobs = createJobsCommand();
      expect(await run(jobs, ["list", "--db", file], { OPFORGE_DATABASE_URL: db.url })).toEqual({ code: 0, out: "no jobs\n", err: "" });
      expect(await run(jobs, ["list", "--db", file], { OPFORGE_DATABASE_URL: "mysql://root:hunter22@db/x" })).toEqual({ code: 0, out: "no jobs\n", err: "" });
      expect((await run(jobs, ["list"], { OPFORGE_DATABASE_URL: db.url, OPFORGE_DB: file })).out).toMatch(/^#2 {2}queued/);
      // An empty setting is unset, as compose files write it.
      expect(await run(jobs, ["list"], { OPFORGE_DATABASE_URL: "", OPFORGE_DB: file })).toEqual({ code: 0, out: "no jobs\n", err: "" });
      expect(await db.openConnections()).toBe(0);
    } finally {
      await closeAll(db);
    }
  });

  it("a URL given to --db is a usage error that points at OPFORGE_DATABASE_URL and prints no password", async () => {
    const url = `postgres://postgres:${PASSWORD}@127.0.0.1:5432/x`;
    for (const [command, argv] of [
      [createStatsCommand(), ["--db", url]],
      [createJobsCommand(), ["list", "--db", url]],
      [rulesCommand, ["list", "--db", url]],
      [learnCommand, ["fix", "a.py", "b.py", "--db", url]],
      [generateCommand, [EXAMPLE, "--db", url]],
    ] as [CliCommand, string[]][]) {
      const result = await run(command, argv, {});
      expect(result.code).toBe(2);
      expect(result.err).toContain(": --db: expected a SQLite file, got a URL; to use PostgreSQL set OPFORGE_DATABASE_URL instead\n");
      expect(result.err).not.toContain(PASSWORD);
    }
  });
});

describe("a PostgreSQL setting that does not work", () => {
  it("is named in one line, without the password, and the command exits 1", { timeout: 60_000 }, async () => {
    const broken = `mysql://root:${PASSWORD}@db.example/opforge`;
    const unreachable = `postgres://postgres:${PASSWORD}@127.0.0.1:1/opforge`;
    const invalid =
      "invalid opforge environment: OPFORGE_DATABASE_URL: only postgres:// and postgresql:// URLs are accepted (got mysql://); leave it unset to use the SQLite file OPFORGE_DB\n";
    const refused = /^opforge (stats|jobs|rules|generate): cannot open database postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/opforge \(from OPFORGE_DATABASE_URL\): connect ECONNREFUSED 127\.0\.0\.1:1\n$/;
    const commands: [string, CliCommand, string[]][] = [
      ["stats", createStatsCommand(), []],
      ["jobs", createJobsCommand(), ["list"]],
      ["rules", rulesCommand, ["list"]],
      ["generate", generateCommand, [EXAMPLE, "--out", "out"]],
    ];
    for (const [name, command, argv] of commands) {
      const bad = await run(command, argv, { OPFORGE_DATABASE_URL: broken });
      expect(bad.code).toBe(1);
      expect(bad.err).toBe(`opforge ${name}: ${invalid}`);
      const down = await run(command, argv, { OPFORGE_DATABASE_URL: unreachable });
      expect(down.code).toBe(1);
      expect(down.err).toMatch(refused);
      expect(bad.out + down.out).not.toContain(PASSWORD);
    }
    // learn says database problems as usage errors (exit 2), as it does for a bad --db.
    teach("requests-timeout");
    const learn = await run(learnCommand, ["fix", "requests-timeout.before.py", "requests-timeout.after.py"], { OPFORGE_DATABASE_URL: unreachable });
    expect(learn.code).toBe(2);
    expect(learn.err).toMatch(/^opforge learn: cannot open database postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/opforge \(from OPFORGE_DATABASE_URL\): connect ECONNREFUSED/);
    expect(existsSync(join(dir, "out"))).toBe(false);
  });
});

describe("the opforge command on PostgreSQL", () => {
  function opforge(argv: string[], url: string): Run {
    try {
      // A pool left open would keep the process alive past the timeout.
      const out = execFileSync(process.execPath, [bin, ...argv], {
        cwd: dir,
        env: { ...process.env, OPFORGE_DB: "", OPFORGE_DATABASE_URL: url },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 30_000,
      });
      return { code: 0, out, err: "" };
    } catch (error) {
      const failed = error as { status: number | null; signal: string | null; stdout: string; stderr: string };
      return { code: failed.status ?? -1, out: failed.stdout, err: `${failed.stderr}${failed.signal ?? ""}` };
    }
  }

  it("learns and trusts a rule, validate --fix --learned applies it from there, and jobs requeues", { timeout: 120_000 }, async () => {
    const db = await postgres([]);
    try {
      teach("extra-dejson");
      expect(opforge(["learn", "fix", "extra-dejson.before.py", "extra-dejson.after.py"], db.url)).toMatchObject({ code: 0, err: "" });
      expect(opforge(["rules", "trust", "1"], db.url).out).toMatch(/^rule #1 is now trusted: /);
      const target = join(dir, "nested_subscript.py");
      copyFileSync(join(corpus, "extra-dejson", "heldout", "nested_subscript.py"), target);
      const fixed = opforge(["validate", "--fix", "--learned", target], db.url);
      expect(fixed.err).toBe("");
      expect(fixed.out).toContain("fixed learned/1: `json.loads($1.extra)` → `$1.extra_dejson`");
      expect(readFileSync(target, "utf8")).toContain(".extra_dejson");

      await seedJobs(db.kysely);
      expect(opforge(["jobs", "requeue", "1"], db.url)).toEqual({ code: 0, out: "job #1 (generate) requeued\n", err: "" });
      expect(opforge(["jobs", "list", "--state", "queued"], db.url).out).toMatch(/^#2 {2}queued .*\n#1 {2}queued /);
      expect(await db.openConnections()).toBe(0);
    } finally {
      await closeAll(db);
    }
  });
});

describe("the connection check", () => {
  it("sees a pool that is left open", { timeout: 30_000 }, async () => {
    const db = await postgres([]);
    const leaked = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      await leaked.query("SELECT 1");
      expect(await db.openConnections()).toBe(1);
    } finally {
      await leaked.end();
      await closeAll(db);
    }
  });
});
