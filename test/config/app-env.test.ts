import { describe, expect, it } from "vitest";
import { readAppEnv } from "../../src/config/app-env.js";

const DAY = 24 * 60 * 60 * 1000;

describe("OPFORGE_RETENTION_DAYS (issue 11, item 7)", () => {
  it("defaults to 14 days, takes a number of days, and refuses zero or a non-number", () => {
    expect(readAppEnv({}).retentionMs).toBe(14 * DAY);
    expect(readAppEnv({ OPFORGE_RETENTION_DAYS: "30" }).retentionMs).toBe(30 * DAY);
    expect(readAppEnv({ OPFORGE_RETENTION_DAYS: "0.5" }).retentionMs).toBe(DAY / 2);
    expect(() => readAppEnv({ OPFORGE_RETENTION_DAYS: "0" })).toThrow("OPFORGE_RETENTION_DAYS");
    expect(() => readAppEnv({ OPFORGE_RETENTION_DAYS: "soon" })).toThrow("OPFORGE_RETENTION_DAYS");
  });
});

describe("OPFORGE_PGBOSS_SCHEMA", () => {
  it("defaults to pg-boss's own schema and refuses a name PostgreSQL would need quoted", () => {
    expect(readAppEnv({}).pgbossSchema).toBe("pgboss");
    expect(readAppEnv({ OPFORGE_PGBOSS_SCHEMA: "opforge_jobs_2" }).pgbossSchema).toBe("opforge_jobs_2");
    expect(() => readAppEnv({ OPFORGE_PGBOSS_SCHEMA: "jobs; DROP TABLE jobs" })).toThrow("OPFORGE_PGBOSS_SCHEMA");
    expect(() => readAppEnv({ OPFORGE_PGBOSS_SCHEMA: "2jobs" })).toThrow("OPFORGE_PGBOSS_SCHEMA");
  });
});
