import { kyselyOverStore } from "../../../src/db/over-store.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  distributionForImport,
  listAlternatives,
  listLibraryNotes,
  SEED_LIBRARIES,
  seedLibraries,
} from "../../../src/learn/libraries/index.js";
import type { Database } from "../../../src/store/database.js";
import { openTestDatabase } from "../metrics/test-db.js";

let db: Database;
beforeEach(() => {
  db = openTestDatabase();
});
afterEach(() => db.close());

const first = async (library: string) => (await listAlternatives(kyselyOverStore(db), library))[0];

describe("seeded library alternatives", () => {
  it("offers the provider hook first, with the provider package to add and its import", async () => {
    expect((await first("requests"))).toMatchObject({
      kind: "provider_hook",
      name: "HttpHook",
      package: "apache-airflow-providers-http",
      importLine: "from airflow.providers.http.hooks.http import HttpHook",
      curated: true,
    });
    expect((await first("boto3"))).toMatchObject({ name: "S3Hook", package: "apache-airflow-providers-amazon" });
    expect((await listAlternatives(kyselyOverStore(db), "boto3")).map((a) => a.name)).toEqual(["S3Hook", "AwsBaseHook"]);
    expect((await first("psycopg2"))).toMatchObject({ name: "PostgresHook", package: "apache-airflow-providers-postgres" });
    expect((await first("PyMySQL"))).toMatchObject({ name: "MySqlHook", package: "apache-airflow-providers-mysql" });
    expect((await first("mysqlclient"))).toMatchObject({ name: "MySqlHook" });
    expect((await first("redis"))).toMatchObject({ name: "RedisHook", package: "apache-airflow-providers-redis" });
    expect((await first("slack_sdk"))).toMatchObject({ name: "SlackHook", package: "apache-airflow-providers-slack" });
    expect((await first("paramiko"))).toMatchObject({ name: "SSHHook", package: "apache-airflow-providers-ssh" });
    expect((await first("google-cloud-storage"))).toMatchObject({ name: "GCSHook", package: "apache-airflow-providers-google" });
    expect((await first("snowflake-connector-python"))).toMatchObject({ name: "SnowflakeHook", package: "apache-airflow-providers-snowflake" });
  });

  it("orders provider hook, then another package, then the stdlib", async () => {
    expect((await listAlternatives(kyselyOverStore(db), "requests")).map((a) => a.kind)).toEqual(["provider_hook", "stdlib", "stdlib"]);
    expect((await listAlternatives(kyselyOverStore(db), "kafka-python")).map((a) => [a.kind, a.name])).toEqual([
      ["provider_hook", "KafkaProducerHook"],
      ["package", "confluent-kafka"],
    ]);
    expect((await listAlternatives(kyselyOverStore(db), "cx_Oracle")).map((a) => a.name)).toEqual(["OracleHook", "oracledb"]);
  });

  it("has no stdlib fallback where the stdlib cannot do the job (SSH/SFTP)", async () => {
    for (const library of ["paramiko", "pysftp"]) {
      expect((await listAlternatives(kyselyOverStore(db), library)).some((a) => a.kind === "stdlib")).toBe(false);
    }
    const stdlib = (await listAlternatives(kyselyOverStore(db), "requests")).filter((a) => a.kind === "stdlib");
    expect(stdlib.map((a) => a.name)).toEqual(["http_get_json", "http_post_json"]);
    expect(stdlib[0]?.snippet).toContain("urllib.request.urlopen");
  });

  it("keeps the constraint pins as notes", async () => {
    const pandas = (await listLibraryNotes(kyselyOverStore(db), "pandas")).map((n) => n.note);
    expect(pandas.join(" ")).toMatch(/pandas 2\.1\.4.*SQLAlchemy 1\.4/);
    expect((await listLibraryNotes(kyselyOverStore(db), "SQLAlchemy"))[0]?.note).toMatch(/1\.4\.x/);
    expect((await listLibraryNotes(kyselyOverStore(db), "requests"))).toEqual([]);
  });

  it("names the provider package that actually holds each hook's module", async () => {
    for (const entry of SEED_LIBRARIES) {
      for (const alt of entry.alternatives.filter((a) => a.kind === "provider_hook")) {
        const module = /^from (\S+) import (\w+)$/.exec(alt.importLine ?? "");
        expect(module, `${entry.library}: ${alt.importLine}`).not.toBeNull();
        expect(module?.[2]).toBe(alt.name);
        expect(distributionForImport(module?.[1] ?? "")).toBe(alt.package);
      }
    }
  });

  it("is idempotent and leaves alternatives people added alone", async () => {
    const count = () => (db.prepare("SELECT COUNT(*) AS n FROM library_alternatives").get() as { n: number }).n;
    const before = count();
    expect(before).toBeGreaterThan(25);
    db.prepare(
      "INSERT INTO library_alternatives (library, kind, name, package, curated) VALUES ('requests', 'package', 'httpx', 'httpx', 0)",
    ).run();
    const again = (await seedLibraries(kyselyOverStore(db)));
    expect(again.alternatives).toBe(before);
    expect(count()).toBe(before + 1);
    (await seedLibraries(kyselyOverStore(db)));
    expect(count()).toBe(before + 1);
    expect((await listAlternatives(kyselyOverStore(db), "requests")).map((a) => a.name)).toEqual(["HttpHook", "httpx", "http_get_json", "http_post_json"]);
  });
});
